"""Calling an endpoint over HTTP(S): score a DataFrame, probe latency, test it on the held-out split.

The client speaks the scoring contract of :mod:`core.endpoint.app` (Azure's, for MLflow
models) with the standard library's ``http.client`` on a kept-alive connection: plain HTTP to a
local endpoint, HTTPS with the certificate verified to an Azure managed online endpoint
(``https://<name>.<region>.inference.ml.azure.com/score``). A ``connect`` callable can be passed
in place of the real connection.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

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

    def __init__(self, status: int | None, message: str, fix: str | None = None) -> None:
        self.status = status
        where = f"The endpoint answered {status}: " if status else "The endpoint could not be reached: "
        super().__init__(where + message, fix or _FIX.get(status or 0, "Check the endpoint's health."))


_TIMED_OUT = "The request timed out: send fewer rows per request, or retry."
# The statuses Azure's managed online endpoints answer (the "HTTP status codes" table of Azure's
# "Troubleshoot online endpoint deployment and scoring"); the local server answers 401/404/413/503.
_FIX = {
    401: "Use the endpoint's current primary or secondary key.",
    403: "Use a key of this endpoint, or a token of an identity allowed to score it.",
    404: "Pick one of the endpoint's deployments, or copy the scoring URI again from the endpoint's page "
    "(on Azure, 404 also means no deployment has traffic).",
    408: _TIMED_OUT,
    413: "Send fewer rows per request.",
    424: "The model raised an error while scoring: check the deployment's logs.",
    429: "The endpoint is throttled: wait a moment and retry, or add instances to the deployment.",
    502: "The deployment's scoring code crashed: check the deployment's logs, then retry.",
    503: "Give a deployment some traffic, or name one in the request; if it has traffic, the deployment "
    "is scaling: wait a moment and retry.",
    504: _TIMED_OUT,
}
_MODEL_ERROR_HEADERS = ("ms-azureml-model-error-statuscode", "ms-azureml-model-error-reason")
_URI_FIX = (
    "Copy the scoring URI from the endpoint's page, such as "
    "'https://<endpoint>.<region>.inference.ml.azure.com/score' (Azure) or "
    "'http://127.0.0.1:<port>/score' (a local endpoint)."
)


@dataclass(frozen=True)
class ScoringTarget:
    """Where a scoring URI points: ``https`` or ``http``, the host, the port and the path."""

    scheme: str
    host: str
    port: int
    path: str


def parse_scoring_uri(uri: str) -> ScoringTarget:
    """Check a scoring URI and split it; anything that cannot be one raises with what is wrong."""
    text = uri.strip()
    try:
        parts = urlsplit(text)
        problem = _uri_problem(text, parts)
    except ValueError:  # an unclosed '[' of an IPv6 host, or a port that is not a number
        parts, problem = urlsplit(""), "it is not a well-formed URI (check the host and the port)"
    if problem:
        shown = re.sub(r"(?<=//)[^/?#]*@", "***@", text)  # never a password written into the URI
        raise UserFacingError(f"'{shown[:200]}' is not a scoring URI: {problem}.", _URI_FIX)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return ScoringTarget(scheme, str(parts.hostname), port, parts.path or "/score")


def _uri_problem(text: str, parts: SplitResult) -> str | None:
    if not text:
        return "it is empty"
    if any(c.isspace() for c in text):
        return "it contains a space"
    if parts.scheme.lower() not in ("http", "https"):
        if "://" not in text:
            return "it does not start with https:// or http://"
        return f"'{parts.scheme}://' is not https:// or http://"
    if parts.username is not None or parts.password is not None:
        return "it carries a user name or password (the key goes in the key field)"
    if not parts.hostname:
        return "it names no host"
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        return "its port is not a number from 1 to 65535"
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        return "it has a query or a fragment ('?…' or '#…'), which a scoring URI never has"
    return None


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
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """``ssl_context`` replaces the default one (certificates verified against the system's
        authorities) for an https URI: a test's own CA, or an Azure Stack's private one."""
        target = parse_scoring_uri(scoring_uri)
        self.scheme, self.host, self.port, self.path = target.scheme, target.host, target.port, target.path
        self.key = key
        self.deployment = deployment
        self.timeout = timeout
        self._connect = connect or _connector(target.scheme, ssl_context)
        self._conn: http.client.HTTPConnection | None = None

    def __repr__(self) -> str:  # never the key
        where = f"{self.scheme}://{self.host}:{self.port}{self.path}"
        return f"EndpointClient({where}, deployment={self.deployment!r})"

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
            except _FINAL as exc:
                self.close()
                raise self._unreachable(exc) from None
            except (ConnectionError, http.client.HTTPException, ssl.SSLError) as exc:
                self.close()  # a kept-alive connection the server dropped: one more try on a new one
                if attempt == 2:
                    raise self._unreachable(exc) from None
            except OSError as exc:
                self.close()
                raise self._unreachable(exc) from None
        raise AssertionError("unreachable")

    def _unreachable(self, exc: BaseException) -> EndpointCallError:
        """No answer at all: what went wrong, in words, without the exception's class or traceback."""
        where = f"{self.host}:{self.port}"
        if isinstance(exc, ssl.SSLCertVerificationError):
            return EndpointCallError(
                None,
                f"the certificate of {where} could not be verified ({exc.verify_message or exc.reason}).",
                "Copy the scoring URI again from the endpoint's page (the host must be the endpoint's "
                "own); an endpoint behind a private certificate authority needs that authority's "
                "certificate in the client's ssl_context.",
            )
        if isinstance(exc, ssl.SSLError):
            return EndpointCallError(
                None,
                f"the secure connection to {where} failed ({exc.reason or exc}).",
                "Check the scheme: https:// for an Azure endpoint, http:// for a local one.",
            )
        if isinstance(exc, socket.gaierror):
            return EndpointCallError(None, f"the host name '{self.host}' is not known.", _URI_FIX)
        if isinstance(exc, TimeoutError):
            return EndpointCallError(None, f"no answer from {where} within {self.timeout:g} s.", _TIMED_OUT)
        if isinstance(exc, ConnectionRefusedError):
            return EndpointCallError(
                None,
                f"nothing answers at {where}.",
                "Start the endpoint (a local one), or copy the scoring URI again from the endpoint's page.",
            )
        if isinstance(exc, ConnectionError | http.client.RemoteDisconnected):
            return EndpointCallError(
                None,
                f"{where} closed the connection without an answer.",
                "Check the scheme (https:// for an Azure endpoint, http:// for a local one), then the "
                "endpoint's health.",
            )
        return EndpointCallError(None, f"{type(exc).__name__}: {exc}")

    def score(
        self, frame: pd.DataFrame, *, probabilities: bool = False, records: bool = False
    ) -> ScoreResult:
        """Score every row of ``frame`` (feature columns only) in one request."""
        payload = records_payload(frame) if records else split_payload(frame)
        body = json.dumps(payload, allow_nan=False).encode()
        started = time.perf_counter()
        status, headers, raw = self.post(body, "?probabilities=true" if probabilities else "")
        seconds = time.perf_counter() - started
        answer = _decode(status, raw, headers)
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
            status, headers, raw = self.post(body, fresh=new_connection)
            elapsed = (time.perf_counter() - started) * 1000
            _decode(status, raw, headers)
            return elapsed

        once(True)  # connect and warm up
        samples = [once(False) for _ in range(burst)]
        singles = [once(True) for _ in range(max(1, fresh))]
        return LatencyReport(float(np.median(singles)), samples)


_FINAL = (ssl.SSLCertVerificationError, socket.gaierror, TimeoutError, ConnectionRefusedError)


def _connector(scheme: str, context: ssl.SSLContext | None) -> Connect:
    if scheme == "https":
        verified = context or ssl.create_default_context()
        return lambda host, port, timeout: http.client.HTTPSConnection(
            host, port, timeout=timeout, context=verified
        )
    return lambda host, port, timeout: http.client.HTTPConnection(host, port, timeout=timeout)


def _decode(status: int, raw: bytes, headers: dict[str, str] | None = None) -> Any:
    try:
        answer = json.loads(raw) if raw else None
    except ValueError:
        answer = None
    if status != 200:
        said = headers or {}
        raise EndpointCallError(status, _error_message(status, answer, raw, said), _retry_fix(status, said))
    if answer is None:
        raise EndpointCallError(status, "the answer was not JSON.")
    return answer


def _retry_fix(status: int, headers: dict[str, str]) -> str | None:
    """For a throttled request (429) with Azure's ``Retry-After`` seconds: when to retry."""
    wait = headers.get("retry-after", "").strip()
    if status != 429 or not wait.isdigit():
        return None
    return (
        f"The endpoint is throttled: retry after {int(wait)} s (Azure's Retry-After), or add instances "
        "to the deployment."
    )


def _error_message(status: int, answer: Any, raw: bytes, headers: dict[str, str]) -> str:
    """The error's own words: the local server's ``{"error": {"message"}}``, Azure's
    ``{"message"}``, the model's error headers (424), else the body or the status's name."""
    message: Any = None
    if isinstance(answer, dict):
        error = answer.get("error")
        message = error.get("message") if isinstance(error, dict) else answer.get("message") or error
    code, reason = (headers.get(h) for h in _MODEL_ERROR_HEADERS)
    if reason or code:
        model = f"the model answered {code}" if code else "the model failed"
        message = f"{model}: {reason}" if reason else model
    text = str(message or raw[:300].decode(errors="replace")).strip()
    return text or http.client.responses.get(status, "an error") + "."


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
