"""Driver: travel times and coverage (matrix to sparse triples)."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.conftest import case_id, cases, instance
from sitecircle import coverage_from_instance


@pytest.mark.parametrize("case", cases(), ids=case_id)
def test_coverage(benchmark: Any, case: tuple[str, int, int, int]) -> None:
    inst = instance(*case)
    cov = benchmark(coverage_from_instance, inst)
    assert len(cov.site) > 0
