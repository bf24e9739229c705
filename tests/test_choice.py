"""Engine and process choice by model size (sitecircle.solving.choice), and what it relies on."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
import scipy.sparse as sp

import sitecircle
from sitecircle.backends import get_backend
from sitecircle.backends.base import SolveOptions
from sitecircle.backends.ortools import HIGHS_NO_RESTART_NONZEROS, _parameters
from sitecircle.model.build import build_model
from sitecircle.model.phases import build_phased_model
from sitecircle.solving.choice import PHASED_NONZEROS, choose_engine, is_small, runs_in_process
from sitecircle.synthetic import random_instance
from sitecircle.travel.coverage import coverage_from_instance
from tests.conftest import INSTANCES

DEMO = INSTANCES / "demo" / "nanning-district.json"
TINY = INSTANCES / "tiny" / "budget-binds.json"


def _model(path: Path) -> sitecircle.LinearModel:
    inst = sitecircle.read_instance(path)
    return build_model(inst, coverage_from_instance(inst))


def test_small_models_get_highs_large_ones_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(sys.modules, "highspy", raising=False)  # as in a fresh process
    ortools, pulp = get_backend("ortools"), get_backend("pulp")
    demo = _model(DEMO)
    assert is_small(demo)
    assert choose_engine(ortools, demo, None) == "highs"
    assert choose_engine(ortools, demo, "scip") == "scip"  # the caller's engine wins
    assert choose_engine(pulp, demo, None) is None  # no rule for PuLP: its default
    doc = random_instance(3, n_communities=3000, n_sites=800, n_categories=2, extent_m=6000)
    path = tmp_path / "big.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    big = _model(path)
    assert not is_small(big)
    assert choose_engine(ortools, big, None) is None


def test_small_model_without_limit_runs_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    model = _model(TINY)
    ortools = get_backend("ortools")
    monkeypatch.delitem(sys.modules, "highspy", raising=False)
    assert runs_in_process(ortools, model, SolveOptions())
    assert not runs_in_process(ortools, model, SolveOptions(time_limit_s=10))
    monkeypatch.undo()
    # A fresh process (no highspy loaded by other tests), as the command line has.
    code = (
        "import json, sitecircle\n"
        f"a = sitecircle.solve({str(TINY)!r}, isolate=True)\n"
        f"b = sitecircle.solve({str(TINY)!r}, isolate=True, time_limit=30)\n"
        "print(json.dumps([a.solver['engine'], a.solver['isolated'], b.solver['isolated'], "
        "a.objective, b.objective]))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    engine, a_isolated, b_isolated, a_obj, b_obj = json.loads(done.stdout.splitlines()[-1])
    assert (engine, a_isolated, b_isolated) == ("highs", False, True)
    assert a_obj == pytest.approx(b_obj)


def test_no_highs_choice_once_highspy_is_loaded() -> None:
    # OR-Tools' HiGHS segfaults in a process where highspy's HiGHS has solved before: such a
    # process keeps SCIP, so the default command cannot crash there.
    code = (
        "import sitecircle\n"
        f"sitecircle.solve({str(TINY)!r}, backend='pulp', engine='highs')\n"
        f"s = sitecircle.solve({str(DEMO)!r})\n"
        "print('RESULT', s.status.value, s.solver['engine'])\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "RESULT optimal scip" in done.stdout


THREE_YEARS = INSTANCES / "demo" / "nanning-district-three-years.json"


def test_phased_models_get_highs_up_to_their_own_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """A phased model beyond the small-model size still gets HiGHS (measured faster, choice.py),
    up to PHASED_NONZEROS; beyond that, and for a single period of that size, the default."""
    monkeypatch.delitem(sys.modules, "highspy", raising=False)
    ortools = get_backend("ortools")
    inst = sitecircle.read_instance(THREE_YEARS)
    model = build_phased_model(inst, coverage_from_instance(inst)).model
    assert model.stats["phases"] == 3 and not is_small(model)
    assert choose_engine(ortools, model, None) == "highs"
    assert choose_engine(ortools, model, "scip") == "scip"
    single = dataclasses.replace(model, stats={**model.stats, "phases": 1})
    assert choose_engine(ortools, single, None) is None
    n = PHASED_NONZEROS + 1
    wide = sp.random(n, model.n_vars, density=2 / model.n_vars, format="csr", random_state=0)
    big = dataclasses.replace(model, A=sp.csr_array(wide))
    assert big.A.nnz > PHASED_NONZEROS and choose_engine(ortools, big, None) is None


def test_phased_solve_without_engine_chooses_by_size(tmp_path: Path) -> None:
    """The planning path no longer fixes the backend's default engine before each stage's size
    is known: the three-year demo's stages run on HiGHS, and naming SCIP still gets SCIP."""
    out = tmp_path / "plan.json"
    done = subprocess.run([sys.executable, "-m", "sitecircle", "solve", str(THREE_YEARS),
                           "--out", str(out), "--quiet"], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    solution = json.loads(out.read_text(encoding="utf-8"))
    assert solution["status"] == "optimal"
    assert solution["solver"]["engine"] == "highs"
    assert [p["id"] for p in solution["phases"]] == ["2027", "2028", "2029"]


def test_highs_skips_its_restart_on_small_single_period_models_only() -> None:
    """OR-Tools' HiGHS gets ``mip_allow_restart=false`` on small single-period models (measured
    faster there, backends/ortools.py) and keeps its restart on phased and larger models; a
    caller's own parameters come after it."""
    demo = _model(DEMO)
    off = "mip_allow_restart=false"
    assert off in _parameters("highs", SolveOptions(), demo).splitlines()
    assert off not in _parameters("scip", SolveOptions(), demo)
    phased = dataclasses.replace(demo, stats={**demo.stats, "phases": 3})
    assert off not in _parameters("highs", SolveOptions(), phased)
    n = HIGHS_NO_RESTART_NONZEROS + 1
    wide = sp.random(n, demo.n_vars, density=2 / demo.n_vars, format="csr", random_state=0)
    big = dataclasses.replace(demo, A=sp.csr_array(wide))
    assert big.A.nnz > n - 1 and off not in _parameters("highs", SolveOptions(), big)
    mine = SolveOptions(backend_options={"parameters": "mip_allow_restart=true"})
    assert _parameters("highs", mine, demo).splitlines()[-1] == "mip_allow_restart=true"
