"""Calling an endpoint over HTTP: score a DataFrame, probe latency, test it on the held-out split.

The client speaks the scoring contract of :mod:`core.endpoint.app` (Azure's, for MLflow
models) with the standard library's ``http.client`` on a kept-alive connection. A ``connect``
callable can be passed in place of the real connection (tests inject failures that way).
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import numpy as np
import pandas as pd

from core.endpoint.evaluation import Evaluation, evaluate
from core.errors import UserFacingError

__all__ = [
    "EndpointCallError",
    "EndpointClient",
    "LatencyReport",
    "LiveTest",
    "ScoreResult",
    "records_payload",
    "split_payload",
    "score_test_split",
]

DEPLOYMENT_HEADER = "azureml-model-deployment"
Connect = Callable[[str, int, float], http.client.HTTPConnection]


class EndpointCallError(UserFacingError):
    """The endpoint answered with an error status (or not at all)."""

    def __init__(self, status: int | None, message: str) -> None:
        self.status = status
        where = f"The endpoint answered {status}: " if status else "The endpoint could not be reached: "
        super().__init__(where + message, _FIX.get(status or 0, "Check the endpoint's health."))


_FIX = {
    401: "Use the endpoint's current primary or secondary key.",
    404: "Pick one of the endpoint's deployments.",
    413: "Send fewer rows per request.",
    503: "Give a deployment some traffic, or name one in the request.",
}


@dataclass(frozen=True)
class ScoreResult:
    predictions: list[Any]
    classes: list[Any] | None
    probabilities: np.ndarray | None  # rows x classes, when asked for
    deployment: str | None  # the deployment that answered (its response header)
    seconds: float  # the round trip
    request_bytes: int


@dataclass(frozen=True)
class LatencyReport:
    first_ms: float  # one request on a new connection (the median of a few)
    samples_ms: list[float]  # the burst, on one kept-alive connection

    @property
    def p50_ms(self) -> float:
        return float(np.percentile(self.samples_ms, 50))

    @property
    def p95_ms(self) -> float:
        return float(np.percentile(self.samples_ms, 95))


def _plain_rows(frame: pd.DataFrame) -> list[list[Any]]:
    """Rows of plain Python values with missing values as None. Floats keep every digit:
    ``DataFrame.to_json`` would round them to 10 significant digits, enough to move a row
    across a tree's split threshold."""
    boxed = frame.astype(object)
    rows: list[list[Any]] = boxed.where(frame.notna(), None).to_numpy().tolist()
    return rows


def split_payload(frame: pd.DataFrame) -> dict[str, Any]:
    """``{"input_data": {"columns", "index", "data"}}``, ready for ``json.dumps``."""
    return {
        "input_data": {
            "columns": [str(c) for c in frame.columns],
            "index": [i if isinstance(i, int | str) else str(i) for i in frame.index.tolist()],
            "data": _plain_rows(frame),
        }
    }


def records_payload(frame: pd.DataFrame) -> dict[str, Any]:
    """``{"data": [{record}, ...]}``, the classic tutorial's ``score.py`` body."""
    columns = [str(c) for c in frame.columns]
    return {"data": [dict(zip(columns, row, strict=True)) for row in _plain_rows(frame)]}


class EndpointClient:
    def __init__(
        self,
        scoring_uri: str,
        key: str,
        *,
        deployment: str | None = None,
        timeout: float = 60.0,
        connect: Connect | None = None,
    ) -> None:
        parsed = urlparse(scoring_uri)
        if parsed.scheme != "http" or not parsed.hostname or not parsed.port:
            raise UserFacingError(
                f"'{scoring_uri}' is not a local scoring URI.", "Use the endpoint's scoring URI."
            )
        self.host, self.port, self.path = parsed.hostname, parsed.port, parsed.path or "/score"
        self.key = key
        self.deployment = deployment
        self.timeout = timeout
        self._connect = connect or (
            lambda host, port, timeout: http.client.HTTPConnection(host, port, timeout=timeout)
        )
        self._conn: http.client.HTTPConnection | None = None

    def __repr__(self) -> str:  # never the key
        return f"EndpointClient({self.host}:{self.port}{self.path}, deployment={self.deployment!r})"

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def post(self, body: bytes, query: str = "", fresh: bool = False) -> tuple[int, dict[str, str], bytes]:
        """One POST to the scoring route; reconnects once if a kept-alive connection was dropped."""
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.key}"}
        if self.deployment:
            headers[DEPLOYMENT_HEADER] = self.deployment
        if fresh:
            self.close()
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = self._connect(self.host, self.port, self.timeout)
            try:
                self._conn.request("POST", self.path + query, body, headers)
                response = self._conn.getresponse()
                return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
            except (ConnectionError, http.client.HTTPException) as exc:
                self.close()
                if attempt == 2:
                    raise EndpointCallError(None, f"{type(exc).__name__}: {exc}") from None
            except OSError as exc:
                self.close()
                raise EndpointCallError(None, f"{type(exc).__name__}: {exc}") from None
        raise AssertionError("unreachable")

    def score(
        self, frame: pd.DataFrame, *, probabilities: bool = False, records: bool = False
    ) -> ScoreResult:
        """Score every row of ``frame`` (feature columns only) in one request."""
        payload = records_payload(frame) if records else split_payload(frame)
        body = json.dumps(payload, allow_nan=False).encode()
        started = time.perf_counter()
        status, headers, raw = self.post(body, "?probabilities=true" if probabilities else "")
        seconds = time.perf_counter() - started
        answer = _decode(status, raw)
        if probabilities:
            return ScoreResult(
                list(answer["predictions"]),
                list(answer["classes"]),
                np.asarray(answer["probabilities"], dtype=np.float64),
                headers.get(DEPLOYMENT_HEADER),
                seconds,
                len(body),
            )
        return ScoreResult(list(answer), None, None, headers.get(DEPLOYMENT_HEADER), seconds, len(body))

    def latency(self, row: pd.DataFrame, burst: int = 20, fresh: int = 3) -> LatencyReport:
        """``burst`` single-row requests on one kept-alive connection, then ``fresh`` requests
        each on a new connection (their median is the one-request round trip)."""
        body = json.dumps(split_payload(row.head(1)), allow_nan=False).encode()

        def once(new_connection: bool) -> float:
            started = time.perf_counter()
            status, _, raw = self.post(body, fresh=new_connection)
            elapsed = (time.perf_counter() - started) * 1000
            _decode(status, raw)
            return elapsed

        once(True)  # connect and warm up
        samples = [once(False) for _ in range(burst)]
        singles = [once(True) for _ in range(max(1, fresh))]
        return LatencyReport(float(np.median(singles)), samples)


def _decode(status: int, raw: bytes) -> Any:
    try:
        answer = json.loads(raw) if raw else None
    except ValueError:
        answer = None
    if status != 200:
        message = answer.get("error", {}).get("message") if isinstance(answer, dict) else None
        raise EndpointCallError(status, str(message or raw[:300].decode(errors="replace")))
    if answer is None:
        raise EndpointCallError(status, "the answer was not JSON.")
    return answer


@dataclass(frozen=True)
class LiveTest:
    """The held-out split scored by the endpoint in one request, with the metrics."""

    result: ScoreResult
    evaluation: Evaluation
    table: pd.DataFrame  # features, truth, prediction, correct (and p(class) columns)


def score_test_split(client: EndpointClient, test: pd.DataFrame, schema: Any) -> LiveTest:
    """Send the held-out test split (without its target) in one request and evaluate the answer.

    ``schema`` is the dataset's :class:`core.data.schema.Schema`; the truth is the target as the
    model was trained to predict it (:func:`core.train.target.target_values`).
    """
    from core.data.schema import Task
    from core.train.target import feature_frame, target_values

    features = feature_frame(test, schema)
    truth = target_values(test, schema)
    classification = schema.task == Task.CLASSIFICATION
    result = client.score(features, probabilities=classification)
    evaluation = evaluate(truth, result.predictions, result.probabilities, result.classes, schema.task)
    table = features.copy()
    table.insert(0, "prediction", result.predictions)
    table.insert(0, f"{schema.target} (truth)", truth)
    if classification:
        table.insert(
            2, "correct", np.asarray(result.predictions, dtype=object) == np.asarray(truth, dtype=object)
        )
        if result.probabilities is not None and result.classes is not None:
            for i, label in enumerate(result.classes):
                table.insert(3 + i, f"p({label})", np.round(result.probabilities[:, i], 4))
    else:
        table.insert(2, "error", np.asarray(result.predictions, dtype=np.float64) - truth.astype(np.float64))
    return LiveTest(result, evaluation, table)
