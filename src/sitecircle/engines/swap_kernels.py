r"""Compiled inner loops of the swap-array search (:mod:`sitecircle.engines.swap`).

One move of the fast interchange touches a few dozen cover rows and, through them, a few
thousand entries of ``gain``, ``loss`` and the swap-profit array ``extra``; one evaluation reads
the whole ``p × n`` array once. Written with NumPy calls, a move is about twenty small array
operations (about 100 µs on Kings p = 70, most of it call overhead) and the search spends two
thirds of its time there. These functions are the same updates as plain loops, compiled with
Numba on first use (:func:`kernels`; compiled code is cached on disk beside this file, so only
the first run on a machine pays the compilation, about 2-4 s).

The updates, with ``c_r`` the number of open columns covering row ``r`` *before* the move,
``w_r`` its demand and ``o_r`` its only open cover when ``c_r = 1`` (read from ``owner_sum``):

* open ``j`` into free slot ``s``: for ``r ∈ N(j)`` with ``c_r = 0``: ``gain_k -= w_r`` and
  ``extra_{s k} += w_r`` for every column ``k`` of ``r``, ``loss_j += w_r``; with ``c_r = 1``:
  ``loss_{o_r} -= w_r`` and ``extra_{slot(o_r) k} -= w_r``;
* close ``j``: with ``c_r = 1``: ``gain_k += w_r``; with ``c_r = 2`` (``o`` the other cover):
  ``loss_o += w_r`` and ``extra_{slot(o) k} += w_r``; then slot ``j``'s row of ``extra`` and
  ``loss_j`` are zero.

Each row's demand is added to or taken from every entry separately; with integer demands the
arrays are exact, the same as the NumPy formulation's, and the search follows the same moves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

_F = NDArray[np.float64]
_I = NDArray[np.int64]


def open_column(j: int, col_ptr: _I, col_rows: Any, row_ptr: _I, row_cols: _I, w: _F,
                count: _I, owner_sum: _I, gain: _F, loss: _F, extra: _F, slot_of: _I,
                col_of: _I, is_open: Any, listed: Any, nz_cols: Any, nz_len: _I) -> float:
    """Open column ``j`` in the first free slot; returns the demand it newly covers."""
    slot = 0
    while col_of[slot] >= 0:
        slot += 1
    slot_of[j] = slot
    col_of[slot] = j
    newly = 0.0
    for e in range(col_ptr[j], col_ptr[j + 1]):
        r = col_rows[e]
        c = count[r]
        wr = w[r]
        if c == 0:
            for k in range(row_ptr[r], row_ptr[r + 1]):
                col = row_cols[k]
                gain[col] -= wr
                extra[slot, col] += wr
                if not listed[slot, col]:
                    listed[slot, col] = True
                    nz_cols[slot, nz_len[slot]] = col
                    nz_len[slot] += 1
            newly += wr
        elif c == 1:
            owner = owner_sum[r]
            loss[owner] -= wr
            other = slot_of[owner]
            for k in range(row_ptr[r], row_ptr[r + 1]):
                extra[other, row_cols[k]] -= wr
        count[r] = c + 1
        owner_sum[r] += j
    loss[j] = newly
    is_open[j] = True
    return newly


def close_column(j: int, col_ptr: _I, col_rows: Any, row_ptr: _I, row_cols: _I, w: _F,
                 count: _I, owner_sum: _I, gain: _F, loss: _F, extra: _F, slot_of: _I,
                 col_of: _I, is_open: Any, listed: Any, nz_cols: Any, nz_len: _I) -> float:
    """Close open column ``j``; returns the demand no longer covered."""
    lost = 0.0
    for e in range(col_ptr[j], col_ptr[j + 1]):
        r = col_rows[e]
        c = count[r]
        wr = w[r]
        if c == 1:
            for k in range(row_ptr[r], row_ptr[r + 1]):
                gain[row_cols[k]] += wr
            lost += wr
        elif c == 2:
            owner = owner_sum[r] - j
            loss[owner] += wr
            other = slot_of[owner]
            for k in range(row_ptr[r], row_ptr[r + 1]):
                col = row_cols[k]
                extra[other, col] += wr
                if not listed[other, col]:
                    listed[other, col] = True
                    nz_cols[other, nz_len[other]] = col
                    nz_len[other] += 1
        count[r] = c - 1
        owner_sum[r] -= j
    slot = slot_of[j]
    extra[slot, :] = 0.0
    for t in range(nz_len[slot]):
        listed[slot, nz_cols[slot, t]] = False
    nz_len[slot] = 0
    loss[j] = 0.0
    slot_of[j] = -1
    col_of[slot] = -1
    is_open[j] = False
    return lost


def best_move(gain: _F, loss: _F, extra: _F, col_of: _I, is_open: Any, listed: Any,
              nz_cols: Any, nz_len: _I, sparse: bool) -> tuple[int, int, float]:
    """The best move ``(close, open, change)``: the best addition (close = -1) while a slot is
    free, else the best swap ``max_{i,j} extra_ij + gain_j - loss_i`` (first maximum in slot
    order, then column order, as ``numpy.argmax``).

    With ``sparse`` (exact arithmetic: every ``extra`` entry is a sum of positive integers, so
    it is 0 or at least 1), a slot's best value is ``max(G, max_{j listed} extra_ij + gain_j)``
    with ``G = max_j gain_j``: off its list a slot's entries are 0, and ``G`` itself is reached
    at ``j* = argmax gain`` (``extra_ij* ≥ 0``). The scan reads the slots' lists (dropping
    entries back at 0) instead of the ``p × n`` array; the chosen move is the same.
    """
    p, n = extra.shape
    for slot in range(p):
        if col_of[slot] < 0:
            best_k, best_v = -1, -np.inf
            for k in range(n):
                if not is_open[k] and gain[k] > best_v:
                    best_k, best_v = k, gain[k]
            return -1, best_k, best_v
    best_a, best_change, best_row = 0, -np.inf, -np.inf
    if sparse:
        top, top_k = gain[0], 0
        for k in range(1, n):
            if gain[k] > top:
                top, top_k = gain[k], k
        for slot in range(p):
            row_best = top
            t = 0
            while t < nz_len[slot]:
                k = nz_cols[slot, t]
                if extra[slot, k] == 0.0:  # back at 0: off the list (the last entry moves here)
                    listed[slot, k] = False
                    nz_len[slot] -= 1
                    nz_cols[slot, t] = nz_cols[slot, nz_len[slot]]
                    continue
                value = extra[slot, k] + gain[k]
                row_best = value if value > row_best else row_best
                t += 1
            change = row_best - loss[col_of[slot]]
            if change > best_change:
                best_a, best_change, best_row = slot, change, row_best
        best_b = top_k if best_row == top else n
        for t in range(nz_len[best_a]):
            k = nz_cols[best_a, t]
            if k < best_b and extra[best_a, k] + gain[k] == best_row:
                best_b = k
        return int(col_of[best_a]), best_b, best_change
    # Dense: first every slot's best value, then the column of the best slot's maximum. Four
    # running maxima let the compiler use vector registers (one running maximum made the scan
    # twice as slow as NumPy's; measured, p × n = 70 × 6,961).
    for slot in range(p):
        row = extra[slot]
        m0 = m1 = m2 = m3 = row[0] + gain[0]
        k = 0
        while k + 4 <= n:
            v0 = row[k] + gain[k]
            v1 = row[k + 1] + gain[k + 1]
            v2 = row[k + 2] + gain[k + 2]
            v3 = row[k + 3] + gain[k + 3]
            m0 = v0 if v0 > m0 else m0
            m1 = v1 if v1 > m1 else m1
            m2 = v2 if v2 > m2 else m2
            m3 = v3 if v3 > m3 else m3
            k += 4
        while k < n:
            v0 = row[k] + gain[k]
            m0 = v0 if v0 > m0 else m0
            k += 1
        row_best = max(max(m0, m1), max(m2, m3))
        change = row_best - loss[col_of[slot]]
        if change > best_change:
            best_a, best_change, best_row = slot, change, row_best
    best_b = 0
    for k in range(n):
        if extra[best_a, k] + gain[k] == best_row:
            best_b = k
            break
    return int(col_of[best_a]), best_b, best_change


def best_closed(gain: _F, is_open: Any, banned: Any, out: _I) -> int:
    """The (at most ``len(out)``) closed, not banned columns of largest ``gain``, written to
    ``out`` largest first (equal gains: lower index first); returns how many were found."""
    m = len(out)
    values = np.empty(m)
    size = 0
    for k in range(len(gain)):
        if is_open[k] or banned[k]:
            continue
        v = gain[k]
        if size == m and v <= values[m - 1]:
            continue
        t = size if size < m else m - 1
        while t > 0 and values[t - 1] < v:
            values[t], out[t] = values[t - 1], out[t - 1]
            t -= 1
        values[t], out[t] = v, k
        size = min(size + 1, m)
    return size


@dataclass(frozen=True)
class Kernels:
    """The compiled functions (or the plain ones: :func:`kernels` with ``compiled=False``)."""

    open_column: Callable[..., float]
    close_column: Callable[..., float]
    best_move: Callable[..., tuple[int, int, float]]
    best_closed: Callable[..., int]


_CACHE: dict[bool, Kernels] = {}


def kernels(compiled: bool = True) -> Kernels:
    """The kernels, compiled with Numba on the first call of a process (from its disk cache when
    there is one); ``compiled=False`` gives the plain Python functions (tests, slow)."""
    if compiled not in _CACHE:
        if compiled:
            import numba  # noqa: PLC0415 - 0.2 s to import: loaded by the swap search only

            def jit(f: Callable[..., Any]) -> Callable[..., Any]:
                try:
                    return numba.njit(cache=True, nogil=True)(f)
                except RuntimeError:  # no writable cache location: compile in every process
                    return numba.njit(cache=False, nogil=True)(f)

            _CACHE[compiled] = Kernels(jit(open_column), jit(close_column), jit(best_move),
                                       jit(best_closed))
        else:
            _CACHE[compiled] = Kernels(open_column, close_column, best_move, best_closed)
    return _CACHE[compiled]
