"""Numbers as people read them: the one formatter of the terminal summary, sweep table and report.

Rules (one set, every output):

* ``None``, NaN and infinities print as ``—``;
* a whole number prints with thousands separators and no decimals (``4,228,430``);
* any other number prints with about :data:`SIGNIFICANT` significant digits, trailing zeros
  dropped (``98.62``, ``0.1235``, ``8.5``); at or above ``10**SIGNIFICANT`` no decimals are
  shown (``4,228,430``), never an exponent (``4.229e+06``);
* a value printed beside its bound (:func:`numbers_alike`) shares one precision with it, and two
  values equal within :data:`EQUAL_REL_TOL` (the resolution of the printed gap) print the same.
"""

from __future__ import annotations

import math

__all__ = ["EQUAL_REL_TOL", "SIGNIFICANT", "decimals", "money", "number", "numbers_alike"]

#: Significant digits shown of a number that is not whole.
SIGNIFICANT = 4
#: Relative difference under which a value and its bound are the same number on screen
#: (the gap prints with 4 decimals of a percent, i.e. a resolution of 1e-6).
EQUAL_REL_TOL = 1e-6
_MAX_DECIMALS = 6
_WHOLE_TOL = 1e-9


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def decimals(x: float | None) -> int:
    """Decimals :func:`number` uses for ``x``: 0 for whole numbers, else about 4 significant digits.

    Parameters
    ----------
    x
        The value.

    Returns
    -------
    int
        Number of decimals, between 0 and 6.
    """
    if x is None or not math.isfinite(x) or abs(x - round(x)) < _WHOLE_TOL:
        return 0
    before_point = math.floor(math.log10(abs(x))) + 1
    return max(0, min(SIGNIFICANT - before_point, _MAX_DECIMALS))


def number(x: float | None, places: int | None = None) -> str:
    """Format one number (see the module docstring for the rules).

    Parameters
    ----------
    x
        The value; None or non-finite prints ``—``.
    places
        Decimals to use instead of :func:`decimals` (then trailing zeros are kept, so that
        numbers read side by side line up).

    Returns
    -------
    str
        E.g. ``4,228,430``, ``98.62``, ``—``.
    """
    if x is None or not math.isfinite(x):
        return "—"
    d = decimals(x) if places is None else places
    text = f"{x:,.{d}f}"
    if places is None and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text  # no "-0"


def numbers_alike(*values: float | None) -> tuple[str, ...]:
    """Format values that are read side by side (an objective and its bound) with one precision.

    Every value gets the largest precision any of them needs; a value within
    :data:`EQUAL_REL_TOL` of the first prints exactly as the first.

    Parameters
    ----------
    *values
        The values, the reference first.

    Returns
    -------
    tuple of str
        One text per value.
    """
    d = max((decimals(v) for v in values), default=0)
    texts = [number(v, d) for v in values]
    first = values[0] if values else None
    if _finite(first):
        assert first is not None
        for n, v in enumerate(values[1:], start=1):
            if _finite(v) and math.isclose(first, v or 0.0, rel_tol=EQUAL_REL_TOL,
                                           abs_tol=_WHOLE_TOL):
                texts[n] = texts[0]
    return tuple(texts)


def money(x: float | None, currency: str | None) -> str:
    """A cost with the instance's currency after it (``1,250 万元``); the number alone without one.

    Parameters
    ----------
    x
        The amount.
    currency
        The unit (``Instance.currency``), or None.

    Returns
    -------
    str
        The text.
    """
    text = number(x)
    return f"{text} {currency}" if currency and text != "—" else text
