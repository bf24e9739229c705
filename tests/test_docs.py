"""The documentation a user reads first: README commands, links, and the format reference."""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest

import sitecircle
from sitecircle.cli.main import main
from sitecircle.instance import checks
from tests.conftest import ROOT

README = ROOT / "README.md"
FORMAT_DOC = ROOT / "docs" / "format.md"
DOCS = [README, ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]
#: The format contract, kept beside the repository (absent outside the project's workspace).
CONTRACT = ROOT.parent / "shared" / "spec" / "FORMAT.md"

_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    """The anchor a Markdown renderer gives a heading (GitHub's rule)."""
    text = unicodedata.normalize("NFC", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return {_slug(line.lstrip("#")) for line in lines if re.match(r"#{1,6} ", line)}


def test_readme_test_command_is_what_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = ("python3 -m venv .venv && . .venv/bin/activate && pip install -q -e '.[test]' "
               "&& python -m pytest -q")
    assert command in ci
    assert f"```bash\n{command}\n```" in README.read_text(encoding="utf-8")


@pytest.mark.parametrize("doc", DOCS, ids=[str(p.relative_to(ROOT)) for p in DOCS])
def test_relative_links_resolve(doc: Path) -> None:
    broken = []
    for target in _LINK.findall(doc.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+://", target):
            continue
        file, _, anchor = target.partition("#")
        path = (doc.parent / file).resolve() if file else doc
        missing_anchor = bool(anchor) and path.suffix == ".md" and path.exists() \
            and anchor not in _anchors(path)
        if not path.exists() or missing_anchor:
            broken.append(target)
    assert not broken, f"{doc.name}: broken links {broken}"


def test_format_reference_names_every_field_the_reader_knows() -> None:
    text = FORMAT_DOC.read_text(encoding="utf-8")
    known = (checks.TOP_KEYS | checks.CATEGORY_KEYS | checks.SITE_KEYS | checks.EXISTING_KEYS
             | checks.OBJECTIVE_KEYS | set().union(*checks.TRAVEL_KEYS.values()))
    missing = sorted(k for k in known if f"`{k}`" not in text and f".{k}`" not in text)
    assert not missing, f"docs/format.md does not document {missing}"


def test_format_reference_follows_the_contract() -> None:
    """Every field name the contract writes in backticks appears in the shipped reference."""
    if not CONTRACT.is_file():
        pytest.skip(f"format contract not found at {CONTRACT}")
    names = set(re.findall(r"`([a-z_]+(?:\[\])?(?:\.[a-z_]+)*)`", CONTRACT.read_text("utf-8")))
    text = FORMAT_DOC.read_text(encoding="utf-8")
    missing = sorted(n for n in names if f"`{n}`" not in text and n.split(".")[-1] not in text)
    assert not missing, f"docs/format.md misses the contract's {missing}"


def test_readme_python_example_writes_only_under_out(tmp_path: Path) -> None:
    """The README's Python example, run in a fresh folder, writes into out/ and nowhere else."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks
    (tmp_path / "instances").symlink_to(ROOT / "instances")
    proc = subprocess.run([sys.executable, "-c", blocks[0]], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.startswith("optimal ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["instances", "out"]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["solution.json"]


def test_gis_example_layers_rebuild_the_demo(tmp_path: Path) -> None:
    """docs/gis.md's CSV layers, through build-geo as shown, give the demo instance back."""
    layers = ROOT / "docs" / "examples" / "nanning-csv"
    demo = ROOT / "instances" / "demo" / "nanning-district.json"
    out = tmp_path / "district.json"
    code = main(["build-geo", "--communities", str(layers / "communities.csv"),
                 "--sites", str(layers / "sites.csv"), "--existing", str(layers / "existing.csv"),
                 "--layer-crs", "EPSG:4326", "--template", str(demo), "--name",
                 "nanning-from-csv", "--budget", "840", "-o", str(out), "--quiet"])
    assert code == 0
    built, expected = sitecircle.read_instance(out), sitecircle.read_instance(demo)
    assert built.community_ids == expected.community_ids
    assert built.site_ids == expected.site_ids and built.existing_ids == expected.existing_ids
    np.testing.assert_allclose(built.community_xy, expected.community_xy, atol=1e-9)
    for field, values in expected.community_fields.items():
        np.testing.assert_array_equal(built.community_fields[field], values)
    np.testing.assert_array_equal(built.site_hosts, expected.site_hosts)
    np.testing.assert_array_equal(built.site_cost, expected.site_cost)
    np.testing.assert_array_equal(built.site_open_cost, expected.site_open_cost)
    np.testing.assert_array_equal(built.site_max_categories, expected.site_max_categories)
    np.testing.assert_array_equal(built.existing_hosts, expected.existing_hosts)
    assert built.objective.budget == expected.objective.budget == 840
    assert built.community_names == expected.community_names


def test_chinese_gis_example_goes_through_without_a_map(tmp_path: Path) -> None:
    """docs/gis.md: the Chinese-named layers build the demo with no --map (issue 16)."""
    layers = ROOT / "docs" / "examples" / "nanning-zh"
    demo = ROOT / "instances" / "demo" / "nanning-district.json"
    out = tmp_path / "青秀区.json"
    code = main(["build-geo", "--communities", str(layers / "小区.csv"),
                 "--sites", str(layers / "候选点.csv"), "--existing", str(layers / "现状设施.csv"),
                 "--layer-crs", "EPSG:4326", "--template", str(demo), "--budget", "840",
                 "-o", str(out), "--quiet"])
    assert code == 0
    built, expected = sitecircle.read_instance(out), sitecircle.read_instance(demo)
    assert built.name == "青秀区"
    assert built.community_ids == expected.community_ids
    assert built.community_labels["street"] == expected.community_labels["street"]
    assert built.community_names == expected.community_names
    for field, values in expected.community_fields.items():
        np.testing.assert_array_equal(built.community_fields[field], values)
    np.testing.assert_array_equal(built.site_hosts, expected.site_hosts)
    np.testing.assert_array_equal(built.site_cost, expected.site_cost)
    np.testing.assert_array_equal(built.site_open_cost, expected.site_open_cost)
    np.testing.assert_array_equal(built.site_max_categories, expected.site_max_categories)
    np.testing.assert_array_equal(built.existing_hosts, expected.existing_hosts)
