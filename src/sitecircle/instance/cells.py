"""Reading one attribute cell of a GIS layer: numbers as people write them, blanks, category lists.

Numbers are accepted as spreadsheets and Chinese input methods write them: thousands separators
(``5,837``, ``1,234.5``), full-width digits and signs (``５８３７``, ``－１``), surrounding spaces.
A decimal comma (``5,8``) is ambiguous and refused. A blank cell is described as ``empty``.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from typing import Any

import numpy as np

_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")
_CATEGORY_SPLIT = re.compile(r"[,;，；、|/\s]+")


def is_blank(value: Any) -> bool:
    """True for None, NaN, NA and strings of spaces only."""
    if value is None:
        return True
    if isinstance(value, str):
        return not unicodedata.normalize("NFKC", value).strip()
    import pandas as pd  # noqa: PLC0415 - only layer reading needs it (command start-up)

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def parse_number_text(value: Any) -> float:
    """The finite number a cell holds, or NaN.

    Examples
    --------
    >>> parse_number_text("5,837"), parse_number_text("５８３７"), parse_number_text(" 1,234.5 ")
    (5837.0, 5837.0, 1234.5)
    >>> import math
    >>> math.isnan(parse_number_text("5,8")), math.isnan(parse_number_text("")), \
math.isnan(parse_number_text("inf"))
    (True, True, True)
    """
    if isinstance(value, bool) or is_blank(value):
        return math.nan
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip().replace("−", "-")
        if _THOUSANDS.match(text):
            text = text.replace(",", "")
        elif "," in text:
            return math.nan
        value = text
    try:
        out = float(value)
    except (TypeError, ValueError, OverflowError):
        return math.nan
    return out if math.isfinite(out) else math.nan


def cell_number(value: Any) -> float | None:
    """:func:`parse_number_text` with None instead of NaN."""
    out = parse_number_text(value)
    return None if math.isnan(out) else out


def describe(value: Any) -> str:
    """A cell's value as a person reads it in a message: ``empty``, ``'abc'``, ``12``.

    Examples
    --------
    >>> describe(float("nan")), describe("  "), describe("abc"), describe(np.float64(2.5))
    ('empty', 'empty', "'abc'", '2.5')
    """
    if is_blank(value):
        return "empty"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, np.generic):
        value = value.item()
    return str(value)


def json_number(value: float) -> float | int:
    """An integer-valued float as ``int`` (so ``3930`` stays ``3930`` in JSON)."""
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else float(value)


def category_tokens(value: Any) -> list[str]:
    """The category ids or labels a cell lists (``便利店、快递点``, ``a;b``, a JSON list)."""
    if is_blank(value):
        return []
    if isinstance(value, list | tuple | np.ndarray):
        return [str(v).strip() for v in value if str(v).strip()]
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            return [str(v).strip() for v in parsed if str(v).strip()]
    return [t for t in _CATEGORY_SPLIT.split(text.strip("[]")) if t]


def text_label(value: Any) -> str | None:
    """A cell as a label: stripped text, whole numbers without ``.0``, None when blank."""
    if is_blank(value):
        return None
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, np.generic):
        value = value.item()
    return str(value).strip()
