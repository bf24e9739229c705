"""The HTML report, the static PNG map, and the planner commands.

The report of the solved demo district is opened in headless Chromium (Debian's ``chromium``):
no console message at all, the Leaflet map, its layer control and every new facility marker in
the DOM, the gap table present, and a screenshot saved as a test artefact (its path is printed;
set ``SITECIRCLE_ARTEFACTS`` to a folder to keep a copy there). Without a chromium binary those
checks are skipped with the reason.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import sitecircle
from sitecircle import InstanceError
from sitecircle.cli.planner import add_solve_options, after_solve, register
from sitecircle.outputs.html import render_report, write_report
from sitecircle.outputs.static_map import render_map_png, write_map_png
from tests._planner_demo import DEMO, ROOT, demo_instance, demo_solution, named_demo

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    """Path of a Chromium binary, or skip."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no chromium binary on PATH (CI installs Debian's 'chromium' package)")
    raise AssertionError  # unreachable


def run_chromium(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    cmd = [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr",
           "--v=0", "--virtual-time-budget=5000", *extra, page.as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def console_lines(stderr: str) -> list[str]:
    """Every console message (Chromium logs them all as ``CONSOLE``), and uncaught errors."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


@pytest.fixture(scope="module")
def report_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    return write_report(demo_instance(), demo_solution(), folder / "report.html", tiles="none",
                        png=folder / "map.png")


def test_report_is_self_contained_and_complete(report_html: Path) -> None:
    html = report_html.read_text(encoding="utf-8")
    sol = demo_solution()
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=", html)  # nothing fetched
    assert "L.version" in html or 'version="1.9.4"' in html  # Leaflet inlined
    for text in ("完整社区", "complete communities", "缺什么、补什么", 'id="sc-map"',
                 "id='sc-gaps'", "<svg", "data:image/png;base64,", "最优"):
        assert text in html, text
    b, a = sol.complete_before["communities"], sol.complete["communities"]
    assert re.search(rf">{b}<span class=\"arrow\">→</span>{a}<", html)
    data = json.loads(re.search(r'id="sc-data">(.*?)</script>', html, re.S).group(1))
    assert len(data["added"]) == len(sol.open)
    assert len(data["communities"]) == demo_instance().n_communities
    assert data["tiles"] is None


def test_static_png_map(report_html: Path) -> None:
    png = report_html.parent / "map.png"
    data = png.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 20_000


def test_report_in_headless_chromium(report_html: Path) -> None:
    profile = report_html.parent / "chromium-profile"
    result = run_chromium(report_html, profile, "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    assert console_lines(result.stderr) == []
    dom = result.stdout
    assert "leaflet-container" in dom
    assert "leaflet-control-layers" in dom
    markers = re.findall(r'class="sc-new" style="background:#[0-9a-f]{6}"', dom)
    assert len(markers) == len(demo_solution().open)
    assert 'id="sc-gaps"' in dom and "<canvas" in dom
    shot = report_html.parent / "report.png"
    result = run_chromium(report_html, profile, "--window-size=1400,1000",
                          f"--screenshot={shot}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.read_bytes().startswith(PNG_MAGIC) and shot.stat().st_size > 50_000
    print(f"screenshot: {shot}")
    keep = os.environ.get("SITECIRCLE_ARTEFACTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / "report-demo.png")


def test_unreachable_tiles_fall_back_to_no_basemap(tmp_path: Path) -> None:
    page = write_report(demo_instance(), demo_solution(), tmp_path / "tiles.html",
                        tiles="http://127.0.0.1:9/{z}/{x}/{y}.png", static_map=False)
    result = run_chromium(page, tmp_path / "profile", "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    assert [line for line in console_lines(result.stderr) if "Uncaught" in line] == []
    assert re.search(r'id="sc-map-note" style="display: block;?"', result.stdout)
    assert "leaflet-container" in result.stdout


def test_infeasible_solution_still_reported(tmp_path: Path) -> None:
    instance = ROOT / "instances" / "tiny" / "unreachable-min-cost.json"
    solution = sitecircle.solve(instance, backend="ortools")
    assert solution.status.value == "infeasible"
    html = render_report(instance, solution, tiles=None, static_map=False)
    assert "不可行" in html and "C3" in html
    assert write_map_png(instance, solution, tmp_path / "m.png").stat().st_size > 5_000


def test_report_refuses_unknown_tiles_and_foreign_solution() -> None:
    with pytest.raises(ValueError, match="unknown tiles"):
        render_report(demo_instance(), demo_solution(), tiles="bing")
    other = ROOT / "instances" / "tiny" / "one-site-covers-all.json"
    with pytest.raises(InstanceError):
        render_map_png(other, demo_solution())


# --------------------------------------------------------------------------- commands


def planner_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sitecircle")
    register(parser.add_subparsers(dest="command", required=True))
    return parser


def run(argv: list[str]) -> int:
    args = planner_parser().parse_args(argv)
    return int(args.planner_handler(args))


def test_report_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    solution = tmp_path / "solution.json"
    sitecircle.write_solution(demo_solution(), solution)
    out = tmp_path / "r" / "report.html"
    code = run(["report", str(solution), str(DEMO), "-o", str(out), "--png",
                str(tmp_path / "map.png"), "--geo", str(tmp_path / "plan.gpkg"), "--tiles", "none",
                "--no-static-map"])
    assert code == 0
    assert out.is_file() and (tmp_path / "map.png").is_file() and (tmp_path / "plan.gpkg").is_file()
    assert "wrote" in capsys.readouterr().err
    bad = run(["report", str(solution), str(ROOT / "instances" / "tiny" / "budget-binds.json"),
               "-o", str(tmp_path / "x.html")])
    assert bad == 2
    with pytest.raises(SystemExit):
        planner_parser().parse_args(["report", "s.json", "i.json", "-o", "x", "--geo", "a.shp"])


def test_three_layers_to_instance_to_report(tmp_path: Path) -> None:
    """The planner's path: three GeoPackage layers → build-geo → solve → report + GeoPackage."""
    doc = json.loads(DEMO.read_text(encoding="utf-8"))
    import geopandas as gpd
    import pandas as pd

    gpkg = tmp_path / "district.gpkg"
    for kind in ("communities", "sites", "existing"):
        frame = pd.DataFrame(doc[kind][:60])
        for col in ("categories", "cost"):
            if col in frame:
                frame[col] = frame[col].map(lambda v: json.dumps(v, ensure_ascii=False)
                                            if isinstance(v, list) else v)
        if kind == "sites":
            costs = pd.DataFrame(list(frame.pop("cost"))).add_prefix("cost_")
            frame = pd.concat([frame, costs], axis=1)
        gdf = gpd.GeoDataFrame(frame.drop(columns=["x", "y"]), crs="EPSG:4326",
                               geometry=gpd.points_from_xy(frame.x, frame.y))
        gdf.to_crs("EPSG:32649").to_file(gpkg, layer=kind, driver="GPKG", engine="pyogrio")
    instance = tmp_path / "district.json"
    code = run(["build-geo", "--communities", str(gpkg), "--sites", str(gpkg), "--existing",
                str(gpkg), "--layer", "communities=communities", "--layer", "sites=sites",
                "--layer", "existing=existing", "--template", str(DEMO), "--budget", "120",
                "-o", str(instance), "--quiet"])
    assert code == 0
    inst = sitecircle.read_instance(instance)
    assert inst.n_sites == 60 and inst.objective.budget == 120
    solve_parser = argparse.ArgumentParser()
    add_solve_options(solve_parser)
    args = solve_parser.parse_args(["--geo", str(tmp_path / "new.gpkg"), "--report",
                                    str(tmp_path / "report.html"), "--tiles", "none"])
    args.quiet = True
    solution = sitecircle.solve(inst, backend="ortools")
    after_solve(args, inst, solution)
    assert (tmp_path / "new.gpkg").stat().st_size > 0
    assert "缺什么、补什么" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_build_geo_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "communities.csv"
    csv.write_text("id,lon,lat,population\nA,108.3,22.8,100\n", encoding="utf-8")
    out = str(tmp_path / "i.json")
    assert run(["build-geo", "--communities", str(csv), "--categories", "shop", "-o", out]) == 2
    assert "--layer-crs" in capsys.readouterr().err
    assert run(["build-geo", "--communities", str(csv), "--categories", "shop", "-o", out,
                "--map", "population=pop"]) == 2
    assert "KIND.FIELD=COLUMN" in capsys.readouterr().err
    assert run(["build-geo", "--communities", str(csv), "--categories", "shop", "-o", out,
                "--layer-crs", "EPSG:4326"]) == 0
    assert json.loads(Path(out).read_text(encoding="utf-8"))["communities"][0]["x"] == 108.3


# ---------------------------------------------------------------------------------------------
# a planning office's report: names, currency, equal numbers, the static map, infeasibility


def test_report_shows_names_labels_and_currency() -> None:
    inst, sol = named_demo()
    page = render_report(inst, sol, tiles=None, static_map=False)
    new_section = page[page.index("<h2>新增设施"):page.index("<h2>缺什么")]
    j = inst.site_ids.index(sol.open[0]["site"])
    assert f"{inst.site_ids[j]} {inst.site_names[j]}" in new_section  # id and name
    assert "万元</td>" in new_section
    cost_card = page[page.index("成本 <span"):page.index("求解状态")]
    assert "万元" in cost_card
    gaps = page[page.index("id='sc-gaps'"):]
    assert re.search(r"<th[^>]*>街道", gaps) and "新竹街道" in gaps  # the user's label column
    assert "← C" not in gaps and re.search(r"← S\d+ 候选点\d+号", gaps)
    data = json.loads(re.search(r'id="sc-data">(.*?)</script>', page, re.S)[1]
                      .replace("<\\/", "</"))
    assert data["existing"][0]["name"] == "现有店0"
    assert data["added"][0]["name"].startswith("候选点")
    assert data["added"][0]["cost"].endswith(" 万元")


def test_objective_and_bound_print_alike() -> None:
    from sitecircle.formatting import number, numbers_alike
    from sitecircle.outputs.summary import summary

    assert numbers_alike(98.6249999, 98.6250001) == ("98.62", "98.62")
    assert numbers_alike(4_228_430.0, 4_228_430.37) == ("4,228,430", "4,228,430")
    assert numbers_alike(12.0, 12.5) == ("12.00", "12.50")  # one precision for both
    assert number(12_345.6) == "12,346" and number(8.5) == "8.5" and number(None) == "—"
    inst, sol = demo_instance(), demo_solution()
    near = dataclasses.replace(sol, objective=98.6249999, bound=98.6250001, gap=2e-9)
    assert "objective 98.62   bound 98.62" in summary(inst, near)
    big = dataclasses.replace(sol, objective=4_228_430.0, bound=4_228_430.37)
    assert "objective 4,228,430   bound 4,228,430" in summary(inst, big)
    page = render_report(inst, near.to_dict(), tiles=None, static_map=False)
    assert "objective 98.62 · 界 bound 98.62" in page


def _drawn_figure(monkeypatch: pytest.MonkeyPatch, draw: Any) -> Any:
    """Run ``draw()`` and return the matplotlib figure it saved."""
    from matplotlib.figure import Figure

    saved: list[Figure] = []
    original = Figure.savefig

    def keep(self: Figure, *args: Any, **kwargs: Any) -> None:
        saved.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    draw()
    assert saved
    return saved[-1]


def _legend_texts(figure: Any) -> list[str]:
    from matplotlib.legend import Legend

    return [t.get_text() for legend in figure.axes[0].get_children()
            if isinstance(legend, Legend) for t in [legend.get_title(), *legend.get_texts()]]


def test_static_map_axes_labels_and_legend(monkeypatch: pytest.MonkeyPatch) -> None:
    from sitecircle.outputs.static_map import cjk_font

    inst, sol = demo_instance(), demo_solution()
    figure = _drawn_figure(monkeypatch, lambda: render_map_png(inst, sol))
    ax = figure.axes[0]
    assert ax.xaxis.get_offset_text().get_text() == ""  # no "+1.083e2"
    assert ax.yaxis.get_offset_text().get_text() == ""
    assert all(t.get_text().endswith("°") for t in ax.get_xticklabels() if t.get_text())
    texts = _legend_texts(figure)
    if cjk_font() is not None:
        assert ax.get_xlabel() == "经度 longitude" and "便利店 convenience_store" in texts
    # only what is drawn: a category with no facility on the map, and no unreachable mark
    doc = json.loads(DEMO.read_text(encoding="utf-8"))
    doc["categories"].append({"id": "pharmacy", "label": "药店", "threshold_min": 10,
                              "required": False})
    plain = sitecircle.Instance.from_dict(doc)
    figure = _drawn_figure(monkeypatch, lambda: render_map_png(plain, sitecircle.solve(plain)))
    texts = " ".join(_legend_texts(figure))
    assert "pharmacy" not in texts and "out of reach" not in texts
    assert "convenience_store" in texts


def test_infeasible_report_lists_and_marks_unreachable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = ROOT / "instances" / "tiny" / "unreachable-min-cost.json"
    sol = sitecircle.solve(path)
    assert sol.status.value == "infeasible"
    page = render_report(path, sol, tiles=None, static_map=False)
    section = page[page.index("id='sc-explanation'"):]
    section = section[:section.index("</section>")]
    assert "<li><b>便利店</b> <span class='en'>shop</span>" in section
    assert "没有任何候选点或现有设施" in section and "no candidate site or existing" in section
    assert re.search(r"<li>C3: 最近的候选点 site S2, 25 分钟 min</li>", section)
    data = json.loads(re.search(r'id="sc-data">(.*?)</script>', page, re.S)[1])
    marked = {c["id"]: c["unreachable"] for c in data["communities"]}
    assert marked == {"C1": "", "C2": "", "C3": "便利店"}
    figure = _drawn_figure(monkeypatch, lambda: render_map_png(path, sol))
    assert any("out of reach" in t for t in _legend_texts(figure))


def test_report_and_png_writes_are_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A disk that fills up mid-write leaves the previous report and map as they were."""
    inst, sol = demo_instance(), demo_solution()
    html, png = tmp_path / "r.html", tmp_path / "m.png"
    html.write_text("old report", encoding="utf-8")
    png.write_bytes(b"old map")

    def full_disk(self: Path, data: Any, *args: Any, **kwargs: Any) -> None:
        with open(self, "wb") as fh:  # noqa: PTH123 - write a part, as a full disk does
            fh.write((data if isinstance(data, bytes) else data.encode())[:10])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full_disk)
    monkeypatch.setattr(Path, "write_bytes", full_disk)
    with pytest.raises(OSError, match="No space"):
        write_report(inst, sol, html, tiles=None, static_map=False)
    with pytest.raises(OSError, match="No space"):
        write_map_png(inst, sol, png)
    monkeypatch.undo()
    assert html.read_text(encoding="utf-8") == "old report"
    assert png.read_bytes() == b"old map"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.png", "r.html"]


def test_infeasible_by_limits_is_a_list_too() -> None:
    path = ROOT / "instances" / "tiny" / "min-cost-max-new-infeasible.json"
    sol = sitecircle.solve(path)
    page = render_report(path, sol, tiles=None, static_map=False)
    section = page[page.index("id='sc-explanation'"):]
    assert "<li>所有社区都可到达" in section and "max_new 1</li>" in section
    assert "least cost without the limits</span>: 2, 2 个新增设施" in section
