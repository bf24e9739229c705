"""One plan shared between a search and its forked helper (shared memory, no pipe, no lock).

:class:`SharedPlan` is an anonymous shared memory mapping made *before* the fork
(:mod:`sitecircle.engines.forked`), so parent and child see the same bytes. The helper writes
its best plan (:meth:`SharedPlan.publish`) each time it improves; the heuristic's own search
reads it (:meth:`SharedPlan.read`) every few hundred rounds and takes it when it is better than
its own (:func:`sitecircle.engines.swap.swap_ils`): the main process keeps
intensifying one trajectory, now around the best plan either process has found.

There is one writer. A sequence number makes reads consistent without a lock (a seqlock): the
writer makes it odd, writes, makes it even; a reader copies the plan and keeps the copy only
when the number was even and unchanged across the copy.
"""

from __future__ import annotations

import mmap

import numpy as np
from numpy.typing import NDArray

_I = NDArray[np.int64]


class SharedPlan:
    """Value and open columns (at most ``p``) of one plan, in memory shared across a fork.

    Parameters
    ----------
    p
        Most columns a plan opens.
    """

    def __init__(self, p: int) -> None:
        self.p = p
        self._memory = mmap.mmap(-1, 8 * (p + 3))  # anonymous, MAP_SHARED: kept across fork
        self._seq = np.frombuffer(self._memory, np.int64, 1, 0)
        self._value = np.frombuffer(self._memory, np.float64, 1, 8)
        self._size = np.frombuffer(self._memory, np.int64, 1, 16)
        self._cols = np.frombuffer(self._memory, np.int64, p, 24)
        self._value[0] = -np.inf

    def publish(self, value: float, is_open: NDArray[np.bool_]) -> None:
        """Write a plan (the writer's side; one writer only)."""
        cols = np.flatnonzero(is_open)[: self.p]
        self._seq[0] += 1  # odd: being written
        self._value[0] = value
        self._size[0] = len(cols)
        self._cols[: len(cols)] = cols
        self._seq[0] += 1  # even: complete

    def read(self) -> tuple[float, _I] | None:
        """The last complete plan ``(value, open columns)``, or None when none was published or
        the writer was busy."""
        before = int(self._seq[0])
        if before == 0 or before % 2:
            return None
        value, size = float(self._value[0]), int(self._size[0])
        cols = self._cols[: max(min(size, self.p), 0)].copy()
        if int(self._seq[0]) != before:
            return None
        return value, cols
