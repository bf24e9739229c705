"""Shared fixtures: every backend × engine that can prove optimality, and paths."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sitecircle.backends import REGISTRY
from sitecircle.backends.base import Feature

ROOT = Path(__file__).resolve().parents[1]
INSTANCES = ROOT / "instances"
SHARED_DATA = ROOT.parent / "shared" / "data"

#: (backend, engine) pairs that prove optimality: every model test runs on each of them.
PROVING = [
    (name, engine)
    for name, cls in REGISTRY.items()
    for engine, features in cls.engines.items()
    if Feature.PROVES_OPTIMALITY in features
]
#: The default engine of every backend.
DEFAULTS = [(name, cls.default_engine) for name, cls in REGISTRY.items()]


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


def shared_data() -> Path:
    """The public benchmark data folder, or skip the test when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"public benchmark data not found at {SHARED_DATA}")
    return SHARED_DATA


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
