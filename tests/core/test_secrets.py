from __future__ import annotations

import pytest

from core.secrets import mask, mask_connection_string, parse_connection_string

KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
CONN = f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={KEY};BlobEndpoint=http://h/x;"


def test_mask_hides_all_but_a_prefix() -> None:
    assert mask(KEY) == "Eby8" + "•" * 12
    assert mask("short") == "•" * 8
    assert mask("") == ""


def test_connection_string_keeps_names_and_hides_the_key() -> None:
    masked = mask_connection_string(CONN)
    assert KEY not in masked and KEY[4:20] not in masked
    assert "AccountName=devstoreaccount1" in masked and "BlobEndpoint=http://h/x" in masked


def test_parse_keeps_equals_signs_inside_values() -> None:
    assert parse_connection_string(CONN)["AccountKey"] == KEY


def test_a_secret_is_masked_wherever_it_is_printed(caplog: pytest.LogCaptureFixture) -> None:
    import logging
    import pickle

    from core.backend import Secret

    raw = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=c2VjcmV0LWtleS12YWx1ZS0xMjM0NTY3ODkw"
    secret = Secret(raw, connection_string=True)
    key = "c2VjcmV0LWtleS12YWx1ZS0xMjM0NTY3ODkw"
    for shown in (str(secret), repr(secret), f"{secret}", f"{secret!s:>10}", secret.masked):
        assert key not in shown and "AccountName=acct" in shown
    with caplog.at_level(logging.INFO):
        logging.getLogger("test").info("connecting with %s", secret)
    assert key not in caplog.text
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    assert secret.reveal() == raw and secret == Secret(raw) and bool(secret)
