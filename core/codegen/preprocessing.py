""":func:`~core.train.preprocessing.build_preprocessor` as paste-able Python ("Show code")."""

from __future__ import annotations

from collections.abc import Sequence

from core.codegen.common import py_literal
from core.data.schema import FeatureType, Schema

__all__ = ["preprocessing_code"]

_CODE_PIPELINES = {
    FeatureType.NUMERIC: (
        'numeric_steps = Pipeline([("impute", SimpleImputer(strategy="median")), '
        '("scale", StandardScaler())])'
    ),
    FeatureType.BINARY: """\
binary_steps = Pipeline(
    [
        ("impute", SimpleImputer(strategy="most_frequent")),
        ("encode", OneHotEncoder(drop="if_binary", handle_unknown="ignore")),  # one 0/1 column each
    ]
)""",
    FeatureType.CATEGORICAL: """\
categorical_steps = Pipeline(
    [
        ("impute", SimpleImputer(strategy="most_frequent")),
        ("onehot", OneHotEncoder(handle_unknown="ignore")),
    ]
)""",
}


def _comment(text: str) -> str:
    """Text safe inside a # comment: a line break in a column name must not end the comment."""
    return " ".join(text.split())


def _list_literal(names: Sequence[str], width: int = 96) -> str:
    """A list of string literals, wrapped to lines of about ``width`` characters."""
    lines: list[str] = []
    line = ""
    for literal in (py_literal(name) + "," for name in names):
        if line and len(line) + 1 + len(literal) > width - 4:
            lines.append(line)
            line = literal
        else:
            line = f"{line} {literal}" if line else literal
    if line:
        lines.append(line)
    if len(lines) == 1 and len(lines[0]) < width - 30:
        return "[" + lines[0].removesuffix(",") + "]"
    return "[\n" + "".join(f"    {text}\n" for text in lines) + "]"


def preprocessing_code(schema: Schema) -> str:
    """:func:`build_preprocessor` as paste-able Python; running it defines ``preprocessor``.

    Column names become string literals (never bare text), so no name can inject code.
    """
    lines = [
        "from sklearn.compose import ColumnTransformer",
        "from sklearn.impute import SimpleImputer",
        "from sklearn.pipeline import Pipeline",
        "from sklearn.preprocessing import OneHotEncoder, StandardScaler",
        "",
        f"target = {py_literal(schema.target)}  # {schema.task.value}",
    ]
    if schema.label_map is not None:
        pairs = ", ".join(f"{py_literal(label)}: {code}" for label, code in schema.label_map.items())
        lines.append(f"label_map = {{{pairs}}}  # class label (as text) -> class number")
    if schema.excluded:
        lines.append("# Not used (dropped by remainder='drop'):")
        lines += [
            f"#   {_comment(py_literal(name))}: {_comment(reason)}"
            for name, reason in schema.excluded.items()
        ]
    used = [kind for kind in FeatureType if schema.columns_of(kind)]
    for kind in used:
        lines += [
            "",
            f"{kind.value}_columns = {_list_literal(schema.columns_of(kind))}",
            _CODE_PIPELINES[kind],
        ]
    lines += ["", "preprocessor = ColumnTransformer(", "    ["]
    lines += [f'        ("{kind.value}", {kind.value}_steps, {kind.value}_columns),' for kind in used]
    lines += ["    ],", '    remainder="drop",  # drops the target and the columns not used', ")", ""]
    return "\n".join(lines)
