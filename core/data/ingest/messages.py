"""The wording the stages' errors and notes share: the fixes suggested, sizes, quoted names."""

from __future__ import annotations

__all__ = ["FIX_AGAIN", "FIX_EXPORT", "FIX_PICK", "MB", "mb", "quoted_list"]

MB = 1024 * 1024

FIX_EXPORT = "Export it as CSV (File > Save As > CSV) and upload that."
FIX_AGAIN = "Fix it in the file and upload it again."
FIX_PICK = "Check that you picked the right file and that it was saved with its data, then upload it again."


def mb(n_bytes: int) -> str:
    value = n_bytes / MB
    return f"{value:,.1f}".removesuffix(".0") + " MB" if value >= 1 else f"{value:.2g} MB"


def quoted_list(names: list[str], limit: int = 10) -> str:
    shown = ", ".join(repr(str(n)) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
