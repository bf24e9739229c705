"""Hostile input: mutated instances must end in exit 2 with a message (or a real answer), never
an internal error, a traceback or a hang.

The number of examples is bounded for CI; set ``SITECIRCLE_FUZZ_EXAMPLES`` for a longer run, e.g.
``SITECIRCLE_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz.py``.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitecircle.cli.main import main
from tests.conftest import INSTANCES

EXAMPLES = int(os.environ.get("SITECIRCLE_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
BASE = json.loads((INSTANCES / "tiny" / "open-cost-shared.json").read_text(encoding="utf-8"))
BASE_MATRIX = json.loads((INSTANCES / "tiny" / "matrix-unlisted-pair.json").read_text(
    encoding="utf-8"))

JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=True),
    st.sampled_from(["NaN", "inf", "-1", "", "１２", "x" * 10_000, "EPSG:999999", "null"]),
    st.text(max_size=20), st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.just([[[[[[[[[[[]]]]]]]]]]]), st.just({"a": {"b": {"c": {"d": {}}}}}),
)


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out.extend(_paths(v, (*prefix, i)))
    return out


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    doc = copy.deepcopy(draw(st.sampled_from([BASE, BASE_MATRIX])))
    doc.pop("expected", None)
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "delete", "duplicate", "rename"]))
        key = path[-1]
        if action == "replace":
            parent[key] = copy.deepcopy(draw(JUNK))
        elif action == "delete":
            del parent[key]
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8))] = parent.pop(key)
    return doc


def _run(path: Path, capsys: pytest.CaptureFixture[str]) -> int:
    code = main(["solve", str(path), "--quiet", "--time-limit", "20"])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert code != 1, err  # 1 = internal error: a bug
    if code == 2:
        assert err.strip(), "exit 2 must say what is wrong"
    return code


@FUZZ
@given(doc=mutated())
def test_mutated_instances_never_crash(
    doc: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "fuzz.json"
    path.write_text(json.dumps(doc, allow_nan=True), encoding="utf-8")
    assert _run(path, capsys) in (0, 2, 3, 4)


@FUZZ
@given(cut=st.integers(0, 2000), noise=st.binary(max_size=40), pos=st.integers(0, 2000))
def test_corrupted_bytes_never_crash(
    cut: int, noise: bytes, pos: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = json.dumps(BASE).encode()
    raw = raw[:pos] + noise + raw[pos:]
    path = tmp_path / "bytes.json"
    path.write_bytes(raw[: max(cut, len(raw) // 2)] if cut % 3 == 0 else raw)
    assert _run(path, capsys) in (0, 2, 3, 4)


@pytest.mark.parametrize("text", [
    "", " ", "\ufeff", "null", "[]", "0", '"x"', '{"format": "sitecircle.instance/1"}',
    '{"a": 1, "a": 2}', "[" * 100_000, '{"format": "sitecircle.instance/1", "communities": '
    '[{"id": "c", "x": 1e400, "y": NaN, "population": Infinity}], "categories": [{"id": "a"}]}',
])
def test_pathological_documents(text: str, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "p.json"
    path.write_text(text, encoding="utf-8")
    assert _run(path, capsys) == 2


def test_directory_and_non_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(tmp_path, capsys) == 2
    bad = tmp_path / "gbk.json"
    doc = copy.deepcopy(BASE)
    doc["name"] = "钦州便民生活圈"
    bad.write_bytes(json.dumps(doc, ensure_ascii=False).encode("gbk"))
    assert _run(bad, capsys) == 2


def test_enormous_declared_arrays_absent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = copy.deepcopy(BASE)
    doc["communities"] = [{"id": f"c{i}"} for i in range(20_000)]  # ids only: every field missing
    path = tmp_path / "big.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert _run(path, capsys) == 2
