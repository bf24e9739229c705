"""Solve options checked once (one check, one error, names listed once) and the what-if overrides
of ``solve`` and ``sweep`` (``--objective``, ``--budget``, ``--max-new``, ``--target-share(s)``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sitecircle
from sitecircle.cli.main import main
from sitecircle.errors import OptionsError
from sitecircle.solving.options import OPTION_NAMES, check_settings, flag, load_profile
from tests.conftest import INSTANCES

BUDGET_BINDS = INSTANCES / "tiny" / "budget-binds.json"  # budget 6: 750; budget 3: 400
TARGET = INSTANCES / "tiny" / "min-cost-target-share.json"  # share 0.6: cost 6.5


def _cli(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse's own errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- B: one check


@pytest.mark.parametrize(("name", "value", "message"), [
    ("gap", -0.1, "must be a relative gap in [0, 1), got -0.1"),
    ("time_limit", -1.0, "must be a positive number of seconds, got -1.0"),
    ("threads", 0, "must be a whole number >= 1, got 0"),
    ("seed", -1, "must be a whole number in [0, 2**31), got -1"),
])
def test_every_entry_point_gives_the_same_options_error(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, value: float,
        message: str) -> None:
    with pytest.raises(OptionsError) as by_solve:
        sitecircle.solve(BUDGET_BINDS, **{name: value})
    with pytest.raises(OptionsError) as by_sweep:
        sitecircle.sweep(BUDGET_BINDS, budgets=[3], **{name: value})
    assert str(by_solve.value) == str(by_sweep.value) == f"{name} {message}"
    assert not isinstance(by_solve.value, ImportError)
    for command in (["solve", BUDGET_BINDS], ["sweep", BUDGET_BINDS, "--budgets", "3"]):
        code, _, err = _cli(capsys, *command, flag(name), str(value))
        assert code == 2
        assert err == f"error: {flag(name)} {message}\n"
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({name: value}), encoding="utf-8")
    code, _, err = _cli(capsys, "solve", BUDGET_BINDS, "--profile", profile)
    assert code == 2
    assert err == f"error: --profile {str(profile)!r}: {name} {message}\n"


def test_profile_problems_are_options_errors_not_import_errors(tmp_path: Path) -> None:
    with pytest.raises(OptionsError, match="no such file or preset") as missing:
        load_profile("nosuch")
    assert not isinstance(missing.value, ImportError)
    bad = tmp_path / "bad.json"
    bad.write_text('{"colour": "red", "gap": 2}', encoding="utf-8")
    with pytest.raises(OptionsError, match=r"unknown keys \['colour'\]"):
        load_profile(str(bad))
    assert load_profile("fast") == {"backend": "ortools", "engine": "scip", "gap": 0.01,
                                    "time_limit": 60}


def test_option_names_are_listed_once() -> None:
    assert OPTION_NAMES == ("backend", "engine", "time_limit", "gap", "threads", "seed",
                            "backend_options")
    assert check_settings({"gap": 0.1, "seed": None}) == {"gap": 0.1}
    with pytest.raises(OptionsError, match="--backend must be a backend name"):
        check_settings({"backend": 3}, spell=flag)


# --------------------------------------------------------------------------- H: what-if


def test_solve_overrides_are_applied_and_recorded(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, "solve", BUDGET_BINDS, "--budget", "3", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["objective"] == 400 and doc["solver"]["overrides"] == {"budget": 3.0}
    code, out, _ = _cli(capsys, "solve", BUDGET_BINDS, "--max-new", "1", "--json")
    assert json.loads(out)["objective"] == 600  # one facility: S1 alone covers 600
    code, out, _ = _cli(capsys, "solve", TARGET, "--target-share", "0.5", "--json")
    doc = json.loads(out)
    assert doc["objective"] == 3.5 and doc["solver"]["overrides"] == {"target_share": 0.5}


def test_objective_override_matches_an_edited_instance(capsys: pytest.CaptureFixture[str]) -> None:
    edited = json.loads(BUDGET_BINDS.read_text(encoding="utf-8"))
    edited["objective"] = {"type": "min_cost", "target_share": 0.5}
    expected = sitecircle.solve(edited)
    code, out, _ = _cli(capsys, "solve", BUDGET_BINDS, "--objective", "min_cost", "--target-share",
                        "0.5", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["objective"] == expected.objective
    assert doc["solver"]["overrides"] == {"objective": "min_cost", "target_share": 0.5}


@pytest.mark.parametrize(("argv", "message"), [
    (["--target-share", "0.5"], "--target-share applies to the min_cost objective"),
    (["--objective", "min_cost", "--target-share", "1.5"], "--target-share must be a share"),
    (["--budget", "-1"], "--budget must be a finite number >= 0"),
    (["--max-new", "-2"], "--max-new must be a whole number >= 0"),
])
def test_bad_overrides_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str],
                              message: str) -> None:
    code, out, err = _cli(capsys, "solve", BUDGET_BINDS, *argv)
    assert code == 2 and out == ""
    assert message in err


def test_sweep_target_shares(capsys: pytest.CaptureFixture[str]) -> None:
    result = sitecircle.sweep(TARGET, target_shares=[0.5, 0.6, 1.0])
    assert result.parameter == "target_share"
    assert [p.objective for p in result.points] == [3.5, 6.5, 8.5]  # S2+S3; S1+S3; all
    for point in result.points:
        edited = json.loads(TARGET.read_text(encoding="utf-8"))
        edited["objective"]["target_share"] = point.value
        assert sitecircle.solve(edited).objective == point.objective
    code, out, _ = _cli(capsys, "sweep", TARGET, "--target-shares", "0.5,0.6", "--json")
    assert code == 0
    assert [row["value"] for row in json.loads(out)["rows"]] == [0.5, 0.6]


@pytest.mark.parametrize(("path", "values", "message"), [
    (BUDGET_BINDS, "0.5", "a target share applies to min_cost only"),
    (TARGET, "0,0.5", "--target-shares: every value must be a finite number in (0, 1]"),
])
def test_sweep_bad_target_shares_exit_2(capsys: pytest.CaptureFixture[str], path: Path,
                                        values: str, message: str) -> None:
    code, _, err = _cli(capsys, "sweep", path, "--target-shares", values)
    assert code == 2
    assert message in err
