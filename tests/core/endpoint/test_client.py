"""The scoring client against a real HTTPS server that answers like an Azure managed online endpoint.

The server is the standard library's ``http.server`` behind TLS, with a certificate signed by a
certificate authority made in the test (with the ``cryptography`` package, else the ``openssl``
command). It checks the Bearer key, reads the split-orientation body and answers a bare JSON list,
as Azure's no-code MLflow deployments do; a path of ``/<status>/score`` answers that status, with
the body or headers Azure sends.
"""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

from core.endpoint.client import DEPLOYMENT_HEADER, EndpointCallError, EndpointClient
from core.errors import UserFacingError

KEY = "test-key-0123456789abcdef"
ROWS = pd.DataFrame({"age": [63, 37, 41], "chol": [233.0, 250.5, None]})


@dataclass
class Served:
    """The running server: its base URI, the CA's certificate file and what it saw."""

    base: str
    ca_file: Path
    connections: set[tuple[str, int]] = field(default_factory=set)
    headers: list[dict[str, str]] = field(default_factory=list)

    def trusting_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))


def _certificates_with_cryptography(folder: Path) -> tuple[Path, Path, Path]:
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test scoring CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_file.write_bytes(ca.public_bytes(pem))
    cert_file.write_bytes(cert.public_bytes(pem))
    key_file.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca_file, cert_file, key_file


def _certificates_with_openssl(folder: Path, openssl: str) -> tuple[Path, Path, Path]:
    ca_file, ca_key = folder / "ca.pem", folder / "ca.key"
    cert_file, key_file, request = folder / "server.pem", folder / "server.key", folder / "server.csr"
    extensions = folder / "server.ext"
    extensions.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    for command in (
        ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        + ["-keyout", str(ca_key), "-out", str(ca_file), "-days", "1", "-subj", "/CN=Test scoring CA"],
        ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        + ["-keyout", str(key_file), "-out", str(request), "-subj", "/CN=localhost"],
        ["x509", "-req", "-in", str(request), "-CA", str(ca_file), "-CAkey", str(ca_key)]
        + ["-CAcreateserial", "-out", str(cert_file), "-days", "1", "-extfile", str(extensions)],
    ):
        subprocess.run([openssl, *command], check=True, capture_output=True)
    return ca_file, cert_file, key_file


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for localhost and 127.0.0.1: (CA, certificate, key) files."""
    try:
        import cryptography  # noqa: F401
    except ImportError:
        openssl = shutil.which("openssl")
        if openssl is None:
            pytest.skip("neither the cryptography package nor the openssl command is installed")
        return _certificates_with_openssl(folder, openssl)
    return _certificates_with_cryptography(folder)


def _handler(served: Served) -> type[BaseHTTPRequestHandler]:
    class ScoringHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keeps connections alive, as Azure's gateway does

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
            pass

        def do_POST(self) -> None:
            served.connections.add(self.client_address)
            served.headers.append({k.lower(): v for k, v in self.headers.items()})
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            parts = self.path.split("?")[0].strip("/").split("/")
            if self.headers.get("Authorization") != f"Bearer {KEY}":
                self._answer(401, b"")  # Azure's gateway answers 401 with no body
            elif len(parts) == 2 and parts[0].isdigit():
                self._status(int(parts[0]))
            else:
                self._score(body)

        def _score(self, body: bytes) -> None:
            frame = json.loads(body)["input_data"]
            assert set(frame) == {"columns", "index", "data"}, "split orientation"
            predictions = [int(row[0] > 50) for row in frame["data"]]
            extra = {DEPLOYMENT_HEADER: self.headers.get(DEPLOYMENT_HEADER) or "blue"}
            self._answer(200, json.dumps(predictions).encode(), extra)

        def _status(self, status: int) -> None:
            body = json.dumps({"message": f"Azure says {status}"}).encode()
            if status == 424:  # the model's own error, in headers (Azure's troubleshooting page)
                reason = {"ms-azureml-model-error-statuscode": "500"}
                reason["ms-azureml-model-error-reason"] = "ValueError: could not convert 'abc' to float"
                return self._answer(424, body, reason)
            if status == 429 and "later" in self.path:  # Azure's throttling may say when to retry
                return self._answer(429, body, {"Retry-After": "17"})
            self._answer(status, body)

        def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    return ScoringHandler


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A real HTTPS scoring server on a free loopback port, stopped after the module."""
    folder = tmp_path_factory.mktemp("tls")
    ca_file, cert_file, key_file = make_certificates(folder)
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    served = Served(f"https://127.0.0.1:{server.server_address[1]}", ca_file)
    server.RequestHandlerClass = _handler(served)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def test_scores_over_https_on_one_kept_alive_connection(served: Served) -> None:
    client = EndpointClient(f"{served.base}/score", KEY, ssl_context=served.trusting_context())
    assert (client.scheme, client.host, client.path) == ("https", "127.0.0.1", "/score")
    before = set(served.connections)
    first = client.score(ROWS)
    second = client.score(ROWS)
    assert first.predictions == second.predictions == [1, 0, 0]
    assert len(served.connections - before) == 1, "the second request reuses the connection"
    assert served.headers[-1]["authorization"] == f"Bearer {KEY}"
    assert DEPLOYMENT_HEADER not in served.headers[-1], "no deployment asked for: the traffic split picks"
    assert first.deployment == "blue"
    client.close()


def test_the_deployment_header_picks_a_deployment_over_https(served: Served) -> None:
    context = served.trusting_context()
    picked = EndpointClient(f"{served.base}/score", KEY, deployment="green", ssl_context=context).score(ROWS)
    assert served.headers[-1][DEPLOYMENT_HEADER] == "green" and picked.deployment == "green"


def test_an_untrusted_certificate_is_refused_in_words(served: Served) -> None:
    """Without the test's CA the default context verifies the certificate and refuses it."""
    client = EndpointClient(f"{served.base}/score", KEY)
    with pytest.raises(EndpointCallError) as caught:
        client.score(ROWS)
    error = caught.value
    assert error.status is None and "could not be verified" in str(error) and "certificate" in str(error)
    assert "ssl_context" in error.fix and "scoring URI" in error.fix
    assert "Traceback" not in str(error) and "SSLCertVerificationError" not in str(error)
    assert error.__cause__ is None and error.__suppress_context__
    assert KEY not in str(error) and KEY not in repr(client)


def test_http_to_an_https_endpoint_is_explained(served: Served) -> None:
    client = EndpointClient(served.base.replace("https://", "http://") + "/score", KEY, timeout=10)
    with pytest.raises(EndpointCallError, match="closed the connection without an answer") as caught:
        client.score(ROWS)
    assert caught.value.status is None and "https:// for an Azure endpoint" in caught.value.fix
    assert "Traceback" not in str(caught.value) and "Error" not in caught.value.problem


def test_a_throttled_answer_with_retry_after_says_when_to_retry(served: Served) -> None:
    client = EndpointClient(f"{served.base}/429/score-later", KEY, ssl_context=served.trusting_context())
    with pytest.raises(EndpointCallError) as caught:
        client.score(ROWS)
    error = caught.value
    assert error.status == 429 and "Azure says 429" in error.problem
    assert "retry after 17 s (Azure's Retry-After), or add instances" in error.fix


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (401, "current primary or secondary key"),
        (403, "allowed to score it"),
        (404, "Pick one of the endpoint's deployments"),
        (408, "timed out: send fewer rows per request, or retry"),
        (413, "Send fewer rows per request"),
        (424, "model raised an error while scoring: check the deployment's logs"),
        (429, "throttled: wait a moment and retry, or add instances"),
        (502, "check the deployment's logs"),
        (503, "Give a deployment some traffic"),
        (504, "timed out: send fewer rows per request, or retry"),
    ],
)
def test_each_azure_status_is_explained(served: Served, status: int, words: str) -> None:
    key = "wrong-key" if status == 401 else KEY
    client = EndpointClient(f"{served.base}/{status}/score", key, ssl_context=served.trusting_context())
    with pytest.raises(EndpointCallError) as caught:
        client.score(ROWS)
    error = caught.value
    assert error.status == status and isinstance(error, UserFacingError)
    assert words in error.fix and str(error).startswith(f"The endpoint answered {status}: ")
    if status == 401:
        assert "Unauthorized" in error.problem, "an empty body is named by its status"
    elif status == 424:
        assert "the model answered 500: ValueError: could not convert 'abc' to float" in error.problem
    else:
        assert f"Azure says {status}" in error.problem
    assert "wrong-key" not in str(error) and KEY not in str(error)


@pytest.mark.parametrize(
    ("uri", "scheme", "port", "path"),
    [
        ("https://heart-ep.eastus.inference.ml.azure.com/score", "https", 443, "/score"),
        ("https://heart-ep.eastus.inference.ml.azure.com:8443/score", "https", 8443, "/score"),
        ("http://127.0.0.1:5001/score", "http", 5001, "/score"),
        ("http://localhost/score", "http", 80, "/score"),
        ("  HTTPS://heart-ep.eastus.inference.ml.azure.com  ", "https", 443, "/score"),
    ],
)
def test_the_scoring_uris_the_client_accepts(uri: str, scheme: str, port: int, path: str) -> None:
    client = EndpointClient(uri, KEY)
    assert (client.scheme, client.port, client.path) == (scheme, port, path)
    assert KEY not in repr(client) and f"{scheme}://" in repr(client)


@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        ("ftp://heart-ep.eastus.inference.ml.azure.com/score", "'ftp://' is not https:// or http://"),
        ("heart-ep.eastus.inference.ml.azure.com/score", "does not start with https:// or http://"),
        ("https:///score", "names no host"),
        ("https://heart-ep.eastus.inference.ml.azure.com/score?x=1", "has a query or a fragment"),
        ("https://heart-ep.eastus.inference.ml.azure.com/score#top", "has a query or a fragment"),
        ("https://heart-ep.eastus.inference.ml.azure.com/my score", "contains a space"),
        ("http://127.0.0.1:99999/score", "port is not a number from 1 to 65535"),
        ("http://127.0.0.1:abc/score", "port is not a number from 1 to 65535"),
        ("https://user:s3cret-pw@heart-ep.eastus.inference.ml.azure.com/score", "user name or password"),
        ("https://user:s3cret-pw@[::1/score", "not a well-formed URI"),
        ("http://[::1/score", "not a well-formed URI"),
        ("   ", "it is empty"),
    ],
)
def test_what_cannot_be_a_scoring_uri_is_refused_in_words(uri: str, problem: str) -> None:
    with pytest.raises(UserFacingError) as caught:
        EndpointClient(uri, KEY)
    error = caught.value
    assert not isinstance(error, EndpointCallError)
    assert "is not a scoring URI" in error.problem and problem in error.problem
    assert error.fix.startswith("Copy the scoring URI from the endpoint's page")
    assert "s3cret-pw" not in str(error), "a password in the URI is never shown"


def test_nothing_listening_is_explained() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(EndpointCallError, match=f"nothing answers at 127.0.0.1:{port}") as caught:
        EndpointClient(f"http://127.0.0.1:{port}/score", KEY).score(ROWS)
    assert "Start the endpoint" in caught.value.fix
