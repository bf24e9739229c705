"""Driver: solve at gap 0 with a 10 s limit; the answer must be verified feasible."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from benchmarks.conftest import BACKENDS, case_id, cases, instance, model
from sitecircle import get_backend, verify
from sitecircle.backends import SolveOptions


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: "-".join(b))
@pytest.mark.parametrize("case", cases(), ids=case_id)
def test_solve(benchmark: Any, case: tuple[str, int, int, int], backend: tuple[str, str]) -> None:
    m = model(*case)
    options = SolveOptions(engine=backend[1], time_limit_s=10.0, mip_gap=0.0,
                           threads=8 if backend[1] == "sat" else None)
    result = benchmark.pedantic(get_backend(backend[0]).solve, args=(m, options), rounds=1)
    benchmark.extra_info.update(status=result.status.value, objective=result.objective,
                                bound=result.bound, translate_seconds=result.translate_seconds,
                                solve_seconds=result.solve_seconds)
    if result.values is not None:
        x = result.values[m.blocks["open"]] > 0.5
        pairs = np.column_stack([m.open_site[x], m.open_category[x]])
        assert verify(instance(*case), pairs).feasible
