"""Records far outside the extent of the others: the usual sign of a mistyped coordinate.

A candidate site 975 km from a district (a digit typed wrong, a point in another CRS) reaches
nothing and is otherwise accepted without a word. The rule is robust to the outlier itself: the
distance of every record (communities, sites and existing facilities together) from the
coordinate-wise median is compared with the inter-quartile spread of the coordinates,

    far  ⇔  d_r > max(FAR_FACTOR · hypot(IQR_x, IQR_y), FAR_FLOOR_M),

in metres (geographic coordinates are projected equirectangularly about the median latitude).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from sitecircle.geodesy import local_metres

#: A record farther from the median than this many inter-quartile spreads is reported.
FAR_FACTOR = 10.0
#: ... and never one closer than this (metres), however compact the rest.
FAR_FLOOR_M = 10_000.0
#: Fewer records than this: no extent to speak of.
MIN_RECORDS = 5
#: At most this many far records are named one by one.
MAX_NAMED = 10


def far_records(
    groups: Sequence[tuple[str, Sequence[str], NDArray[np.float64]]], geographic: bool
) -> list[str]:
    """Warnings naming every record far outside the extent of the rest.

    Parameters
    ----------
    groups
        ``(kind, ids, xy)`` per record kind (``communities``, ``sites``, ``existing``); rows
        with a NaN coordinate (already reported) are skipped.
    geographic
        True when ``x``, ``y`` are longitude and latitude in degrees.

    Returns
    -------
    list of str
        One warning per far record (at most :data:`MAX_NAMED`, then one counting the rest).
    """
    arrays = [np.asarray(xy, dtype=np.float64).reshape(-1, 2) for _, _, xy in groups]
    if not arrays:
        return []
    xy = np.vstack(arrays)
    starts = np.cumsum([0, *(len(a) for a in arrays)])
    ok = np.isfinite(xy).all(axis=1)
    if ok.sum() < MIN_RECORDS:
        return []
    pts = xy[ok]
    if geographic:
        pts = local_metres(pts, float(np.median(pts[:, 1])))
    centre = np.median(pts, axis=0)
    q25, q75 = np.percentile(pts, [25, 75], axis=0)
    spread = float(np.hypot(*(q75 - q25)))
    limit = max(FAR_FACTOR * spread, FAR_FLOOR_M)
    dist = np.hypot(*(pts - centre).T)
    typical = float(np.percentile(dist, 90))
    index = np.flatnonzero(ok)
    far = np.flatnonzero(dist > limit)
    out = []
    for r in far[:MAX_NAMED]:
        row = int(index[r])
        g = int(np.searchsorted(starts, row, side="right")) - 1
        kind, ids, _ = groups[g]
        n = row - int(starts[g])
        rid = ids[n] if n < len(ids) else f"#{n}"
        out.append(f"{kind}[{n}] (id {rid!r}) lies {dist[r] / 1000:,.1f} km from the middle of "
                   f"the records (90% lie within {typical / 1000:,.1f} km): check its "
                   "coordinates (a mistyped digit, another CRS, swapped x/y?)")
    if len(far) > MAX_NAMED:
        out.append(f"... and {len(far) - MAX_NAMED} more records farther than "
                   f"{limit / 1000:,.1f} km from the middle of the records")
    return out
