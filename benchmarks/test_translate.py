"""Driver: translation to the engine's own model, timed apart from solving.

sitecircle has no public translate-only call, so the backend solves with a 10 ms limit and the
driver records ``BackendResult.translate_seconds`` in ``extra_info`` (the benchmark's own timing
includes the short solve; PuLP's also writes the model file for the engine).
"""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.conftest import BACKENDS, case_id, cases, model
from sitecircle import get_backend
from sitecircle.backends import SolveOptions


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: "-".join(b))
@pytest.mark.parametrize("case", cases(), ids=case_id)
def test_translate(benchmark: Any, case: tuple[str, int, int, int],
                   backend: tuple[str, str]) -> None:
    m = model(*case)
    options = SolveOptions(engine=backend[1], time_limit_s=0.01,
                           threads=8 if backend[1] == "sat" else None)
    result = benchmark.pedantic(get_backend(backend[0]).solve, args=(m, options), rounds=1)
    benchmark.extra_info["translate_seconds"] = result.translate_seconds
    assert result.translate_seconds > 0
