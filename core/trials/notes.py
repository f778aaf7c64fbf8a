"""Per-trial review notes, in Markdown, kept as the run's ``mlflow.note.content`` tag.

That tag is MLflow's own run description, so a note written here also shows in the MLflow
UI, and one written there shows here. An empty note deletes the tag.
"""

from __future__ import annotations

from core.errors import UserFacingError
from core.mlflow_layout import TAG_NOTE
from core.trials.store import client, describe_failure

MAX_NOTE_CHARS = 8000  # MLflow's limit on a tag value


def read_note(uri: str, run_id: str) -> str:
    try:
        run = client(uri).get_run(run_id)
    except Exception as exc:
        raise describe_failure(uri, exc) from None
    return str(run.data.tags.get(TAG_NOTE, ""))


def write_note(uri: str, run_id: str, text: str) -> str:
    """Save ``text`` as the run's note (empty: remove it); returns what was stored."""
    note = text.strip()
    if len(note) > MAX_NOTE_CHARS:
        raise UserFacingError(
            f"The note has {len(note):,} characters; MLflow keeps at most {MAX_NOTE_CHARS:,} in a tag.",
            "Shorten it, or link to a longer document.",
        )
    mlflow_client = client(uri)
    try:
        if note:
            mlflow_client.set_tag(run_id, TAG_NOTE, note)
        elif TAG_NOTE in mlflow_client.get_run(run_id).data.tags:
            mlflow_client.delete_tag(run_id, TAG_NOTE)
    except Exception as exc:
        raise describe_failure(uri, exc) from None
    return note
