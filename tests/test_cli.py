"""The command line: every exit code, the output channels and the files it writes.

Most cases run :func:`sitecircle.cli.main.main` in-process; a few run the module as a real process
to
prove that nothing (no traceback, no solver banner) leaks onto the wrong stream.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import sitecircle.solving.pipeline
from sitecircle.cli.main import main
from sitecircle.synthetic import random_instance
from sitecircle.verifier.check import Verification
from sitecircle.verifier.check import verify as real_verify
from tests._chinese_layers import DEMO, chinese_frames, write_gpkg

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "instances" / "tiny"
OPTIMAL = TINY / "one-site-covers-all.json"  # expected: objective 1000, open S1/shop
UNREACHABLE = TINY / "unreachable-min-cost.json"
LIMITED = TINY / "min-cost-max-new-infeasible.json"
BACKENDS = ["ortools", "pulp"]

#: Every field of a solution that FORMAT.md lists.
SOLUTION_FIELDS = {"format", "instance", "status", "objective", "bound", "gap", "cost", "open",
                   "coverage", "complete", "communities", "solver"}


def expected(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))["expected"]  # type: ignore[no-any-return]


def broken_instance(folder: Path) -> Path:
    """An instance with three problems in three places."""
    data = json.loads(OPTIMAL.read_text(encoding="utf-8"))
    data["communities"][1]["population"] = -200
    data["sites"][2]["cost"] = "cheap"
    data["objective"]["budjet"] = data["objective"].pop("budget")
    path = folder / "broken.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    """Run ``sitecircle`` in-process; return the exit code, stdout and stderr."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_process(*argv: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``python -m sitecircle.cli`` as a separate process."""
    env = {k: v for k, v in os.environ.items() if k != "SITECIRCLE_DEBUG"}
    return subprocess.run([sys.executable, "-m", "sitecircle.cli", *map(str, argv)],
                          capture_output=True, text=True, encoding="utf-8", timeout=timeout,
                          env=env, cwd=ROOT, check=False)


def check_solution_document(doc: dict[str, Any]) -> None:
    """The document carries every FORMAT.md field with the right shape."""
    assert set(doc) >= SOLUTION_FIELDS
    assert doc["format"] == "sitecircle.solution/1"
    assert doc["status"] in {"optimal", "feasible", "infeasible", "no_solution"}
    assert {"backend", "engine", "seconds"} <= set(doc["solver"])
    for cat in doc["coverage"].values():
        assert set(cat) >= {"covered", "total", "share"}
    assert set(doc["complete"]) >= {"communities", "population", "share"}
    for row in doc["communities"]:
        assert set(row) >= {"id", "missing"}
    for item in doc["open"]:
        assert set(item) == {"site", "category"}


# --------------------------------------------------------------------------- exit 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_solve_optimal_exits_0(capsys: pytest.CaptureFixture[str], backend: str) -> None:
    code, out, err = run(capsys, "solve", OPTIMAL, "--backend", backend)
    assert code == 0, err
    assert "status: optimal" in out
    assert "objective 1,000" in out
    assert f"{backend}/" in out
    assert err == ""


@pytest.mark.parametrize("backend", BACKENDS)
def test_solve_json_is_pure_json(capsys: pytest.CaptureFixture[str], backend: str) -> None:
    code, out, err = run(capsys, "solve", OPTIMAL, "--backend", backend, "--json")
    assert code == 0, err
    doc = json.loads(out)
    check_solution_document(doc)
    want = expected(OPTIMAL)
    assert doc["instance"] == "tiny-one-site-covers-all"
    assert doc["status"] == want["status"] == "optimal"
    assert doc["objective"] == pytest.approx(want["objective"])
    assert doc["bound"] == pytest.approx(want["objective"])
    assert doc["gap"] == pytest.approx(0.0)
    assert doc["cost"] == pytest.approx(1.0)
    assert doc["open"] == want["open"]
    assert doc["coverage"]["shop"] == {"covered": 1000.0, "total": 1000.0, "share": 1.0}
    assert doc["complete"]["communities"] == 4
    assert all(row["missing"] == [] for row in doc["communities"])
    assert doc["solver"]["backend"] == backend


def test_out_writes_the_same_document_into_missing_folders(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_file = tmp_path / "a" / "b" / "c" / "solution.json"
    code, out, err = run(capsys, "solve", OPTIMAL, "--json", "--out", out_file)
    assert code == 0, err
    assert json.loads(out_file.read_text(encoding="utf-8")) == json.loads(out)
    assert [p.name for p in out_file.parent.iterdir()] == ["solution.json"]  # no temp file left


def test_out_replaces_an_existing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_file = tmp_path / "solution.json"
    out_file.write_text("old", encoding="utf-8")
    code, out, err = run(capsys, "solve", OPTIMAL, "--out", out_file)
    assert code == 0, err
    assert json.loads(out_file.read_text(encoding="utf-8"))["status"] == "optimal"
    assert "status: optimal" in out


def test_quiet_prints_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_file = tmp_path / "sol.json"
    code, out, err = run(capsys, "solve", OPTIMAL, "--quiet", "--out", out_file)
    assert (code, out, err) == (0, "", "")
    assert json.loads(out_file.read_text(encoding="utf-8"))["objective"] == pytest.approx(1000)


def test_warnings_go_to_stderr_and_keep_json_clean(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = json.loads(OPTIMAL.read_text(encoding="utf-8"))
    data["sites"][0]["colour"] = "red"
    path = tmp_path / "warn.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    code, out, err = run(capsys, "solve", path, "--json")
    assert code == 0
    assert json.loads(out)["status"] == "optimal"
    assert "warning: sites[0].colour (id 'S1')" in err
    code, out, err = run(capsys, "solve", path, "--quiet")
    assert (code, out, err) == (0, "", "")


def test_profile_fast(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "solve", OPTIMAL, "--profile", "fast", "--json")
    assert code == 0, err
    solver = json.loads(out)["solver"]
    assert (solver["backend"], solver["engine"]) == ("ortools", "scip")
    assert solver["gap_limit"] == 0.01 and solver["time_limit"] == 60


def test_command_line_overrides_profile(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "solve", OPTIMAL, "--profile", "fast", "--backend", "pulp",
                         "--engine", "cbc", "--time-limit", "30", "--json")
    assert code == 0, err
    solver = json.loads(out)["solver"]
    assert (solver["backend"], solver["engine"], solver["time_limit"]) == ("pulp", "cbc", 30)


def test_profile_from_a_json_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    profile = tmp_path / "mine.json"
    profile.write_text('{"backend": "pulp", "gap": 0, "seed": 3}', encoding="utf-8")
    code, out, err = run(capsys, "solve", OPTIMAL, "--profile", profile, "--json")
    assert code == 0, err
    assert json.loads(out)["solver"]["backend"] == "pulp"


# --------------------------------------------------------------------------- exit 1


def test_answer_failing_verification_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The only monkeypatch: a verifier that disagrees with every backend answer stands in for a
    # backend returning a wrong objective.
    def disagreeing_verify(instance: Any, pairs: np.ndarray) -> Verification:
        check = real_verify(instance, pairs)
        if len(pairs) == 0:
            return check
        return dataclasses.replace(check, objective=check.objective + 1.0)

    monkeypatch.setattr(sitecircle.solving.pipeline, "verify", disagreeing_verify)
    out_file = tmp_path / "sol.json"
    code, out, err = run(capsys, "solve", OPTIMAL, "--out", out_file, "--json")
    assert code == 1
    assert out == ""
    assert "error: backend 'ortools'" in err and "verifier recomputes 1001" in err
    assert "Traceback" not in err
    assert not out_file.exists()


# --------------------------------------------------------------------------- exit 2


def test_invalid_instance_exits_2_lists_every_problem_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_file = tmp_path / "new" / "sol.json"
    code, out, err = run(capsys, "solve", broken_instance(tmp_path), "--out", out_file, "--json")
    assert code == 2
    assert out == ""
    assert "invalid instance: 3 problems" in err
    assert "communities[1].population (id 'C2'): must be >= 0, got -200" in err
    assert "sites[2].cost (id 'S3'): must be a number, got string 'cheap'" in err
    assert "objective.budjet: unknown field 'budjet'; did you mean 'budget'?" in err
    assert not out_file.parent.exists()


def test_existing_out_file_untouched_when_instance_invalid(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_file = tmp_path / "sol.json"
    out_file.write_text("previous result\n", encoding="utf-8")
    os.utime(out_file, (1_000_000_000, 1_000_000_000))
    code, _, _ = run(capsys, "solve", broken_instance(tmp_path), "--out", out_file)
    assert code == 2
    assert out_file.read_text(encoding="utf-8") == "previous result\n"
    assert out_file.stat().st_mtime == 1_000_000_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.json", "sol.json"]


@pytest.mark.parametrize(("name", "content", "fragment"), [
    ("missing.json", None, "file not found"),
    ("empty.json", "", "file is empty"),
    ("bad.json", '{"format": ', "invalid JSON at line 1"),
    ("deep.json", "[" * 100000, "nested too deeply"),
], ids=["missing", "empty", "bad-json", "deep"])
def test_unreadable_instance_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, content: str | None,
    fragment: str,
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "solve", path)
    assert code == 2
    assert out == ""
    assert str(path) in err and fragment in err


@pytest.mark.parametrize(("args", "fragment"), [
    (["--backend", "nosuch"], "unknown backend 'nosuch'"),
    (["--engine", "nosuch"], "no engine 'nosuch'"),
    (["--backend", "pulp", "--engine", "sat"], "backend 'pulp' has no engine 'sat'"),
    (["--time-limit", "-1"], "--time-limit must be a positive number of seconds, got -1"),
    (["--time-limit", "nan"], "--time-limit must be a positive number of seconds, got nan"),
    (["--gap", "-0.1"], "--gap must be a relative gap in [0, 1), got -0.1"),
    (["--seed", "-1"], "--seed must be a whole number in [0, 2**31), got -1"),
    (["--profile", "nosuch"], "--profile 'nosuch': no such file or preset"),
], ids=["backend", "engine", "engine-of-other-backend", "time-limit-negative", "time-limit-nan",
        "gap", "seed", "profile"])
def test_bad_options_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                            args: list[str], fragment: str) -> None:
    out_file = tmp_path / "sol.json"
    code, out, err = run(capsys, "solve", OPTIMAL, "--out", out_file, *args)
    assert code == 2
    assert fragment in err
    assert err.startswith("error: ")
    assert not out_file.exists()


@pytest.mark.parametrize(("profile", "fragment"), [
    ("{not json", "cannot read"),
    ("[1, 2]", "must be a JSON object"),
    ('{"time_limit": "ten"}', "time_limit must be a positive number of seconds, got 'ten'"),
    ('{"colour": "red"}', "unknown keys ['colour']"),
], ids=["not-json", "list", "wrong-type", "unknown-key"])
def test_bad_profile_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                  profile: str, fragment: str) -> None:
    path = tmp_path / "profile.json"
    path.write_text(profile, encoding="utf-8")
    code, _, err = run(capsys, "solve", OPTIMAL, "--profile", path)
    assert code == 2
    assert fragment in err


def test_out_that_is_a_folder_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "solve", OPTIMAL, "--out", tmp_path)
    assert code == 2
    assert "is a folder" in err
    assert out == "" and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", [
    [], ["solve"], ["nosuch"], ["solve", str(OPTIMAL), "--nosuch"],
    ["solve", str(OPTIMAL), "--time-limit", "abc"], ["solve", str(OPTIMAL), "--threads", "1.5"],
    ["validate"],
], ids=["nothing", "no-instance", "unknown-command", "unknown-option", "time-limit-text",
        "threads-fractional", "validate-no-instance"])
def test_argparse_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "usage: sitecircle" in err


# --------------------------------------------------------------------------- exit 3


@pytest.mark.parametrize("backend", BACKENDS)
def test_unreachable_target_exits_3_and_names_community_and_nearest(
    capsys: pytest.CaptureFixture[str], backend: str
) -> None:
    code, out, err = run(capsys, "solve", UNREACHABLE, "--backend", backend)
    assert code == 3, err
    assert "status: infeasible" in out
    assert "shop: 1 community has no site or existing facility within 10 min" in out
    assert "C3 (nearest S2 at 25.0 min)" in out


def test_unreachable_target_json_explanation(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "solve", UNREACHABLE, "--json")
    assert code == 3
    doc = json.loads(out)
    check_solution_document(doc)
    assert (doc["status"], doc["objective"], doc["open"]) == ("infeasible", None, [])
    (cat,) = doc["explanation"]["categories"]
    assert cat["category"] == "shop"
    assert cat["communities"] == [{"community": "C3", "demand": 400.0, "nearest": "S2",
                                   "nearest_kind": "site", "nearest_minutes": 25.0}]


@pytest.mark.parametrize("backend", BACKENDS)
def test_limits_make_it_infeasible_exits_3(capsys: pytest.CaptureFixture[str],
                                            backend: str, tmp_path: Path) -> None:
    out_file = tmp_path / "sol.json"
    code, out, err = run(capsys, "solve", LIMITED, "--backend", backend, "--out", out_file)
    assert code == 3, err
    assert "status: infeasible" in out
    assert "not within the limits (max_new 1)" in out
    assert "least cost is 2 with 2 new facilities" in out
    doc = json.loads(out_file.read_text(encoding="utf-8"))
    assert doc["status"] == "infeasible" and doc["objective"] is None


@pytest.mark.parametrize("backend", BACKENDS)
def test_max_categories_infeasibility_names_sites_communities_and_shares(
        capsys: pytest.CaptureFixture[str], backend: str, tmp_path: Path) -> None:
    """Issue 16 item 6: S1 and S3 may host one category each but are the only reach of C1 and
    C3 for both; within the limits shop and canteen reach 100 % + 60 % (or 80 % + 80 %)."""
    doc = {"format": "sitecircle.instance/1", "name": "cap", "crs": "EPSG:3857",
           "categories": [{"id": "shop"}, {"id": "canteen"}, {"id": "laundry", "required": False}],
           "communities": [{"id": f"C{n + 1}", "x": 3000 * n, "y": 0, "population": p}
                           for n, p in enumerate((100, 300, 100))],
           "sites": [{"id": f"S{n + 1}", "x": 3000 * n, "y": 0, "cost": 1, "max_categories": m}
                     for n, m in enumerate((1, 2, 1))],
           "travel": {"mode": "straight", "speed_m_per_min": 100, "detour": 1},
           "objective": {"type": "min_cost"}}
    path = tmp_path / "cap.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    out_file = tmp_path / "sol.json"
    code, out, err = run(capsys, "solve", path, "--backend", backend, "--out", out_file)
    assert code == 3, err
    assert ("site S1 may host 1 category but is the only site within reach for 2 categories: "
            "shop (C1); canteen (C1)") in out
    assert "site S3 may host 1 category" in out and "S2" not in out
    why = json.loads(out_file.read_text(encoding="utf-8"))["explanation"]
    assert [s["site"] for s in why["sites"]] == ["S1", "S3"]
    best = why["best_shares_within_limits"]
    assert set(best) == {"shop", "canteen"}
    assert sum(best.values()) == pytest.approx(1.6)  # the best total share within the limits


# --------------------------------------------------------------------------- exit 4


@pytest.fixture(scope="module")
def hard_instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A min_cost instance large enough that no solver finds a solution in 10 ms."""
    data = random_instance(1, n_communities=400, n_sites=200, n_categories=4,
                           objective={"type": "min_cost", "target_share": 0.95})
    path = tmp_path_factory.mktemp("hard") / "hard.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(("backend", "engine"), [("pulp", "cbc"), ("ortools", "sat")])
def test_no_solution_within_the_time_limit_exits_4(
    capsys: pytest.CaptureFixture[str], hard_instance: Path, tmp_path: Path, backend: str,
    engine: str,
) -> None:
    out_file = tmp_path / "sol.json"
    code, out, err = run(capsys, "solve", hard_instance, "--backend", backend, "--engine", engine,
                         "--time-limit", "0.01", "--json", "--out", out_file)
    if code == 0:
        pytest.xfail(f"{backend}/{engine} found a solution within 0.01 s on this machine")
    assert code == 4, err
    doc = json.loads(out)
    check_solution_document(doc)
    assert (doc["status"], doc["objective"], doc["open"]) == ("no_solution", None, [])
    assert doc["solver"]["time_limit"] == 0.01
    assert json.loads(out_file.read_text(encoding="utf-8")) == doc


# --------------------------------------------------------------------------- validate, backends


def test_validate_valid(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "validate", OPTIMAL)
    assert code == 0
    assert "valid — 4 communities, 3 sites, 0 existing, 1 categories" in out
    assert err == ""


def test_validate_invalid(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "validate", broken_instance(tmp_path))
    assert code == 2
    assert out == ""
    assert "invalid instance: 3 problems" in err
    assert "communities[1].population (id 'C2')" in err


def test_validate_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "validate", OPTIMAL, "--json")
    assert code == 0
    assert json.loads(out) == {"valid": True, "warnings": []}
    code, out, _ = run(capsys, "validate", broken_instance(tmp_path), "--json")
    assert code == 2
    doc = json.loads(out)
    assert doc["valid"] is False
    assert {"field": "communities[1].population", "record": "C2",
            "message": "must be >= 0, got -200"} in doc["problems"]
    assert [p["field"] for p in doc["problems"]] == [
        "communities[1].population", "sites[2].cost", "objective.budjet"]


def test_validate_json_reports_warnings(capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    data = json.loads(OPTIMAL.read_text(encoding="utf-8"))
    data["sites"][0]["colour"] = "red"
    path = tmp_path / "warn.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    code, out, _ = run(capsys, "validate", path, "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["valid"] is True and len(doc["warnings"]) == 1


def test_validate_json_unreadable(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "validate", tmp_path / "nope.json", "--json")
    assert code == 2
    (problem,) = json.loads(out)["problems"]
    assert problem["message"] == "file not found"


# --------------------------------------------------------------------------- build-geo


def _build_geo(capsys: pytest.CaptureFixture[str], gpkg: Path, out: Path,
               *extra: str) -> tuple[int, str, str]:
    layers = [a for k in ("communities", "sites", "existing")
              for a in (f"--{k}", str(gpkg), "--layer", f"{k}={k}")]
    return run(capsys, "build-geo", *layers, "--template", DEMO, "--budget", "60", "-o", out,
               *extra)


def test_build_geo_chinese_layers_without_a_map(capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path) -> None:
    """Issue 16 items 1 and 12, issue 13 item 1: no --map, labels kept, named after the file."""
    _, gdfs = chinese_frames()
    out = tmp_path / "青秀区.json"
    code, stdout, err = _build_geo(capsys, write_gpkg(tmp_path, gdfs), out)
    assert code == 0, err
    assert "warning" not in err and stdout == ""
    assert f"wrote {out}: 40 communities, 20 sites, 30 existing, 8 categories" in err
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["name"] == "青秀区"  # not the template's "nanning-district-demo"
    assert doc["communities"][0]["street"] == "新阳街道"
    assert doc["sites"][0]["cost"]["convenience_store"] == 8.0
    assert doc["existing"][0]["name"] == "便利店1号"
    code, stdout, _ = run(capsys, "validate", out)
    assert code == 0 and "valid — 40 communities" in stdout


def test_build_geo_refuses_an_unused_cost_column_unless_ignored(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _, gdfs = chinese_frames()
    gdfs["sites"]["租金"] = 3.0
    gpkg = write_gpkg(tmp_path, gdfs)
    out = tmp_path / "plan.json"
    code, _, err = _build_geo(capsys, gpkg, out)
    assert code == 2 and not out.exists()
    assert err.startswith("invalid instance: 1 problem\n")
    assert "sites: column '租金': looks like a cost but is not used" in err
    assert "--ignore 租金" in err
    code, _, err = _build_geo(capsys, gpkg, out, "--ignore", "sites=租金")
    assert code == 0, err
    assert "warning" not in err


def test_backends_lists_every_backend_and_the_own_engines(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "backends")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("ortools: available")
    assert ("engines: scip (default, proves optimality, warm start); highs (proves optimality); "
            "sat (no proof, warm start)") in lines[0]
    assert lines[1].startswith("pulp: available")
    assert "engines: cbc (default, proves optimality); highs (proves optimality)" in lines[1]
    assert lines[2].startswith("sitecircle: available")
    assert "engines: heuristic (default, no proof); benders (proves optimality)" in lines[2]


# --------------------------------------------------------------------------- real processes


def test_process_solve_json(tmp_path: Path) -> None:
    out_file = tmp_path / "x" / "sol.json"
    proc = run_process("solve", OPTIMAL, "--json", "--out", out_file)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == f"wrote {out_file}\n"  # nothing else: no banner, no log
    doc = json.loads(proc.stdout)
    check_solution_document(doc)
    assert doc == json.loads(out_file.read_text(encoding="utf-8"))


def test_process_invalid_instance_no_traceback(tmp_path: Path) -> None:
    proc = run_process("solve", broken_instance(tmp_path), "--backend", "pulp")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert "invalid instance: 3 problems" in proc.stderr


def test_process_garbage_and_bad_options_no_traceback(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100000, encoding="utf-8")
    proc = run_process("validate", deep)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "nested too deeply" in proc.stderr
    proc = run_process("solve", UNREACHABLE, "--time-limit", "abc")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "invalid float value" in proc.stderr


def test_process_infeasible_exit_3() -> None:
    proc = run_process("solve", LIMITED, "--backend", "pulp", "--quiet")
    assert (proc.returncode, proc.stdout) == (3, "")
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("backend", BACKENDS)
def test_process_json_is_pure_with_highs(backend: str) -> None:
    # HiGHS prints a "Running HiGHS" banner even with its output off; it must not reach stdout.
    proc = run_process("solve", OPTIMAL, "--backend", backend, "--engine", "highs", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "optimal"


def test_solve_report_geo_reuses_the_solve(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """``solve --report --geo``: the verifier runs only in the solve (before and after), the
    full coverage only once; the outputs reach from the opened sites alone."""
    import sitecircle.outputs.outcome
    from sitecircle.travel.coverage import coverage_from_instance

    calls: dict[str, list[Any]] = {"verify": [], "coverage": []}

    def counted_verify(*args: Any, **kwargs: Any) -> Verification:
        calls["verify"].append(args[0])
        return real_verify(*args, **kwargs)

    def counted_coverage(instance: Any) -> Any:
        calls["coverage"].append(instance)
        return coverage_from_instance(instance)

    for module in (sitecircle.solving.pipeline, sitecircle.outputs.outcome):
        monkeypatch.setattr(module, "verify", counted_verify)
        monkeypatch.setattr(module, "coverage_from_instance", counted_coverage)
    demo = ROOT / "instances" / "demo" / "nanning-district.json"
    code = main(["solve", str(demo), "--report", str(tmp_path / "r.html"), "--geo",
                 str(tmp_path / "g.gpkg")])
    assert code == 0
    # The solve's own: before, the first stage's answer, and the plan after the default
    # min_cost stage (FORMAT.md "Priorities"); the outputs add none.
    assert len(calls["verify"]) == 3
    full = [i for i in calls["coverage"] if i.existing_hosts.any()]
    assert len(full) == 1
    for instance in calls["coverage"]:
        if instance is not full[0]:  # the outputs' reach: opened pairs only
            assert not instance.existing_hosts.any()
            assert instance.site_hosts.sum() == len(json.loads(
                (tmp_path / "r.html").read_text(encoding="utf-8").split('id="sc-data">')[1]
                .split("</script>")[0].replace("<\\/", "</"))["added"])


def test_geo_coords_said_on_the_command_line(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["solve", str(OPTIMAL), "--out", str(tmp_path / "s.json"), "--quiet"])
    assert code == 0
    for command in (["solve", str(OPTIMAL)], ["report", str(tmp_path / "s.json"), str(OPTIMAL),
                                               "-o", str(tmp_path / "r.html")]):
        capsys.readouterr()
        assert main([*command, "--geo", str(tmp_path / "g.geojson"), "--geo-coords", "bd09"]) == 0
        err = capsys.readouterr().err
        assert "g.geojson (coordinates BD-09 (Baidu 百度); the instance stays WGS 84)" in err
        doc = json.loads((tmp_path / "g.geojson").read_text(encoding="utf-8"))
        assert doc["coord_system"] == "bd09"


def test_one_exit_code_enum() -> None:
    import importlib

    from sitecircle.scenarios.result import SweepResult
    from sitecircle.solution_status import ExitCode, Status

    cli_main = importlib.import_module("sitecircle.cli.main")  # the package exports main()
    assert [int(c) for c in ExitCode] == [0, 1, 2, 3, 4]
    assert cli_main.EXIT_INVALID is ExitCode.INVALID
    assert cli_main.EXIT_NO_SOLUTION is ExitCode.NO_SOLUTION
    assert Status.INFEASIBLE.exit_code is ExitCode.INFEASIBLE
    assert Status.FEASIBLE.exit_code is ExitCode.OK
    empty = SweepResult(parameter="budget", objective_type="max_coverage", points=[])
    assert empty.exit_code is ExitCode.OK


def test_out_under_a_file_is_a_clear_error(capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    """An output path whose folder is a file: exit 2 naming the path, no 'internal error'."""
    blocker = tmp_path / "o"
    blocker.write_text("not a folder", encoding="utf-8")
    code, _, err = run(capsys, "solve", OPTIMAL, "--out", blocker / "n.json")
    assert code == 2
    assert "internal error" not in err and str(blocker) in err
