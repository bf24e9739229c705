"""Nested budget sweeps (``sweep --nested``): one investment order against the free plans."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

import sitecircle
from sitecircle.cli.main import main
from sitecircle.errors import OptionsError
from sitecircle.scenarios.nested import NESTED_COLUMNS, nested_sweep, phase_id, phased_by_budgets
from tests.conftest import INSTANCES

TINY = INSTANCES / "tiny"
BUDGET_BINDS = str(TINY / "budget-binds.json")


def _steps(result: sitecircle.Solution, budgets: list[float]) -> list[set[tuple[str, str]]]:
    """The nested plan at each budget: everything opened by the end of that phase."""
    plans, have = [], set()
    for b in budgets:
        have |= {(o["site"], o["category"]) for o in result.open if o["phase"] == phase_id(b)}
        plans.append(set(have))
    return plans


def test_nested_tiny_hand_checked_price() -> None:
    # budget-binds: S1 (cost 5) covers 600, S2 and S3 (cost 3 each) 400 and 350. Alone, budget 5
    # opens S1 (600) and budget 6 opens S2 + S3 (750). Nested with weights 1 + 1: S1 then
    # nothing more fits (600 + 600 = 1200) beats S2 then S2 + S3 (400 + 750 = 1150).
    result = nested_sweep(BUDGET_BINDS, [6, 5])
    rows = result.rows()
    assert [r["budget"] for r in rows] == [5, 6]
    assert [r["objective"] for r in rows] == pytest.approx([600, 600])
    assert [r["free_objective"] for r in rows] == pytest.approx([600, 750])
    assert [r["price_of_nesting"] for r in rows] == pytest.approx([0, 150])
    assert rows[1]["price_of_nesting_share"] == pytest.approx(150 / 750)
    assert [r["cost"] for r in rows] == pytest.approx([5, 5])
    assert [r["added_facilities"] for r in rows] == ["S1:shop", ""]
    assert result.exit_code == 0


def test_every_plan_contains_the_previous_and_never_beats_the_free_one() -> None:
    budgets = [0.0, 3.0, 5.0, 6.0, 11.0]
    result = nested_sweep(BUDGET_BINDS, budgets)
    solution = result.nested[0]
    assert solution.status.value == "optimal"
    plans = _steps(solution, budgets)
    for before, after in zip(plans, plans[1:], strict=False):
        assert before <= after
    rows = result.rows()
    for row, plan in zip(rows, plans, strict=True):
        assert row["cost"] <= row["budget"] + 1e-9
        assert row["new_facilities"] == len(plan)
        assert row["objective"] <= row["free_objective"] + 1e-6
        assert row["price_of_nesting"] == pytest.approx(row["free_objective"] - row["objective"])
    assert rows[0]["objective"] == pytest.approx(rows[0]["free_objective"])  # budget 0: nothing
    assert rows[-1]["objective"] == pytest.approx(1350)  # everything fits at 11


def test_phased_instance_of_the_budgets() -> None:
    base = sitecircle.read_instance(BUDGET_BINDS)
    phased = phased_by_budgets(base, [3.0, 6.5])
    phases = phased.objective.phases
    assert phases is not None
    assert [(p.id, p.budget_to_date, p.budget, p.weight) for p in phases] == [
        ("3", 3.0, None, 1.0), ("6.5", 6.5, None, 1.0)]
    assert phased.objective.budget == 6.5
    # ids are exact: two close large budgets never share one
    assert [phase_id(b) for b in (1234567.0, 1234568.0, 99.5)] == ["1234567", "1234568", "99.5"]


def test_nested_cli_table_csv_and_solutions(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    out, sols, png = tmp_path / "nested.csv", tmp_path / "plans", tmp_path / "nested.png"
    code = main(["sweep", BUDGET_BINDS, "--budgets", "5,6", "--nested", "--out", str(out),
                 "--out-dir", str(sols), "--plot", str(png)])
    assert code == 0
    assert png.read_bytes().startswith(b"\x89PNG")
    text = capsys.readouterr().out
    assert "price" in text and "budget 5 adds 1: S1:shop" in text
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert list(rows[0]) == list(NESTED_COLUMNS)
    assert [float(r["price_of_nesting"]) for r in rows] == pytest.approx([0, 150])
    nested = json.loads((sols / "tiny-budget-binds-nested.json").read_text(encoding="utf-8"))
    assert [p["id"] for p in nested["phases"]] == ["5", "6"]
    assert (sols / "tiny-budget-binds-budget-6.json").is_file()
    code = main(["sweep", BUDGET_BINDS, "--budgets", "5,6", "--nested", "--json"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["format"] == "sitecircle.nested_sweep/1" and len(doc["rows"]) == 2


@pytest.mark.parametrize("argv", [[], ["--thresholds", "5,10"]])
def test_nested_needs_budgets(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", BUDGET_BINDS, "--nested", *argv]) == 2
    assert "--nested needs --budgets" in capsys.readouterr().err


def test_nested_refuses_min_cost_and_phased_instances(tmp_path: Path) -> None:
    with pytest.raises(OptionsError, match="minimises cost"):
        nested_sweep(str(TINY / "min-cost-full-coverage.json"), [1, 2])
    doc = json.loads(Path(BUDGET_BINDS).read_text(encoding="utf-8"))
    doc["objective"]["phases"] = [{"id": "2027"}]
    with pytest.raises(OptionsError, match="already has objective.phases"):
        nested_sweep(doc, [1, 2])
    path = tmp_path / "phased.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["sweep", str(path), "--budgets", "1,2", "--nested"]) == 2
