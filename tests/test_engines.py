"""Every engine behind one interface: the own engines as a backend, one result type, the warm start
as a capability, every engine under a time limit, doctor, and a quiet ``--quiet``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import sitecircle
import sitecircle.backends.base
from sitecircle.backends import (
    REGISTRY,
    BackendResult,
    Feature,
    OwnEnginesBackend,
    SolveOptions,
    get_backend,
)
from sitecircle.backends.ortools import OrtoolsBackend
from sitecircle.backends.pulp import PulpBackend
from sitecircle.cli.main import main
from sitecircle.engines.benders import benders_solve
from sitecircle.engines.heuristic import heuristic_solve
from sitecircle.errors import BackendCapabilityError
from sitecircle.solving.warm import warm_start as _warm_start
from tests.conftest import EVERY_ENGINE, INSTANCES, ROOT

BUDGET_BINDS = INSTANCES / "tiny" / "budget-binds.json"  # optimum 750
DEMO = INSTANCES / "demo" / "nanning-district.json"


def _model() -> sitecircle.LinearModel:
    inst = sitecircle.read_instance(BUDGET_BINDS)
    return sitecircle.build_model(inst, sitecircle.coverage_from_instance(inst))


def _run(*argv: str | Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sitecircle", *map(str, argv)],
                          capture_output=True, text=True, encoding="utf-8", timeout=timeout,
                          cwd=ROOT, check=False)


# --------------------------------------------------------------------------- A: one interface


def test_own_engines_are_a_registered_backend() -> None:
    backend = get_backend("sitecircle")
    assert isinstance(backend, OwnEnginesBackend)
    assert set(backend.engines) == {"heuristic", "benders"}
    assert get_backend().name == "ortools"  # the default still proves optimality
    found = sitecircle.solve(BUDGET_BINDS, backend="sitecircle", engine="benders")
    assert (found.solver["backend"], found.solver["engine"]) == ("sitecircle", "benders")
    assert found.objective == 750


@pytest.mark.parametrize("backend", [None, "ortools", "pulp"])
def test_own_engines_need_no_backend_named(backend: str | None) -> None:
    found = sitecircle.solve(BUDGET_BINDS, backend=backend, engine="heuristic")
    assert (found.solver["backend"], found.solver["engine"]) == ("sitecircle", "heuristic")
    assert found.objective == 750


def test_every_engine_returns_the_one_result_type() -> None:
    model = _model()
    results = [heuristic_solve(model), benders_solve(model),
               OrtoolsBackend().solve(model, SolveOptions()),
               PulpBackend().solve(model, SolveOptions()),
               OwnEnginesBackend().solve(model, SolveOptions(engine="benders"))]
    assert all(type(r) is BackendResult for r in results)
    assert [r.objective for r in results] == pytest.approx([750] * 5)
    assert results[0].engine == "heuristic" and "phase_log" in results[0].extra
    assert results[1].engine == "benders" and "phases" in results[1].extra


@pytest.mark.parametrize(("backend", "engine"), [
    (OrtoolsBackend, "highs"), (PulpBackend, "cbc"), (PulpBackend, "highs"),
    (OwnEnginesBackend, "heuristic"), (OwnEnginesBackend, "benders")])
def test_warm_start_is_refused_by_an_engine_that_takes_none(backend: type, engine: str) -> None:
    model = _model()
    options = SolveOptions(engine=engine, warm_start=np.zeros(model.n_vars))
    with pytest.raises(BackendCapabilityError, match="takes no warm start"):
        backend().solve(model, options)


@pytest.mark.parametrize(("engine", "hinted"), [("scip", True), ("sat", True), ("highs", False)])
def test_warm_start_goes_only_to_engines_that_take_it(engine: str, hinted: bool) -> None:
    model = _model()
    options = SolveOptions(engine=engine, time_limit_s=5.0)
    fallback, given = _warm_start(model, options, OrtoolsBackend())
    assert fallback is not None and fallback.objective == 750
    assert (given.warm_start is not None) is hinted
    result = OrtoolsBackend().solve(model, given)  # a hinted scip/sat run still answers right
    assert result.objective == pytest.approx(750)


def test_solve_options_are_checked_when_made() -> None:
    with pytest.raises(sitecircle.errors.OptionsError, match="gap must be a relative gap"):
        SolveOptions(mip_gap=-0.1)
    with pytest.raises(sitecircle.errors.OptionsError, match="threads must be a whole number"):
        SolveOptions(threads=0)


# --------------------------------------------------------------------------- C, D: time limits


@pytest.mark.parametrize(("backend", "engine"), EVERY_ENGINE,
                         ids=[f"{b}-{e}" for b, e in EVERY_ENGINE])
def test_every_engine_under_a_time_limit(backend: str, engine: str) -> None:
    """A time limit turns the warm start on: OR-Tools' HiGHS used to segfault on its hints."""
    found = sitecircle.solve(BUDGET_BINDS, backend=backend, engine=engine, time_limit=5)
    proves = Feature.PROVES_OPTIMALITY in REGISTRY[backend].engines[engine]
    assert found.status.has_solution and found.objective == 750, found.solver
    if proves:  # a proving engine proves this tiny optimum well inside 5 s
        assert found.status is sitecircle.Status.OPTIMAL, found.solver
    assert found.solver["engine"] == engine


def test_doctor_runs_every_engine_with_and_without_a_limit() -> None:
    proc = _run("doctor")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    for backend, engine in EVERY_ENGINE:
        (line,) = [x for x in lines if x.startswith(f"{backend}/{engine}: ")]
        # The heuristic proves the coverage but not that its plan is the cheapest of the equally
        # good ones (the default min_cost stage): feasible, honestly.
        ok = "ok (feasible)" if engine == "heuristic" else "ok (optimal)"
        assert line.count(ok) == 2 and "with --time-limit" in line
    assert proc.stderr == ""  # no banner from any engine


# --------------------------------------------------------------------------- E: default limit


def test_an_engine_that_cannot_prove_gets_a_default_limit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sitecircle.backends.base, "UNPROVING_TIME_LIMIT_S", 7.0)
    sat = sitecircle.solve(BUDGET_BINDS, engine="sat")
    assert sat.solver["time_limit"] == 7.0
    assert "cannot prove optimality" in sat.solver["default_time_limit"]
    for engine in ("scip", "heuristic", "benders"):  # these prove, or stop by themselves
        found = sitecircle.solve(BUDGET_BINDS, engine=engine)
        assert found.solver["time_limit"] is None and "default_time_limit" not in found.solver


def test_cli_warns_of_the_default_limit_and_help_says_what_the_limit_covers(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", str(BUDGET_BINDS), "--engine", "sat"]) == 0
    err = capsys.readouterr().err
    assert "warning: engine ortools/sat cannot prove optimality" in err
    assert "--time-limit" in err
    assert main(["solve", str(BUDGET_BINDS), "--engine", "sat", "--time-limit", "5"]) == 0
    assert "cannot prove" not in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["solve", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "limit of the whole run" in text and "reading, travel times, coverage" in text


# --------------------------------------------------------------------------- F, G: output


@pytest.mark.parametrize(("backend", "engine"), [
    ("ortools", "highs"), ("pulp", "highs"), ("sitecircle", "heuristic"),
    ("sitecircle", "benders")])
@pytest.mark.parametrize("limit", [[], ["--time-limit", "10"]], ids=["free", "limited"])
def test_quiet_is_quiet(backend: str, engine: str, limit: list[str]) -> None:
    proc = _run("solve", DEMO, "--backend", backend, "--engine", engine, *limit, "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert (proc.stdout, proc.stderr) == ("", "")


def test_quiet_is_quiet_on_interrupt() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "sitecircle", "solve", str(DEMO), "--engine",
                             "sat", "--time-limit", "60", "--quiet"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(6)  # past reading and the warm start: CP-SAT is searching
    os.kill(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode in (0, 4)
    assert (out, err) == ("", "")


def test_solve_out_says_where_it_wrote(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "deep" / "sol.json"
    assert main(["solve", str(BUDGET_BINDS), "--out", str(target)]) == 0
    assert f"wrote {target}" in capsys.readouterr().err.splitlines()
    assert main(["solve", str(BUDGET_BINDS), "--out", str(target), "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    assert target.is_file()
