"""Terminal table, CSV/JSON rows and PNG curve of a :class:`~sitecircle.SweepResult`."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sitecircle.errors import OptionsError
from sitecircle.files import atomic_path, write_json_atomic, write_text_atomic
from sitecircle.formatting import number

if TYPE_CHECKING:
    from sitecircle.scenarios.result import SweepResult

_UNITS = {"budget": "budget", "threshold_min": "threshold (min)",
          "speed_m_per_min": "walking speed (m/min)", "target_share": "target share",
          "min_share": "equity min_share"}
#: The measure drawn, by whether the objective is ``max_complete``: axis label, legend label.
_MEASURE = {True: ("population with the complete basket (%)", "complete basket %"),
            False: ("weighted demand covered (%)", "demand covered %")}
_GAIN = {"budget": "per unit of budget", "threshold_min": "per minute",
         "speed_m_per_min": "per m/min", "target_share": "per unit of target share",
         "min_share": "per unit of min_share"}


def _share(x: float | None) -> str:
    return "—" if x is None else f"{x:.2%}"


def format_table(result: SweepResult) -> str:
    """One line per point: value, status, objective, shares, gap, new, cost, gain, time.

    Parameters
    ----------
    result
        The sweep.

    Returns
    -------
    str
        The table, with a header line; failed points show their error below the table.
    """
    several = len({p.instance for p in result.points}) > 1
    header = ["instance"] if several else []
    header += [result.parameter or "value", "status", "objective", "covered", "complete", "gap",
               "new", "cost", "gain/unit", "seconds"]
    rows = []
    for p in result.points:
        row = [p.instance] if several else []
        row += [number(p.value), p.status, number(p.objective), _share(p.covered_share),
                _share(p.complete_share), "—" if p.gap is None else f"{p.gap:.3%}",
                "—" if p.new_facilities is None else str(p.new_facilities), number(p.cost),
                number(p.marginal_gain), "—" if p.seconds is None else f"{p.seconds:.2f}"]
        rows.append(row)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    left = {0, 1} if several else {1}
    lines = []
    for cells in [header, *rows]:
        lines.append("  ".join(c.ljust(w) if i in left else c.rjust(w)
                               for i, (c, w) in enumerate(zip(cells, widths, strict=True))))
    lines.insert(1, "  ".join("-" * w for w in widths))
    for p in result.points:
        if p.error:
            lines.append(f"{p.instance} at {number(p.value)}: {p.error}")
    if result.parameter in _GAIN:
        lines.append(f"gain/unit: objective gained {_GAIN[result.parameter]} since the previous "
                     "point; covered: weighted share of demand; complete: share of population "
                     "with every required category")
    return "\n".join(lines)


def plot_curve(result: SweepResult, path: Path) -> Path:
    """Draw the measure the sweep optimises versus the swept parameter, with the marginal gain.

    The measure is the share of population with the complete basket for ``max_complete``, the
    weighted share of demand covered otherwise; the axis, the legend and the title name it.

    Parameters
    ----------
    result
        The sweep.
    path
        Output file (``.png``); missing folders are created, the file is replaced atomically.

    Returns
    -------
    Path
        ``path``.
    """
    from matplotlib.figure import Figure  # noqa: PLC0415

    figure = Figure(figsize=(8, 5), dpi=120)
    axes = figure.add_subplot(1, 1, 1)
    gain_axes = axes.twinx()
    label = _UNITS.get(result.parameter or "", "instance")
    complete = result.objective_type == "max_complete"
    what, short = _MEASURE[complete]
    series: dict[str, list[Any]] = {}
    for p in result.points:
        series.setdefault(p.instance, []).append(p)
    for name, points in series.items():
        points = sorted((p for p in points if p.value is not None and p.objective is not None),
                        key=lambda p: p.value)
        if not points:
            continue
        xs = [p.value for p in points]
        share = [100 * (p.complete_share if complete else p.covered_share) for p in points]
        line = axes.plot(xs, share, marker="o", label=f"{name}: {short}")[0]
        for p, x, y in zip(points, xs, share, strict=True):
            if p.status != "optimal":
                note = p.status if p.gap is None else f"{p.status}, gap {p.gap:.3%}"
                axes.annotate(note, (x, y),
                              textcoords="offset points", xytext=(4, -12), fontsize=7)
        gain_x: list[float] = []
        gain_y: list[float] = []
        for before, after in zip(points, points[1:], strict=False):
            if after.marginal_gain is not None:  # constant over (previous value, value]
                gain_x += [before.value, after.value]
                gain_y += [after.marginal_gain, after.marginal_gain]
        if gain_x:
            gain_axes.plot(gain_x, gain_y, linestyle="--", color=line.get_color(), alpha=0.6,
                           label=f"{name}: gain per unit")
    axes.set_xlabel(label)
    axes.set_ylabel(what)
    gain_axes.set_ylabel(f"marginal gain of the objective {_GAIN.get(result.parameter or '', '')}")
    axes.grid(alpha=0.3)
    handles = axes.get_legend_handles_labels()
    more = gain_axes.get_legend_handles_labels()
    if handles[0] or more[0]:
        axes.legend(handles[0] + more[0], handles[1] + more[1], loc="best", fontsize=7,
                    framealpha=0.8)
    axes.set_title(f"sitecircle sweep: {what} vs {label}")
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png")
    return path


def table_csv(columns: Sequence[str], rows: list[dict[str, Any]]) -> str:
    """CSV text of the table rows: floats as ``repr`` (round-trip), missing values empty."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else repr(v) if isinstance(v, float) else v
                         for k, v in row.items()})
    return buffer.getvalue()


def json_row(row: dict[str, Any]) -> dict[str, Any]:
    """A table row for JSON: a non-finite float (a failed point's NaN seconds) becomes null."""
    return {k: None if isinstance(v, float) and not math.isfinite(v) else v
            for k, v in row.items()}


def write_table(path: str | Path, to_csv: Callable[[], str],
                to_json: Callable[[], dict[str, Any]]) -> Path:
    """Write a table as CSV (``.csv``) or JSON (``.json``), atomically; the suffix picks.

    Raises
    ------
    OptionsError
        The suffix is neither ``.csv`` nor ``.json``.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".csv":
        write_text_atomic(target, to_csv())
    elif suffix == ".json":
        write_json_atomic(to_json(), target)
    else:
        msg = f"--out {str(path)!r}: give a .csv or .json file name"
        raise OptionsError(msg)
    return target
