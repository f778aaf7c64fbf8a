"""Reading uploaded CSV bytes: every quirk either loads with a note or fails with a DataError
that says what is wrong (naming the line, the column, the delimiter...) and how to fix it."""

from __future__ import annotations

import gzip
import inspect
import io
import random
import time
import zipfile

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from core.data.ingest import MAX_UPLOAD_MB, LoadedCsv, inert_text, load_csv
from core.data.ingest import load as ingest_load
from core.data.ingest import parse as ingest_parse
from core.errors import DataError


def rows(n: int, template: str = "{i},{x},{label}\n") -> str:
    """n data rows: an integer, a float and a short label, in the given layout."""
    return "".join(template.format(i=i, x=i * 1.5, label=f"v{i % 3}") for i in range(n))


GOOD = "a,b,c\n" + rows(20)


def fails(raw: bytes, *words: str, **options: object) -> str:
    """Assert load_csv raises a DataError whose text has every word; return the text."""
    with pytest.raises(DataError) as caught:
        load_csv(raw, **options)  # type: ignore[arg-type]
    message = str(caught.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert caught.value.fix, "a DataError must say how to fix the problem"
    return message


# -- happy path and API ------------------------------------------------------------------


def test_plain_csv_loads_with_typed_columns_and_no_notes() -> None:
    loaded = load_csv(GOOD.encode(), "good.csv")
    assert isinstance(loaded, LoadedCsv)
    assert loaded.source_name == "good.csv"
    assert (loaded.encoding, loaded.delimiter, loaded.decimal) == ("utf-8", ",", ".")
    assert loaded.notes == ()
    assert list(loaded.frame.columns) == ["a", "b", "c"]
    assert loaded.frame.shape == (20, 3)
    assert loaded.frame["a"].dtype == np.int64
    assert loaded.frame["b"].dtype == np.float64
    assert not pd.api.types.is_numeric_dtype(loaded.frame["c"])


def test_matches_pandas_read_csv_on_a_clean_file() -> None:
    raw = ("id,score,label,flag,empty\n" + rows(50, "{i},{x},{label},True,\n")).encode()
    ours = load_csv(raw).frame
    theirs = pd.read_csv(io.BytesIO(raw))
    pd.testing.assert_frame_equal(ours, theirs)


def test_date_columns_stay_text_as_with_read_csv() -> None:
    raw = (
        "day,time,x\n" + "".join(f"2024-01-{i % 28 + 1:02d},12:00:{i % 60:02d},{i}\n" for i in range(20))
    ).encode()
    frame = load_csv(raw).frame
    assert frame["day"].iloc[0] == "2024-01-01"
    assert frame["time"].iloc[0] == "12:00:00"


def test_quoted_values_with_delimiters_and_line_breaks_load() -> None:
    raw = ("a,b\n" + "".join(f'{i},"x, y\nsecond line {i}"\n' for i in range(12))).encode()
    frame = load_csv(raw).frame
    assert frame.shape == (12, 2)
    assert frame["b"].iloc[3] == "x, y\nsecond line 3"


def test_max_upload_mb_mirrors_streamlit_config() -> None:
    assert MAX_UPLOAD_MB == 200


# -- encodings ------------------------------------------------------------------------------


def test_latin1_bytes_fall_back_and_note_the_encoding() -> None:
    raw = ("name,x\n" + "".join(f"caf\u00e9 {i},{i}\n" for i in range(12))).encode("latin-1")
    loaded = load_csv(raw)
    assert loaded.encoding == "latin-1"
    assert loaded.frame["name"].iloc[0] == "caf\u00e9 0"
    assert any("Latin-1" in note for note in loaded.notes)


def test_cp1252_smart_quotes_are_read_as_windows_1252() -> None:
    raw = ("name,x\n" + "".join(f"\u201cq{i}\u201d,{i}\n" for i in range(12))).encode("cp1252")
    loaded = load_csv(raw)
    assert loaded.encoding == "cp1252"
    assert loaded.frame["name"].iloc[0] == "\u201cq0\u201d"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_is_decoded_and_noted(codec: str) -> None:
    text = ("\ufeff" if codec != "utf-16" else "") + "nom,x\n" + "".join(f"é{i},{i}\n" for i in range(12))
    loaded = load_csv(text.encode(codec))
    assert loaded.encoding == "utf-16"
    assert list(loaded.frame.columns) == ["nom", "x"]
    assert loaded.frame["nom"].iloc[1] == "é1"
    assert any("UTF-16" in note for note in loaded.notes)


def test_utf16_without_bom_is_recognised() -> None:
    loaded = load_csv(GOOD.encode("utf-16-le"))
    assert loaded.encoding == "utf-16-le"
    assert loaded.frame.shape == (20, 3)


def test_utf8_bom_is_stripped_from_the_first_column_name() -> None:
    loaded = load_csv(("\ufeff" + GOOD).encode())
    assert loaded.encoding == "utf-8-sig"
    assert loaded.frame.columns[0] == "a"
    assert "\ufeff" not in "".join(loaded.frame.columns)
    assert any("BOM" in note for note in loaded.notes)


# -- delimiters and decimal marks -----------------------------------------------------------


def test_semicolon_and_decimal_comma_are_detected() -> None:
    raw = ("a;b;c\n" + rows(20, "{i};{i},5;v{i}\n")).encode()
    loaded = load_csv(raw)
    assert (loaded.delimiter, loaded.decimal) == (";", ",")
    assert loaded.frame["b"].iloc[1] == 1.5
    assert "Detected ';' as the delimiter." in loaded.notes
    assert any("decimal mark" in note for note in loaded.notes)


@pytest.mark.parametrize(("delimiter", "said"), [("\t", "tab"), ("|", "'|'")])
def test_other_delimiters_are_detected(delimiter: str, said: str) -> None:
    raw = GOOD.replace(",", delimiter).encode()
    loaded = load_csv(raw)
    assert loaded.delimiter == delimiter
    assert loaded.frame.shape == (20, 3)
    assert f"Detected {said} as the delimiter." in loaded.notes


def test_a_delimiter_passed_by_the_caller_is_used() -> None:
    raw = ("a;b;c,d\n" + rows(12, "{i};{i};{i},{i}\n")).encode()
    assert load_csv(raw).delimiter == ";"
    loaded = load_csv(raw, delimiter=",", decimal=".")
    assert loaded.delimiter == ","
    assert list(loaded.frame.columns) == ["a;b;c", "d"]


def test_a_wrong_delimiter_choice_is_noted() -> None:
    loaded = load_csv(GOOD.encode(), delimiter=";")
    assert loaded.frame.shape == (20, 1)
    assert loaded.decimal == "."
    assert any("Only one column" in note for note in loaded.notes)


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"delimiter": "ab"}, ["'ab'", "delimiter"]),
        ({"decimal": ";"}, ["';'", "decimal mark"]),
        ({"delimiter": ",", "decimal": ","}, ["both ','"]),
    ],
)
def test_invalid_options_are_data_errors(options: dict[str, str], words: list[str]) -> None:
    fails(GOOD.encode(), *words, **options)


# -- structure: ragged rows, quotes, duplicate names -----------------------------------------


def test_ragged_row_names_its_line() -> None:
    raw = ("a,b,c\n1,2,3\n4,5,6\n7,8,9\n10,11\n" + rows(12)).encode()
    fails(raw, "Line 5", "2 fields", "header (line 1) has 3")


def test_row_with_an_extra_field_names_its_line() -> None:
    raw = ("a,b,c\n" + rows(12) + "1,2,3,4\n" + rows(3)).encode()
    fails(raw, "Line 14", "4 fields")


def test_ragged_row_far_into_a_large_file_is_found_quickly() -> None:
    body = rows(200_000).splitlines(keepends=True)
    body[150_000] = "1,2\n"
    start = time.perf_counter()
    fails(("a,b,c\n" + "".join(body)).encode(), "Line 150002")
    assert time.perf_counter() - start < 10


def test_unclosed_quote_names_its_line() -> None:
    raw = ('a,b,c\n1,2,3\n4,"5,6\n' + rows(12)).encode()
    fails(raw, "Line 3", "quote", "never closed")


def test_unclosed_quote_on_the_last_line_is_found() -> None:
    raw = ("a,b,c\n" + rows(12) + '4,5,"6\n').encode()
    fails(raw, "Line 14", "never closed")


def test_a_stray_inch_mark_inside_a_value_is_not_an_error() -> None:
    raw = ("size,n\n" + "".join(f'{i}" pipe,{i}\n' for i in range(12))).encode()
    assert load_csv(raw).frame["size"].iloc[2] == '2" pipe'


def test_duplicate_column_names_are_named() -> None:
    raw = ("id,score,id,x,score\n" + rows(12, "{i},1,2,3,4\n")).encode()
    fails(raw, "duplicate", "'id'", "'score'")


# -- not a CSV at all -----------------------------------------------------------------------


def _zip(name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, "a,b\n1,2\n")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (gzip.compress(GOOD.encode()), ["gzip", "Decompress"]),
        (_zip("data.csv"), ["ZIP archive", "Extract it"]),
        (_zip("xl/workbook.xml"), ["Excel", "ZIP", "Export it as CSV"]),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), ["PNG image"]),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", ["PDF"]),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), ["Excel (.xls)"]),
        (b"a,b\n1,\x00\x002\n" * 20, ["binary", "NUL"]),
        (b"<!DOCTYPE html>\n<html><body>404</body></html>", ["HTML"]),
        (b"  <html><head></head></html>", ["HTML"]),
        (b'{"a": 1, "b": 2}\n', ["JSON"]),
        (b'[{"a": 1}, {"a": 2}]', ["JSON"]),
    ],
    ids=["gzip", "zip", "xlsx", "png", "pdf", "xls", "nul", "html", "html-indented", "json", "json-list"],
)
def test_files_that_are_not_csv_say_what_they_look_like(raw: bytes, words: list[str]) -> None:
    fails(raw, *words)


# -- empty and too small --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"", ["empty"]),
        (b"   \n\n \t \r\n", ["only blank lines"]),
        (b"a,b,c\n", ["header row", "no data rows"]),
        (b"a,b,c\n\n\n", ["no data rows"]),
        (("a,b,c\n" + rows(5)).encode(), ["only 5 data rows", "too few rows to split", "at least 10"]),
        (("a,b,c\n" + rows(1)).encode(), ["only 1 data row:", "at least 10"]),
    ],
    ids=["empty", "whitespace", "header-only", "header-blank-lines", "five-rows", "one-row"],
)
def test_empty_and_tiny_files(raw: bytes, words: list[str]) -> None:
    fails(raw, *words)


def test_ten_rows_are_enough() -> None:
    assert load_csv(("a,b,c\n" + rows(10)).encode()).frame.shape == (10, 3)


def test_oversize_file_says_size_limit_and_how_to_shrink() -> None:
    raw = GOOD.encode() * 10
    message = fails(raw, "MB", "limit", "sample of the rows", "drop columns", max_bytes=len(raw) - 1)
    assert "larger than" in message


def test_default_limit_is_200_mb_and_sizes_are_given_in_mb() -> None:
    assert inspect.signature(load_csv).parameters["max_bytes"].default == MAX_UPLOAD_MB * 1024 * 1024
    fails(b"a,b\n" + b"1,2\n" * (3 * 1024 * 1024 // 4), "3 MB", "the 2 MB limit", max_bytes=2 * 1024 * 1024)


# -- repairs that become notes --------------------------------------------------------------


@pytest.mark.parametrize("header", ["", "Unnamed: 0"])
@pytest.mark.parametrize("start", [0, 1])
def test_unnamed_index_column_is_dropped_with_a_note(header: str, start: int) -> None:
    raw = (f"{header},a,b\n" + "".join(f"{i + start},{i * 2},x{i}\n" for i in range(15))).encode()
    loaded = load_csv(raw)
    assert list(loaded.frame.columns) == ["a", "b"]
    assert any("recognised as a saved row index" in note for note in loaded.notes)


def test_an_unnamed_column_that_is_not_a_counter_is_kept() -> None:
    raw = (",a\n" + "".join(f"{i * 7},{i}\n" for i in range(15))).encode()
    loaded = load_csv(raw)
    assert list(loaded.frame.columns) == ["Unnamed: 0", "a"]
    assert not any("index" in note for note in loaded.notes)


def test_pandas_to_csv_output_round_trips() -> None:
    original = pd.DataFrame({"x": np.arange(12) * 0.5, "y": list("abcabcabcabc")})
    loaded = load_csv(original.to_csv().encode())
    pd.testing.assert_frame_equal(loaded.frame, original, check_dtype=False)


def test_trailing_delimiter_column_is_dropped() -> None:
    raw = ("a,b,\n" + rows(12, "{i},{x},\n")).encode()
    loaded = load_csv(raw)
    assert list(loaded.frame.columns) == ["a", "b"]
    assert any("empty column" in note for note in loaded.notes)


def test_infinities_become_nan_and_the_column_stays_numeric() -> None:
    raw = ("a,b,c,d\n" + rows(12, "{i},inf,-inf,{x}\n") + "1,Infinity,-Infinity,2.5\n").encode()
    loaded = load_csv(raw)
    frame = loaded.frame
    assert all(frame[c].dtype == np.float64 for c in "bcd")
    assert frame[["b", "c"]].isna().all().all()
    assert not np.isinf(frame.select_dtypes("number").to_numpy()).any()
    (note,) = [n for n in loaded.notes if "Infinite" in n]
    assert "'b'" in note and "'c'" in note and "'d'" not in note


def test_mixed_column_is_kept_as_text_with_a_named_example() -> None:
    raw = ("a,b,c\n" + rows(20, "{i},{x},3\n") + "21,n/a?,3\n").encode()
    loaded = load_csv(raw)
    assert not pd.api.types.is_numeric_dtype(loaded.frame["b"])
    (note,) = [n for n in loaded.notes if "mostly numbers" in n]
    assert "'b'" in note and "'n/a?'" in note and "1 value is text" in note


def test_mixed_column_found_far_down_a_large_file() -> None:
    raw = ("a,b\n" + rows(100_000, "{i},{i}\n") + "5,oops\n").encode()
    loaded = load_csv(raw)
    assert len(loaded.frame) == 100_001
    assert any("'oops'" in note for note in loaded.notes)


def test_types_may_change_after_the_sampled_prefix() -> None:
    raw = ("a,b\n" + rows(100_000, "{i},{i}\n") + "5,2.5\n").encode()
    frame = load_csv(raw).frame
    assert frame["a"].dtype == np.int64
    assert frame["b"].dtype == np.float64
    assert frame["b"].iloc[-1] == 2.5


def test_a_header_in_brackets_is_not_mistaken_for_json() -> None:
    raw = ("[name],[value]\n" + rows(12, "x{i},{i}\n")).encode()
    assert list(load_csv(raw).frame.columns) == ["[name]", "[value]"]


def test_a_real_text_column_gets_no_mixed_type_note() -> None:
    raw = ("a,b\n" + rows(20, "{i},{label}\n") + "1,42\n").encode()
    assert not any("mostly numbers" in note for note in load_csv(raw).notes)


def test_formula_and_html_cells_stay_inert_text_with_one_note() -> None:
    raw = (
        "a,link,comment,neg\n"
        + rows(12, '{i},"=HYPERLINK(""http://evil.example"",""x"")",<script>alert(1)</script>,-inf\n')
    ).encode()
    loaded = load_csv(raw)
    assert loaded.frame["link"].iloc[0] == '=HYPERLINK("http://evil.example","x")'
    assert loaded.frame["comment"].iloc[0] == "<script>alert(1)</script>"
    (note,) = [n for n in loaded.notes if "inert text" in n]
    assert "'link'" in note and "'comment'" in note and "'neg'" not in note


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-cmd", "'-cmd"),
        ("=1+1", "'=1+1"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("-5", "-5"),
        ("-inf", "-inf"),
        ("plain text", "plain text"),
        (3.5, "3.5"),
        (None, ""),
        (float("nan"), ""),
        (pd.NA, ""),
    ],
)
def test_inert_text(value: object, shown: str) -> None:
    assert inert_text(value) == shown


# -- size and shape limits: must not hang ----------------------------------------------------


def test_six_thousand_columns_are_refused_with_the_limit() -> None:
    header = ",".join(f"column_{i}" for i in range(6000))
    raw = (header + "\n" + ",".join("1" for _ in range(6000)) + "\n").encode() * 1
    start = time.perf_counter()
    fails(raw, "6,000 columns", "5,000")
    assert time.perf_counter() - start < 5


def test_a_wide_file_under_the_limit_loads() -> None:
    header = ",".join(f"c{i}" for i in range(3000))
    row = ",".join(str(i) for i in range(3000))
    start = time.perf_counter()
    loaded = load_csv((header + "\n" + (row + "\n") * 12).encode())
    assert loaded.frame.shape == (12, 3000)
    assert time.perf_counter() - start < 10


@pytest.mark.parametrize("quoted", [False, True])
def test_a_one_megabyte_cell_loads_quickly(quoted: bool) -> None:
    cell = "x" * (1 << 20)
    big = f'"{cell}"' if quoted else cell
    raw = ("a,b\n" + f"0,{big}\n" + rows(12, "{i},{label}\n")).encode()
    start = time.perf_counter()
    loaded = load_csv(raw)
    assert time.perf_counter() - start < 5
    assert len(loaded.frame["b"].iloc[0]) == 1 << 20


def test_a_one_megabyte_header_line_with_few_columns_loads() -> None:
    raw = ("a" * (1 << 20) + ",b\n" + rows(12, "{i},{i}\n")).encode()
    assert load_csv(raw).frame.shape == (12, 2)


# -- robustness: only DataError escapes ------------------------------------------------------


def test_pandas_fallback_when_pyarrow_refuses_a_well_formed_file(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise pa.ArrowInvalid("simulated pyarrow limitation")

    monkeypatch.setattr(ingest_parse, "_read_arrow", refuse)
    loaded = load_csv(("\ufeff" + GOOD).encode())
    assert list(loaded.frame.columns) == ["a", "b", "c"]
    assert loaded.frame["a"].dtype == np.int64
    assert loaded.frame["b"].dtype == np.float64


def test_unexpected_internal_errors_become_data_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(ingest_load, "parse_table", broken)
    fails(GOOD.encode(), "could not be read as a CSV", "boom")


def test_non_bytes_input_is_a_data_error() -> None:
    fails("a,b\n1,2\n", "not as file bytes")  # type: ignore[arg-type]


def test_bytearray_and_memoryview_are_accepted() -> None:
    assert load_csv(bytearray(GOOD.encode())).frame.shape == (20, 3)
    assert load_csv(memoryview(GOOD.encode())).frame.shape == (20, 3)  # type: ignore[arg-type]


def _random_inputs(count: int) -> list[bytes]:
    """Random bytes, and random text made of CSV's special characters in several encodings."""
    rng = random.Random(0)
    alphabet = 'ab1.,;\t|"\n\r =-+@<>é{[\x00'
    inputs = []
    for n in range(count):
        size = rng.randrange(0, 600)
        if n % 2:
            inputs.append(bytes(rng.randrange(256) for _ in range(size)))
        else:
            text = "".join(rng.choice(alphabet) for _ in range(size))
            inputs.append(text.encode(rng.choice(["utf-8", "utf-16", "latin-1"])))
    # random rows under a valid header, so the parser and the column checks run too
    cells = ["1", "2.5", "x", "", '"q,"', "inf", "=A1", "<b>", '"']
    for _ in range(count // 4):
        lines = [",".join(rng.choice(cells) for _ in range(3)) for _ in range(rng.randrange(8, 15))]
        inputs.append(("a,b,c\n" + "\n".join(lines) + "\n").encode())
    return inputs


def test_random_bytes_only_ever_raise_data_error() -> None:
    loaded = refused = 0
    for raw in _random_inputs(200):
        try:
            result = load_csv(raw)
        except DataError as exc:
            assert str(exc)
            refused += 1
        else:
            assert isinstance(result, LoadedCsv)
            assert isinstance(result.frame, pd.DataFrame)
            loaded += 1
    assert refused and loaded  # both paths were exercised
