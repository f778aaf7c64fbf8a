"""What the runner tells the user: the status line of a sweep and the error of a trial it ended."""

from __future__ import annotations

from collections.abc import Mapping

INTERRUPTED = "The sweep was interrupted while this trial ran."  # the error of a trial a crash cut short
WORKER_DIED = "The worker process running this trial died."
TRIAL_TIMEOUT = "Stopped at the per-trial timeout."
REFITTING = "Refitting the best configuration on the whole train split…"


def stopped_trial_error(stop_reason: str) -> str:
    """The error of a trial still running when the sweep stopped (``stop_reason``: timeout,
    failed, or canceled)."""
    return {"timeout": "Stopped at the sweep's timeout.", "failed": "Every worker process died."}.get(
        stop_reason, "The sweep was canceled."
    )


def finished_message(
    stop_reason: str, exhausted: bool, sampling: str, counts: Mapping[str, int], has_best: bool
) -> str:
    """The sweep's last status line: why it ended and how many trials ended how."""
    parts = [f"{counts['completed']} completed"]
    parts += [
        f"{counts[k]} {k.replace('_', '-')}" for k in ("early_terminated", "failed", "canceled") if counts[k]
    ]
    message = {
        "canceled": "Canceled. ",
        "timeout": "Stopped at the sweep's timeout. ",
        "failed": "Stopped: every worker process died. ",
    }.get(stop_reason, "Finished. ")
    if exhausted and stop_reason == "":
        message = "Finished: every configuration of the grid was tried. " if sampling == "grid" else message
    message += ", ".join(parts) + "."
    if not has_best:
        message += " No trial completed, so there is no best model."
    return message


def unexpected_error(exc: BaseException) -> str:
    return f"The sweep stopped on an unexpected error: {type(exc).__name__}: {exc}"
