"""The sweep's model: the best trial's configuration refit on the whole train split.

The refit is logged as the model ``model`` of the sweep's parent run, tagged with the trial
it came from. It may start early (:meth:`Refits.start_early`): once every trial has started,
the best trial so far is refit while the last trials run, so the refit and model logging
(seconds) overlap them instead of following them. :meth:`Refits.take_early` keeps it if that
trial is still the best at the end (usually: the last trials seldom beat all the others).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from core.engine.job import SweepJob
from core.engine.progress import Finished
from core.mlflow_layout import TAG_REFIT_FROM_RUN, TAG_REFIT_FROM_TRIAL
from core.sweep.spec import SweepSpec

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

log = logging.getLogger("sweep-runner")


def warm_refit_imports() -> None:
    """Import what the final refit needs while the trials run, not after them."""
    try:
        import mlflow.sklearn  # noqa: F401
        import skops.io  # noqa: F401

        import core.train.trainer  # noqa: F401
    except Exception:  # the refit will raise the real error, with context
        log.debug("warm-up import failed", exc_info=True)


def refit(job: SweepJob, spec: SweepSpec, best: Finished) -> str:
    """Fit a trial's configuration on the whole train split; log it on the sweep's parent run.
    Returns the logged model's URI."""
    import mlflow
    import pandas as pd

    from core.data.schema import Schema
    from core.train.tracking import log_model
    from core.train.trainer import fit_final

    frame = pd.read_csv(job.train_csv)
    schema = Schema.from_dict(job.schema)
    pipeline = fit_final(frame, schema, spec.model_family, best.params, spec.seed or 0)
    mlflow.set_tracking_uri(job.tracking_uri)
    with mlflow.start_run(run_id=job.run_id):
        info = log_model(pipeline, frame.head(500), name="model")
        mlflow.set_tags({TAG_REFIT_FROM_TRIAL: str(best.number), TAG_REFIT_FROM_RUN: best.run_id or ""})
    return str(info.model_uri)


class Refits:
    """The early refit of one sweep, if one was started."""

    def __init__(self) -> None:
        self.early: tuple[int, threading.Thread, list[str]] | None = None  # trial, thread, [uri]

    def start_early(self, job: SweepJob, spec: SweepSpec, best: Finished | None) -> None:
        """Refit ``best`` in a thread now (once per sweep)."""
        if best is None or self.early is not None:
            return
        result: list[str] = []
        number = best.number

        def work() -> None:
            try:
                result.append(refit(job, spec, best))
            except Exception:  # the final refit runs again, and reports a real failure there
                log.exception("early refit of trial %s failed", number)

        log.info("tail reached: refitting trial %s early", number)
        thread = threading.Thread(target=work, name="early-refit", daemon=True)
        self.early = (number, thread, result)
        thread.start()

    def take_early(self, best: Finished, client: MlflowClient) -> str | None:
        """The early refit's model when its trial is still ``best`` (waiting for it to end);
        else None, and a model it logged for another trial is deleted, so the run holds one."""
        if self.early is None:
            return None
        number, thread, result = self.early
        thread.join()
        if number == best.number and result:
            log.info("the early refit of trial %s is the sweep's model", number)
            return result[0]
        log.info("trial %s beat the early refit's trial %s: refitting again", best.number, number)
        if result:  # superseded by a later trial: remove it so the run holds one model
            model_id = result[0].removeprefix("models:/")
            client.delete_logged_model(model_id)
        return None
