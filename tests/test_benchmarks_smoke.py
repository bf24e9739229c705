"""The benchmark harness in quick mode, so the benchmark code cannot rot (STYLE.md section 8).

Runs ``python benchmarks/run.py --quick`` into a temporary folder and checks that every family
wrote its JSON and Markdown, that no run failed, and that every value a proving engine reports
as optimal equals the published optimum of the instance it touched, and that every engine run
went through ``sitecircle.solving.runner.run_backend`` and ended by its hard deadline.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SHARED_DATA, shared_data

PROVING_QUICK = ("ortools-scip", "pulp-cbc", "pulp-highs")


def _records(out: Path, family: str) -> list[dict[str, object]]:
    assert (out / f"{family}.json").is_file(), f"{family}.json missing"
    assert (out / f"{family}.md").is_file(), f"{family}.md missing"
    doc = json.loads((out / f"{family}.json").read_text())
    versions = doc["meta"]["versions"]
    assert versions["python"] and versions["ortools"] and versions["cpu_count"]
    return list(doc["records"])


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    shared_data("orlib-scp")
    shared_data("mclp")
    out = tmp_path_factory.mktemp("bench")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--out", str(out),
         "--data", str(SHARED_DATA)],
        capture_output=True, text=True, timeout=600, check=False, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return out


@pytest.mark.parametrize("family", ["scp", "mclp"])
def test_quick_published_optima(quick_run: Path, family: str) -> None:
    records = _records(quick_run, family)
    assert records
    for r in records:
        assert not r.get("error"), r
        phases = r["phases"]
        assert {"read", "coverage", "solve", "verify"} <= set(phases), r
        if r["solver"] != "greedy":
            assert {"build", "translate"} <= set(phases), r
        if r["status"] == "optimal":
            assert r["objective"] == r["known"], r
        if r["solver"] in PROVING_QUICK:
            assert r["status"] == "optimal" and r["matches_known"], r
        assert r["peak_rss_mb"] > 0


def test_quick_synthetic_agreement(quick_run: Path) -> None:
    records = _records(quick_run, "synthetic")
    assert records
    by_instance: dict[str, set[float]] = {}
    for r in records:
        assert not r.get("error"), r
        if r["status"] == "optimal":
            by_instance.setdefault(str(r["instance"]), set()).add(float(r["objective"]))
        if r["status"] in ("optimal", "feasible") and r.get("bound") is not None:
            assert r["objective"] <= r["bound"] + 1e-6 * abs(r["bound"]), r
    assert by_instance, "no synthetic run was proven optimal"
    assert all(len(v) == 1 for v in by_instance.values()), by_instance


def test_quick_spopt_peer(quick_run: Path) -> None:
    if importlib.util.find_spec("spopt") is None:
        pytest.skip("spopt not installed (pip install -e '.[bench]')")
    records = _records(quick_run, "spopt")
    for model in ("lscp", "mclp"):
        rows = [r for r in records if r["group"] == model]
        assert {r["solver"] for r in rows} >= {"spopt", "pulp-cbc"}
        objectives = {r["objective"] for r in rows if r["status"] == "optimal"}
        assert len(objectives) == 1, rows


def test_quick_plots(quick_run: Path) -> None:
    if importlib.util.find_spec("matplotlib") is None:
        pytest.skip("matplotlib not installed (pip install -e '.[bench]')")
    for family in ("scp", "mclp", "synthetic"):
        assert (quick_run / f"{family}.png").stat().st_size > 1000


def test_quick_time_limits_hold(quick_run: Path) -> None:
    """Every engine run went through ``run_backend`` and ended by the hard deadline."""
    from sitecircle.solving.runner import HARD_EXTRA_S, HARD_FACTOR

    records = [r for fam in ("scp", "mclp", "synthetic") for r in _records(quick_run, fam)
               if r["solver"] != "greedy"]
    assert records
    for r in records:
        limit = r["limit"]
        assert limit["isolated"], r
        # fork, result pickling and scheduling on a loaded machine: 3 s of slack
        assert limit["runner_wall_s"] <= HARD_FACTOR * r["time_limit"] + HARD_EXTRA_S + 3.0, r
        if limit["killed"] or (limit["interrupted"] and r["objective"] is None):
            assert r["phases"]["solve"] >= r["time_limit"], r
    assert (quick_run / "summary.md").read_text().count("| scp | 4 |") == 1


def test_perf_quick(tmp_path: Path) -> None:
    """``benchmarks/perf.py --quick`` (issue 15, small sizes) runs and writes its table."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "perf.py"), "--quick", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=False, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    table = (tmp_path / "perf.md").read_text(encoding="utf-8")
    for target in ("latency", "mclp", "pulp", "max_complete_demo", "max_complete_sao_paulo"):
        assert f"| {target} |" in table
    assert "error" not in table
    after = {k: v.get("after", {}) for k, v in
             json.loads((tmp_path / "perf.json").read_text())["results"].items()}
    assert after["latency"]["status"] == "optimal"
    assert after["max_complete_demo"]["status"] == "optimal"
    assert after["max_complete_demo"]["objective"] == 470_750
    assert after["pulp"]["rows"] > 0
