"""Masking of secrets: keys and connection strings are never shown or logged in full."""

from __future__ import annotations

import re

_SECRET_FIELDS = re.compile(r"(?i)\b(AccountKey|SharedAccessSignature|SharedAccessKey|sig)=([^;&\s]+)")


def mask(secret: str, visible: int = 4) -> str:
    """Keep the first ``visible`` characters and replace the rest with a fixed-width mask."""
    if not secret:
        return ""
    if len(secret) <= visible * 2:
        return "•" * 8
    return secret[:visible] + "•" * 12


def mask_connection_string(connection_string: str) -> str:
    """Mask every key-like field of an Azure connection string, keeping the rest readable."""
    return _SECRET_FIELDS.sub(lambda m: f"{m.group(1)}={mask(m.group(2))}", connection_string)


def parse_connection_string(connection_string: str) -> dict[str, str]:
    """Split ``Key=Value;Key=Value`` into a dict; values may themselves contain '='."""
    parts: dict[str, str] = {}
    for piece in connection_string.strip().strip(";").split(";"):
        if not piece.strip():
            continue
        key, sep, value = piece.partition("=")
        if not sep:
            continue
        parts[key.strip()] = value.strip()
    return parts
