"""A static PNG map of a solution for documents and print (matplotlib, no tiles, no network).

Communities are coloured by how many required categories they still miss after the plan and
sized by population; existing facilities are small dots and new facilities large diamonds, both
in their category's colour. Chinese labels are used when a CJK font is installed (Noto Sans CJK,
WenQuanYi, SimHei, Microsoft YaHei, PingFang, ...); otherwise the map is labelled in English
only, so no glyph is ever missing.
"""

from __future__ import annotations

import contextlib
import functools
import io
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sitecircle.files import write_bytes_atomic
from sitecircle.geodesy import metres_per_degree_lon
from sitecircle.outputs.lonlat import lonlat
from sitecircle.outputs.outcome import InstanceLike, Outcome, SolutionLike, as_outcome

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["CATEGORY_COLORS", "MISSING_COLORS", "cjk_font", "render_map_png", "write_map_png"]

#: Community colour by number of missing required categories: 0, 1, 2, 3 or more.
MISSING_COLORS = ("#1a9850", "#fee08b", "#fc8d59", "#d73027")
#: Category colours, in category order (cycled).
CATEGORY_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2",
                   "#17becf", "#bcbd22", "#7f7f7f", "#d62728", "#393b79", "#637939")
_CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
              "WenQuanYi Zen Hei", "SimHei", "Microsoft YaHei", "PingFang SC",
              "Hiragino Sans GB", "Noto Sans CJK JP", "Droid Sans Fallback", "AR PL UMing CN")
_CJK_FILE_HINTS = ("sanscjk", "wqy", "wenquanyi", "droidsansfallback", "simhei", "msyh",
                   "pingfang", "sourcehansans", "uming")


def category_color(k: int) -> str:
    """Colour of category ``k``."""
    return CATEGORY_COLORS[k % len(CATEGORY_COLORS)]


@functools.cache
def cjk_font() -> str | None:
    """Name of an installed font with Chinese glyphs, or None.

    A font installed after matplotlib built its font cache (``apt-get install fonts-noto-cjk``
    on a machine that had already drawn a plot) is not in that cache: the system font folders
    are then searched once for a CJK font file, which is added.

    Returns
    -------
    str or None
        The first installed font of a preference list.
    """
    from matplotlib import font_manager  # noqa: PLC0415

    def first() -> str | None:
        installed = {f.name for f in font_manager.fontManager.ttflist}
        return next((name for name in _CJK_FONTS if name in installed), None)

    found = first()
    if found is None:
        files = sorted(path for path in font_manager.findSystemFonts()
                       if any(hint in Path(path).name.lower() for hint in _CJK_FILE_HINTS))
        for path in sorted(files, key=lambda f: "regular" not in Path(f).name.lower()):
            with contextlib.suppress(OSError, RuntimeError, ValueError):
                font_manager.fontManager.addfont(path)
            found = first()
            if found is not None:
                break
    return found


def _scale_bar(ax: Axes, outcome: Outcome) -> None:
    """A round-length scale bar in the lower left corner."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    metres_per_unit = metres_per_degree_lon((y0 + y1) / 2)  # the map is in degrees
    span_m = (x1 - x0) * metres_per_unit
    length = 10 ** math.floor(math.log10(max(span_m / 5, 1e-9)))
    for step in (5, 2, 1):
        if step * length <= span_m / 4:
            length *= step
            break
    units = length / metres_per_unit
    bx, by = x0 + 0.04 * (x1 - x0), y0 + 0.04 * (y1 - y0)
    ax.plot([bx, bx + units], [by, by], color="black", lw=3, solid_capstyle="butt")
    text = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(bx + units / 2, by + 0.012 * (y1 - y0), text, ha="center", va="bottom", fontsize=8)


def render_map_png(
    instance: InstanceLike | Outcome,
    solution: SolutionLike | None = None,
    *,
    dpi: int = 150,
    size: tuple[float, float] = (9.0, 7.0),
) -> bytes:
    """Draw the solution map and return it as PNG bytes.

    Parameters
    ----------
    instance
        The instance (object, document or path), or an :class:`~sitecircle.outputs.outcome.Outcome`.
    solution
        Its solution; not needed with an ``Outcome``.
    dpi
        Resolution.
    size
        Figure size in inches.

    Returns
    -------
    bytes
        The PNG image.
    """
    from matplotlib import rc_context  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415
    from matplotlib.lines import Line2D  # noqa: PLC0415
    from matplotlib.ticker import FuncFormatter  # noqa: PLC0415

    out = as_outcome(instance, solution)
    inst = out.instance
    font = cjk_font()

    def label(zh: str, en: str) -> str:
        return f"{zh} {en}" if font else en

    def cat_label(k: int) -> str:
        c = inst.categories[k]
        return f"{c.label} {c.id}" if font and c.label != c.id else c.id

    families = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    with rc_context({"font.family": families, "axes.unicode_minus": False}):
        fig = Figure(figsize=size, dpi=dpi)
        ax = fig.add_subplot()
        comm = lonlat(inst, inst.community_xy)
        n_miss = np.minimum(out.missing_required(after=True), len(MISSING_COLORS) - 1)
        pop = inst.population
        sizes = 12 + 60 * np.sqrt(pop / max(float(pop.max(initial=0.0)), 1.0))
        ax.scatter(comm[:, 0], comm[:, 1], s=sizes, c=[MISSING_COLORS[n] for n in n_miss],
                   edgecolors="#334e68", linewidths=0.4, zorder=2)
        drawn = np.zeros(inst.n_categories, dtype=bool)  # categories with a marker on the map
        ex = lonlat(inst, inst.existing_xy)
        for k in range(inst.n_categories):
            sel = inst.existing_hosts[:, k]
            if sel.any():
                drawn[k] = True
                ax.scatter(ex[sel, 0], ex[sel, 1], s=10, c=category_color(k), edgecolors="white",
                           linewidths=0.4, zorder=3)
        if len(out.open_pairs):
            new = lonlat(inst, inst.site_xy[out.open_pairs[:, 0]])
            ks = out.open_pairs[:, 1]
            drawn[ks] = True
            ax.scatter(new[:, 0], new[:, 1], s=46, marker="D",
                       c=[category_color(int(k)) for k in ks], edgecolors="black",
                       linewidths=0.9, zorder=4)
        unreachable = out.unreachable().any(axis=1)
        if unreachable.any():
            ax.scatter(comm[unreachable, 0], comm[unreachable, 1], s=70, marker="x",
                       c="black", linewidths=1.4, zorder=5)
        # legends: only what is drawn
        handles = [Line2D([], [], ls="", marker="o", ms=7, mfc=MISSING_COLORS[n], mec="#334e68",
                          label=(f"{n}+" if n == len(MISSING_COLORS) - 1 else str(n)))
                   for n in np.unique(n_miss)]
        legend_miss = ax.legend(handles=handles, title=label("缺少必需品类", "missing required"),
                                loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7,
                                title_fontsize=7, framealpha=0.9)
        ax.add_artist(legend_miss)
        marks = []
        if len(out.open_pairs):
            marks.append(Line2D([], [], ls="", marker="D", ms=6, mfc="#bbb", mec="black",
                                label=label("新增设施", "new facility")))
        if inst.existing_hosts.any():
            marks.append(Line2D([], [], ls="", marker="o", ms=4, mfc="#999", mec="white",
                                label=label("现有设施", "existing")))
        if unreachable.any():
            marks.append(Line2D([], [], ls="", marker="x", ms=6, mec="black", mew=1.4,
                                label=label("无法到达", "out of reach")))
        cats = [Line2D([], [], ls="", marker="s", ms=6, mfc=category_color(int(k)), mec="none",
                       label=cat_label(int(k))) for k in np.flatnonzero(drawn)]
        if marks or cats:
            ax.legend(handles=marks + cats, title=label("设施与品类", "facilities, categories"),
                      loc="upper left", bbox_to_anchor=(1.01, 0.66), fontsize=7,
                      title_fontsize=7, framealpha=0.9)
        mid = float(np.mean(comm[:, 1])) if len(comm) else 0.0
        ax.set_aspect(1.0 / max(math.cos(math.radians(mid)), 0.05))
        ax.margins(0.04)
        _scale_bar(ax, out)
        ax.ticklabel_format(useOffset=False, style="plain")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.2f}°"))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.2f}°"))
        ax.tick_params(labelsize=7)
        ax.set_xlabel(label("经度", "longitude"), fontsize=8)
        ax.set_ylabel(label("纬度", "latitude"), fontsize=8)
        done = int(out.covered_after[:, inst.required].all(axis=1).sum())
        before = int(out.covered_before[:, inst.required].all(axis=1).sum())
        ax.set_title(f"{inst.name} — " + label("完整社区", "complete communities")
                     + f" {before} → {done} / {inst.n_communities}", fontsize=10)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.15)
    return buf.getvalue()


def write_map_png(
    instance: InstanceLike | Outcome,
    solution: SolutionLike | None,
    path: str | Path,
    *,
    dpi: int = 150,
) -> Path:
    """Write the static PNG map; see :func:`render_map_png`.

    Parameters
    ----------
    instance
        The instance (object, document or path), or an :class:`~sitecircle.outputs.outcome.Outcome`.
    solution
        Its solution; None with an ``Outcome``.
    path
        Destination file; missing folders are created, the file is replaced atomically.
    dpi
        Resolution.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    return write_bytes_atomic(path, render_map_png(instance, solution, dpi=dpi))
