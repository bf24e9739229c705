"""Shared fixtures: every backend × engine that can prove optimality, and paths."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from sitecircle.backends import REGISTRY, OwnEnginesBackend
from sitecircle.backends.base import Feature

ROOT = Path(__file__).resolve().parents[1]
INSTANCES = ROOT / "instances"
#: Environment variable naming the public benchmark data folder (default: ``../shared/data``).
SHARED_DATA_ENV = "SITECIRCLE_SHARED_DATA"
#: The public benchmark data (OR-Library, MCLP sets, OSM extracts), never shipped in the package:
#: ``../shared/data`` beside the repository, or the folder named by ``SITECIRCLE_SHARED_DATA``.
SHARED_DATA = Path(os.environ.get(SHARED_DATA_ENV) or ROOT.parent / "shared" / "data")

#: The solver backends (sitecircle's own engines, also registered, have their own tests:
#: test_heuristic_engine, test_benders, and every engine in test_engines).
SOLVER_BACKENDS = {name: cls for name, cls in REGISTRY.items() if name != OwnEnginesBackend.name}
#: (backend, engine) pairs that prove optimality: every model test runs on each of them.
PROVING = [
    (name, engine)
    for name, cls in SOLVER_BACKENDS.items()
    for engine, features in cls.engines.items()
    if Feature.PROVES_OPTIMALITY in features
]
#: The default engine of every solver backend.
DEFAULTS = [(name, cls.default_engine) for name, cls in SOLVER_BACKENDS.items()]
#: Every engine of every registered backend, the own engines included.
EVERY_ENGINE = [(name, engine) for name, cls in REGISTRY.items() for engine in cls.engines]


def _param(backend: str, engine: str) -> object:
    cls = REGISTRY[backend]
    marks = [] if cls.is_available() else [pytest.mark.skip(reason=f"{backend} not installed")]
    return pytest.param((backend, engine), id=f"{backend}-{engine}", marks=marks)


@pytest.fixture(params=[_param(b, e) for b, e in DEFAULTS])
def backend(request: pytest.FixtureRequest) -> tuple[str, str]:
    """Each registered backend with its default engine."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(params=[_param(b, e) for b, e in PROVING])
def proving(request: pytest.FixtureRequest) -> tuple[str, str]:
    """Each backend × engine that proves optimality."""
    return request.param  # type: ignore[no-any-return]


def no_data_reason(*parts: str) -> str:
    """The skip reason of a test whose benchmark file or folder ``SHARED_DATA/parts`` is absent."""
    return (f"public benchmark data not found: {SHARED_DATA.joinpath(*parts)} (set "
            f"{SHARED_DATA_ENV} to the folder that holds it)")


def shared_data(*parts: str) -> Path:
    """``SHARED_DATA/parts`` (a file or folder of the benchmark data), or skip the test.

    Pass the path the test reads so that a partial or empty data folder skips with the file
    named instead of failing on it.
    """
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(no_data_reason(*parts))
    return path


def data_params(rows: Sequence[Any], ids: Sequence[str], *parts: str) -> list[Any]:
    """``pytest.param`` per row read from the benchmark data, or one skipped placeholder.

    Without the data a parametrisation would be empty and pytest would report "got empty
    parameter set"; the placeholder skips with the file that is missing instead.
    """
    if rows:
        return [pytest.param(row, id=i) for row, i in zip(rows, ids, strict=True)]
    return [pytest.param(None, id="no-data",
                         marks=pytest.mark.skip(reason=no_data_reason(*parts)))]


@pytest.fixture(scope="module")
def cluster_address() -> Iterator[str]:
    """One real Dask cluster (threads) per test module, reached by its tcp:// address."""
    import logging

    import distributed

    cluster = distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=2,
                                       dashboard_address=":0", silence_logs=logging.ERROR,
                                       host="127.0.0.1", protocol="tcp")
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()
