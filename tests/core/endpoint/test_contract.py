"""The scoring contract on a real server process, over HTTP: every status code, and predictions
equal to the logged model's own on the same rows."""

from __future__ import annotations

import http.client
import json
import socket
from typing import Any

import mlflow
import numpy as np
import pytest

from core.endpoint.client import EndpointCallError, EndpointClient, records_payload, split_payload
from tests.core.endpoint.conftest import body_of

PATH = "/score"


def call(
    served: dict[str, Any],
    body: bytes,
    *,
    key: str | None = "primary",
    headers: dict[str, str] | None = None,
    query: str = "",
    method: str = "POST",
    path: str = PATH,
) -> tuple[int, dict[str, str], Any]:
    record = served["record"]
    sent = {"Content-Type": "application/json", **(headers or {})}
    if key in ("primary", "secondary"):
        sent["Authorization"] = f"Bearer {getattr(served['keys'], key).reveal()}"
    elif key is not None:
        sent["Authorization"] = key
    conn = http.client.HTTPConnection("127.0.0.1", record.port, timeout=30)
    try:
        conn.request(method, path + query, body, sent)
        response = conn.getresponse()
        raw = response.read()
    finally:
        conn.close()
    try:
        decoded = json.loads(raw)
    except ValueError:
        decoded = raw.decode()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, decoded


def error_of(answer: Any) -> str:
    return str(answer["error"]["message"])


def test_split_orientation_returns_a_bare_list_equal_to_the_models_own(served: dict[str, Any]) -> None:
    rows = served["features"].head(60)
    status, headers, answer = call(served, body_of(rows))
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert headers["azureml-model-deployment"] == "heart-classify-deployment"
    assert isinstance(answer, list) and len(answer) == 60
    assert answer == served["model"].pipeline.predict(rows).tolist()
    # the registered model itself, loaded by MLflow's pyfunc flavour, agrees as well
    mlflow.set_tracking_uri(served["ws"].tracking_uri)
    try:
        pyfunc = mlflow.pyfunc.load_model(f"models:/{served['model'].name}/{served['model'].version}")
    finally:
        mlflow.set_tracking_uri(None)
    assert answer == np.asarray(pyfunc.predict(rows)).tolist()


def test_records_body_as_in_the_classic_score_py(served: dict[str, Any]) -> None:
    rows = served["features"].tail(7)
    status, _, answer = call(served, json.dumps(records_payload(rows)).encode())
    assert status == 200 and answer == served["model"].pipeline.predict(rows).tolist()


def test_whole_floats_nulls_and_probabilities(served: dict[str, Any]) -> None:
    rows = served["features"].head(4)
    payload = split_payload(rows)
    payload["input_data"]["data"] = [[float(v) for v in row] for row in payload["input_data"]["data"]]  # 63.0
    payload["input_data"]["data"][1][0] = None  # a missing age: the pipeline imputes it
    status, _, answer = call(served, json.dumps(payload).encode())
    assert status == 200 and len(answer) == 4
    assert answer[0] == served["model"].pipeline.predict(rows.head(1)).tolist()[0]

    expected = served["model"].pipeline.predict_proba(rows)
    for query, body in (
        ("?probabilities=true", body_of(rows)),
        ("", json.dumps({**split_payload(rows), "params": {"probabilities": True}}).encode()),
    ):
        status, _, answer = call(served, body, query=query)
        assert status == 200
        assert answer["predictions"] == served["model"].pipeline.predict(rows).tolist()
        assert answer["classes"] == [0, 1]
        assert np.allclose(answer["probabilities"], expected)


@pytest.mark.parametrize(
    ("key", "why"),
    [
        (None, "no header"),
        ("Bearer wrong-key", "a wrong key"),
        ("Basic abc", "another scheme"),
        ("Bearer ", "an empty key"),
    ],
)
def test_401_without_a_valid_key(served: dict[str, Any], key: str | None, why: str) -> None:
    status, headers, answer = call(served, body_of(served["features"].head(1)), key=key)
    assert status == 401, why
    assert "Authorization: Bearer" in error_of(answer)
    assert headers["www-authenticate"].startswith("Bearer")


def test_the_secondary_key_works_too(served: dict[str, Any]) -> None:
    status, _, _ = call(served, body_of(served["features"].head(1)), key="secondary")
    assert status == 200


def test_a_wrong_key_gets_401_before_the_body_is_even_checked(served: dict[str, Any]) -> None:
    status, _, _ = call(served, b"{not json", key="Bearer nope")
    assert status == 401


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"{not json", "not valid JSON"),
        (b"", "body is empty"),
        (b'{"input_data": {"columns": ["age"], "data": [[63]]}}', "missing columns 'sex'"),
        (b'{"data": []}', "no rows"),
        (b"[1, 2, 3]", "must be a JSON object"),
    ],
)
def test_400_names_the_problem(served: dict[str, Any], body: bytes, words: str) -> None:
    status, _, answer = call(served, body)
    assert status == 400
    assert answer["error"]["code"] == "BadRequest" and words in error_of(answer)


def test_400_for_unknown_columns_and_wrong_types(served: dict[str, Any]) -> None:
    rows = served["features"].head(2)
    payload = split_payload(rows.assign(cholesterol_ratio=1.5))
    status, _, answer = call(served, json.dumps(payload).encode())
    assert status == 400 and "unknown columns 'cholesterol_ratio'" in error_of(answer)

    payload = split_payload(rows)
    payload["input_data"]["data"][1][2] = "typical angina"
    status, _, answer = call(served, json.dumps(payload).encode())
    assert (
        status == 400
        and "Column 'cp' expects whole numbers (long); row 1 holds the text 'typical angina'"
        in error_of(answer)
    )


def test_400_for_too_many_rows(served: dict[str, Any]) -> None:
    rows = served["features"].sample(1001, replace=True, random_state=0)
    status, _, answer = call(served, body_of(rows))
    assert status == 400 and "1,001 rows; this endpoint takes at most 1,000" in error_of(answer)


def test_413_over_the_body_limit_with_and_without_a_length(served: dict[str, Any]) -> None:
    big = b'{"data": [' + b" " * (300 * 1024) + b"]}"
    status, _, answer = call(served, big)
    assert status == 413 and answer["error"]["code"] == "PayloadTooLarge"
    assert "256" in error_of(answer) or "262,144" in error_of(answer)
    # chunked, with no Content-Length: the server counts as it reads
    record, key = served["record"], served["keys"].primary.reveal()
    conn = http.client.HTTPConnection("127.0.0.1", record.port, timeout=30)
    conn.request(
        "POST",
        PATH,
        iter([big[i : i + 65536] for i in range(0, len(big), 65536)]),
        {"Authorization": f"Bearer {key}"},
        encode_chunked=True,
    )
    response = conn.getresponse()
    assert response.status == 413
    conn.close()


def test_404_for_an_unknown_deployment_header(served: dict[str, Any]) -> None:
    status, _, answer = call(
        served, body_of(served["features"].head(1)), headers={"azureml-model-deployment": "green"}
    )
    assert status == 404 and "no deployment 'green'" in error_of(answer)
    status, headers, _ = call(
        served,
        body_of(served["features"].head(1)),
        headers={"azureml-model-deployment": "heart-classify-deployment"},
    )
    assert status == 200 and headers["azureml-model-deployment"] == "heart-classify-deployment"


def test_other_routes(served: dict[str, Any]) -> None:
    assert call(served, b"", method="GET", path="/")[2] == "Healthy"
    status, _, info = call(served, b"", method="GET", path="/health", key=None)
    assert status == 200 and info["status"] == "Healthy" and info["endpoint"] == "heart-classify-endpoint"
    assert len(info["model_processes"]) == 2
    assert served["keys"].primary.reveal() not in json.dumps(info)
    assert call(served, b"", method="GET", path=PATH)[0] == 405


def test_a_garbage_request_line_does_not_hurt_the_server(served: dict[str, Any]) -> None:
    with socket.create_connection(("127.0.0.1", served["record"].port), timeout=10) as sock:
        sock.sendall(b"\x00\x01 NOT HTTP AT ALL\r\n\r\n")
        reply = sock.recv(200)
    assert reply.startswith(b"HTTP/1.1 400") or reply == b""
    assert call(served, b"", method="GET", path="/health", key=None)[0] == 200


def test_regenerated_key_takes_effect_without_a_restart(served: dict[str, Any]) -> None:
    ws = served["ws"]
    before = ws.endpoints.get("heart-classify-endpoint").health.info["instance_id"]
    old = served["keys"]
    new = ws.endpoints.regenerate_key("heart-classify-endpoint", "secondary")
    assert new.primary.reveal() == old.primary.reveal() and new.secondary.reveal() != old.secondary.reveal()
    rows = body_of(served["features"].head(1))
    assert call(served, rows, key=f"Bearer {old.secondary.reveal()}")[0] == 401
    assert call(served, rows, key=f"Bearer {new.secondary.reveal()}")[0] == 200
    assert ws.endpoints.get("heart-classify-endpoint").health.info["instance_id"] == before
    served["keys"] = new


def test_the_client_raises_a_clear_error(served: dict[str, Any]) -> None:
    client = EndpointClient(served["record"].scoring_uri, "wrong")
    with pytest.raises(EndpointCallError) as caught:
        client.score(served["features"].head(1))
    assert caught.value.status == 401 and "current primary or secondary key" in str(caught.value)
    assert "wrong" not in repr(client)
