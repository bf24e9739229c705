"""Driver: the solver-neutral ``LinearModel``."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.conftest import case_id, cases, coverage, instance
from sitecircle import build_model


@pytest.mark.parametrize("case", cases(), ids=case_id)
def test_build(benchmark: Any, case: tuple[str, int, int, int]) -> None:
    model = benchmark(build_model, instance(*case), coverage(*case))
    assert model.n_vars > 0 and model.A.nnz > 0
