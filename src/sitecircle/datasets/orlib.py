"""OR-Library weighted set covering (Beasley) as ``min_cost`` instances."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sitecircle.datasets._common import (
    FORMAT_ID,
    PLANAR_CRS,
    PathLike,
    _communities,
    _ids,
    _read_text,
    _sites,
    _times,
)


def read_orlib_scp_arrays(
    path: PathLike,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], int, int]:
    """Read an OR-Library set-covering file into arrays.

    The format (whitespace-separated integers, line breaks irrelevant) is ``m n``, the ``n``
    column costs, then for every row ``i`` the number ``k_i`` of columns covering it followed by
    their 1-based indices.

    Parameters
    ----------
    path : str or Path
        ``scp*.txt`` or gzip-compressed ``scp*.txt.gz``.

    Returns
    -------
    costs : ndarray of int64, shape (n_cols,)
        Column costs.
    rows : ndarray of int64, shape (nnz,)
        0-based row index of every non-zero, grouped by row in file order.
    cols : ndarray of int64, shape (nnz,)
        0-based column index of every non-zero.
    n_rows : int
        Number of rows ``m`` (elements to cover).
    n_cols : int
        Number of columns ``n`` (sets).

    Raises
    ------
    ValueError
        If the file is truncated, has trailing data, or column indices are out of range.
    """
    text = _read_text(path)
    try:
        tok = np.array(text.split(), dtype=np.int64)
    except ValueError as exc:
        msg = f"{path}: non-integer token in OR-Library SCP file"
        raise ValueError(msg) from exc
    if tok.size < 2:
        msg = f"{path}: empty OR-Library SCP file"
        raise ValueError(msg)
    m, n = int(tok[0]), int(tok[1])
    if m < 0 or n < 0 or tok.size < 2 + n:
        msg = f"{path}: bad header or truncated cost vector (m={m}, n={n})"
        raise ValueError(msg)
    costs = tok[2 : 2 + n].copy()
    rest = tok[2 + n :]
    # The row lengths are interleaved with the data, so their positions are sequential: walk the
    # m row headers (a loop over rows, not over tokens), then gather the indices vectorised.
    counts = np.empty(m, dtype=np.int64)
    starts = np.empty(m, dtype=np.int64)
    pos = 0
    size = int(rest.size)
    for i in range(m):
        if pos >= size:
            msg = f"{path}: truncated at row {i + 1} of {m}"
            raise ValueError(msg)
        k = int(rest[pos])
        if k < 0:
            msg = f"{path}: negative column count in row {i + 1}"
            raise ValueError(msg)
        counts[i] = k
        starts[i] = pos + 1
        pos += k + 1
    if pos != size:
        what = "truncated" if pos > size else f"{size - pos} trailing tokens"
        msg = f"{path}: {what} (expected {pos} tokens after the costs, found {size})"
        raise ValueError(msg)
    nnz = int(counts.sum())
    rows = np.repeat(np.arange(m, dtype=np.int64), counts)
    offsets = np.repeat(starts - (np.cumsum(counts) - counts), counts)
    cols = rest[offsets + np.arange(nnz, dtype=np.int64)] - 1
    if nnz and (cols.min() < 0 or cols.max() >= n):
        msg = f"{path}: column index out of range 1..{n}"
        raise ValueError(msg)
    return costs, rows, cols, m, n


def read_orlib_scp(path: PathLike) -> dict[str, Any]:
    """Read an OR-Library set-covering file as a ``min_cost`` instance.

    Row ``i`` (1-based) becomes community ``r{i}`` (population 1, x = y = 0), column ``j``
    becomes site ``c{j}`` with ``cost`` = the column cost.  The single category ``"cover"`` has
    ``threshold_min`` 0 and travel is ``matrix`` mode with one ``[r{i}, c{j}, 0.0]`` triple per
    non-zero, so a row is covered exactly by the columns that contain it.  The objective is
    ``{"type": "min_cost"}`` (every row covered), i.e. the weighted set-covering problem.

    Parameters
    ----------
    path : str or Path
        ``scp*.txt`` or ``scp*.txt.gz``.

    Returns
    -------
    dict
        A ``sitecircle.instance/1`` dict named after the file (``scp41``).
    """
    costs, rows, cols, m, n = read_orlib_scp_arrays(path)
    row_ids = _ids("r", m)
    col_ids = _ids("c", n)
    zeros = np.zeros(m)
    name = Path(path).name.removesuffix(".gz").removesuffix(".txt")
    return {
        "format": FORMAT_ID,
        "name": name,
        "crs": PLANAR_CRS,
        "categories": [{"id": "cover", "threshold_min": 0}],
        "communities": _communities(row_ids, zeros, zeros, np.ones(m, dtype=np.int64)),
        "sites": _sites(col_ids, np.zeros(n), np.zeros(n), costs, "cover"),
        "existing": [],
        "travel": {
            "mode": "matrix",
            "times": _times(row_ids, col_ids, rows, cols, np.zeros(rows.size)),
        },
        "objective": {"type": "min_cost"},
    }


# --------------------------------------------------------------------------------------------
# planar MCLP sets: Swain, SJC, BDS
