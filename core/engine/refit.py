"""The sweep's model: the best trial's configuration refit on the whole train split.

The refit is logged as the model ``model`` of the sweep's parent run, tagged with the trial
it came from. It may start early (:meth:`Refits.start_early`): once every trial has started,
the best trial so far is refit while the last trials run, so the refit and model logging
(seconds) overlap them instead of following them. :meth:`Refits.take_early` keeps it if that
trial is still the best at the end (usually: the last trials seldom beat all the others).

The refit also stores that trial's out-of-fold predictions with the sweep, as the parent run's
artifact ``oof/<trial run id>.csv`` (:func:`core.mlflow_layout.sweep_oof_artifact`), so the
Trials page's Best-trial tab reads them instead of re-running the trial's cross-validation each
time it opens. They cost nothing: the worker computed them when it ran the trial, and the
scheduler keeps the best trial's (:meth:`Refits.keep_predictions`). Only a resumed sweep whose
best trial ran before the interruption re-runs that trial's cross-validation here, once.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from core.engine.job import SweepJob
from core.engine.progress import Finished
from core.mlflow_layout import TAG_REFIT_FROM_RUN, TAG_REFIT_FROM_TRIAL, sweep_oof_artifact
from core.sweep.spec import SweepSpec

if TYPE_CHECKING:
    import pandas as pd
    from mlflow.tracking import MlflowClient

    from core.data.schema import Schema
    from core.train.predictions import Predictions
    from core.train.trainer import TrialResult

log = logging.getLogger("sweep-runner")


def warm_refit_imports() -> None:
    """Import what the final refit needs while the trials run, not after them."""
    try:
        import mlflow.sklearn  # noqa: F401
        import skops.io  # noqa: F401

        import core.train.trainer  # noqa: F401
    except Exception:  # the refit will raise the real error, with context
        log.debug("warm-up import failed", exc_info=True)


def rerun_predictions(frame: pd.DataFrame, schema: Schema, spec: SweepSpec, best: Finished) -> Predictions:
    """The trial's out-of-fold predictions, cross-validated again as the sweep did (same
    trainer, folds and seed: the same predictions), for a trial whose worker result is gone."""
    from core.train.predictions import split_order
    from core.train.trainer import cross_validate_trial

    result = cross_validate_trial(
        frame,
        schema,
        spec.model_family,
        best.params,
        primary_metric=spec.primary_metric,
        folds=spec.cv_folds,
        seed=spec.seed or 0,
    )
    return split_order(result)


def refit(job: SweepJob, spec: SweepSpec, best: Finished, predictions: Predictions | None = None) -> str:
    """Fit a trial's configuration on the whole train split; log it on the sweep's parent run,
    with the trial's out-of-fold ``predictions`` (re-run when not given). Returns the logged
    model's URI."""
    import mlflow
    import pandas as pd

    from core.data.schema import Schema
    from core.train.predictions import predictions_csv
    from core.train.tracking import log_model
    from core.train.trainer import fit_final

    frame = pd.read_csv(job.train_csv)
    schema = Schema.from_dict(job.schema)
    pipeline = fit_final(frame, schema, spec.model_family, best.params, spec.seed or 0)
    if predictions is None and best.run_id:
        log.info("re-running trial %s for its out-of-fold predictions", best.number)
        try:
            predictions = rerun_predictions(frame, schema, spec, best)
        except Exception:  # never cost the sweep its model: the Trials page re-runs it instead
            log.exception("out-of-fold predictions of trial %s failed", best.number)
    mlflow.set_tracking_uri(job.tracking_uri)
    with mlflow.start_run(run_id=job.run_id):
        info = log_model(pipeline, frame.head(500), name="model")
        mlflow.set_tags({TAG_REFIT_FROM_TRIAL: str(best.number), TAG_REFIT_FROM_RUN: best.run_id or ""})
        if predictions is not None and best.run_id:
            mlflow.log_text(predictions_csv(predictions), sweep_oof_artifact(best.run_id))
    return str(info.model_uri)


class Refits:
    """The early refit of one sweep, if one was started."""

    def __init__(self) -> None:
        self.early: tuple[int, threading.Thread, list[str]] | None = None  # trial, thread, [uri]
        self.predictions: tuple[int, Predictions] | None = None  # the best trial's, from its worker

    def keep_predictions(self, number: int, result: TrialResult | None) -> None:
        """Keep trial ``number``'s out-of-fold predictions (its worker's TrialResult): call it
        each time a new trial becomes the best; the refit stores them with the sweep."""
        from core.train.predictions import split_order

        if result is not None and not result.early_terminated and len(result.y_true):
            self.predictions = (number, split_order(result))

    def predictions_of(self, best: Finished) -> Predictions | None:
        """The kept predictions when they are ``best``'s, else None (the refit re-runs it)."""
        if self.predictions is not None and self.predictions[0] == best.number:
            return self.predictions[1]
        return None

    def start_early(self, job: SweepJob, spec: SweepSpec, best: Finished | None) -> None:
        """Refit ``best`` in a thread now (once per sweep)."""
        if best is None or self.early is not None:
            return
        result: list[str] = []
        number = best.number
        predictions = self.predictions_of(best)

        def work() -> None:
            try:
                result.append(refit(job, spec, best, predictions))
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
