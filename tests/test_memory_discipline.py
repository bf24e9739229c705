"""Memory discipline at scale: chunked coverage and assembly give the same model, in bounded memory.

The chunk sizes are module constants; these tests shrink them so that a small instance crosses
many chunk boundaries, and check that nothing changes but the order of the coverage triples.
"""

from __future__ import annotations

import tracemalloc
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

import sitecircle.model.assemble as assemble_module
import sitecircle.model.linear as model_module
import sitecircle.travel.straight as travel_module
from sitecircle import Instance, build_model, coverage_from_instance
from sitecircle.model.linear import LinearModel, row_chunks, unique_rows
from sitecircle.synthetic import random_instance
from sitecircle.travel.coverage import Coverage


def _instance(seed: int, objective: dict[str, Any] | None = None, **kw: Any) -> Instance:
    return Instance.from_dict(random_instance(
        seed, n_communities=kw.get("n", 400), n_sites=kw.get("m", 60), n_existing=8,
        n_categories=3, extent_m=kw.get("extent", 3000.0), objective=objective))


def _sorted_triples(cov: Coverage) -> tuple[np.ndarray, ...]:
    order = np.lexsort((cov.site, cov.community, cov.category))
    return tuple(np.asarray(getattr(cov, f))[order]
                 for f in ("community", "site", "category", "minutes"))


def _assert_same_model(a: LinearModel, b: LinearModel) -> None:
    assert a.sense == b.sense and a.offset == b.offset and a.stats == b.stats
    assert a.blocks == b.blocks and a.row_blocks == b.row_blocks
    for name in ("c", "row_lower", "row_upper", "integrality", "open_site", "open_category",
                 "site_open_site"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    for name in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(a.A, name), getattr(b.A, name)), name


OBJECTIVES: list[dict[str, Any] | None] = [
    None,
    {"type": "max_complete", "budget": 400, "max_new": 12},
    {"type": "min_cost", "target_share": 0.8},
    {"type": "min_cost"},
    {"type": "max_coverage", "budget": 500, "max_new": {"convenience_store": 3, "breakfast": 2}},
]


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_tiny_chunks_change_nothing(objective: dict[str, Any] | None,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    inst = _instance(11, objective)
    cov = coverage_from_instance(inst)
    reference = build_model(inst, cov)
    monkeypatch.setattr(travel_module, "FIRST_CHUNK", 7)
    monkeypatch.setattr(travel_module, "PAIRS_PER_CHUNK", 300)
    monkeypatch.setattr(model_module, "CHUNK_ENTRIES", 13)
    monkeypatch.setattr(assemble_module, "CHUNK_ENTRIES", 13)
    small = coverage_from_instance(inst)
    for got, want in zip(_sorted_triples(small), _sorted_triples(cov), strict=True):
        assert np.array_equal(got, want)
    assert np.array_equal(small.precovered, cov.precovered)
    assert np.array_equal(small.coverable, cov.coverable)
    # The triples come in another order; the model is the same array for array.
    _assert_same_model(build_model(inst, small), reference)


def test_triples_have_int32_indices() -> None:
    cov = coverage_from_instance(_instance(2))
    assert cov.community.dtype == np.int32 and cov.site.dtype == np.int32
    assert cov.category.dtype == np.int32 and cov.minutes.dtype == np.float64


def test_model_matrix_has_int32_indices_and_sorted_rows() -> None:
    model = build_model(*(lambda i: (i, coverage_from_instance(i)))(_instance(4)))
    assert model.A.indices.dtype == np.int32 and model.A.indptr.dtype == np.int32
    copy = model.A.copy()
    copy.sort_indices()
    assert np.array_equal(copy.indices, model.A.indices)


def test_row_chunks_cover_every_row_within_the_limit() -> None:
    lengths = np.array([0, 5, 1, 0, 12, 3, 3, 0, 0, 7])
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    for limit in (1, 4, 6, 100):
        ranges = row_chunks(indptr, limit)
        assert ranges[0][0] == 0 and ranges[-1][1] == len(lengths)
        assert all(a < b for a, b in ranges)
        assert all(b == c for (_, b), (c, _) in zip(ranges[:-1], ranges[1:], strict=True))
        for a, b in ranges:  # over the limit by at most the range's first row
            assert indptr[b] - indptr[a + 1] <= limit


def test_unique_rows_separates_a_hash_collision(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = sp.csr_array(np.array([[1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 1, 0]]))

    def same_hash(m: sp.csr_array, weights: np.ndarray) -> np.ndarray:
        return np.zeros(m.shape[0], dtype=np.uint64)  # every row of a length collides

    monkeypatch.setattr(model_module, "_row_hashes", same_hash)
    first, group = unique_rows(rows)
    assert len(first) == 3
    assert group[0] == group[2] and len({group[0], group[1], group[3]}) == 3


def test_assembly_memory_stays_near_the_coverage_size() -> None:
    """Numpy allocations while building: about 14 bytes a triple above coverage and model."""
    inst = _instance(8, n=6000, m=400, extent=4000.0)
    cov = coverage_from_instance(inst)
    triples = len(cov.site)
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        model = build_model(inst, cov)
        peak = tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()
    model_bytes = model.A.data.nbytes + model.A.indices.nbytes + model.A.indptr.nbytes
    assert triples > 200_000
    # The former hstack/vstack/np.unique assembly took more than 40 bytes a triple.
    assert peak < 20 * triples + 2 * model_bytes + 8 * 2**20, (peak, triples, model_bytes)
