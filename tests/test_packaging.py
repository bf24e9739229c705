"""What a plain ``pip install .`` gets: the wheel's files, its licence metadata, and the CLI.

The wheel is built from a copy of the files a source distribution needs (``pyproject.toml``,
``README.md``, ``LICENSE``, ``src/``, ``solvers/``), so the build never writes into the checkout.
It is built without build isolation when the running environment's setuptools takes the SPDX
``license`` form (77 or later), offline; otherwise pip builds it as ``pip install .`` does, with
the build requirements fetched from the package index.
"""

from __future__ import annotations

import email
import email.message
import json
import os
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from sitecircle.cli.main import main
from tests.conftest import INSTANCES, ROOT

PRESETS = sorted(p.name for p in (ROOT / "solvers").glob("*.json"))
LEAFLET = sorted(p.name for p in (ROOT / "src" / "sitecircle" / "_vendor" / "leaflet").iterdir())


def _setuptools_takes_spdx() -> bool:
    try:
        major = int(metadata.version("setuptools").split(".")[0])
    except (metadata.PackageNotFoundError, ValueError):
        return False
    return major >= 77


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel ``pip wheel`` builds from the project's source files."""
    src = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    for name in ("src", "solvers"):  # src/sitecircle/presets is a symlink to ../../solvers
        shutil.copytree(ROOT / name, src / name, symlinks=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)]
    if _setuptools_takes_spdx():
        command.append("--no-build-isolation")
    proc = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (built,) = out.glob("sitecircle-*.whl")
    return built


def _metadata(names: list[str], archive: zipfile.ZipFile) -> email.message.Message:
    (path,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    return email.message_from_bytes(archive.read(path))


def test_wheel_ships_presets_catalogue_leaflet_and_licences(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        # --profile exact|cbc|highs|fast after a plain `pip install .` (the presets are the
        # repository's solvers/*.json, byte for byte).
        assert PRESETS and {"exact.json", "cbc.json", "highs.json", "fast.json"} <= set(PRESETS)
        for preset in PRESETS:
            assert archive.read(f"sitecircle/presets/{preset}") == \
                (ROOT / "solvers" / preset).read_bytes()
        catalog = json.loads(archive.read("sitecircle/instance/catalog.json"))
        assert catalog["format"] == "sitecircle.catalog/1"
        for name in LEAFLET:  # the offline map of the HTML report
            assert f"sitecircle/_vendor/leaflet/{name}" in names
        assert "sitecircle/py.typed" in names
        licences = [n for n in names if "/licenses/" in n and n.endswith("LICENSE")]
        assert len(licences) == 2, licences
        texts = [archive.read(n).decode("utf-8") for n in licences]
        assert any(t.startswith("MIT License") for t in texts)
        assert any(t.startswith("BSD 2-Clause License") for t in texts)
        meta = _metadata(names, archive)
    assert meta["License-Expression"] == "MIT AND BSD-2-Clause"
    assert meta["License"] is None  # the deprecated free-text form is gone
    assert "Typing :: Typed" in meta.get_all("Classifier", [])
    assert "facility location" in meta["Keywords"]
    assert meta["Version"] == metadata.version("sitecircle")


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"sitecircle {metadata.version('sitecircle')}"


def test_installed_cli_runs_profile_fast_from_another_folder(wheel: Path,
                                                             tmp_path: Path) -> None:
    """The wheel installed on its own (no source tree on the path) solves with --profile fast."""
    site = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
         "--target", str(site), str(wheel)],
        capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    elsewhere = tmp_path / "elsewhere"  # no solvers/ folder here
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)  # the installed wheel first; dependencies from this env
    where = subprocess.run([sys.executable, "-c", "import sitecircle; print(sitecircle.__file__)"],
                           capture_output=True, text=True, cwd=elsewhere, env=env, check=True)
    assert Path(where.stdout.strip()).is_relative_to(site)
    script = site / "bin" / "sitecircle"
    version = subprocess.run([str(script), "--version"], capture_output=True, text=True,
                             cwd=elsewhere, env=env, timeout=60, check=False)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"sitecircle {metadata.version('sitecircle')}"
    demo = INSTANCES / "demo" / "nanning-district.json"
    solved = subprocess.run(
        [str(script), "solve", str(demo), "--profile", "fast", "--quiet", "--out", "plan.json"],
        capture_output=True, text=True, cwd=elsewhere, env=env, timeout=300, check=False)
    assert solved.returncode == 0, solved.stdout[-3000:] + solved.stderr[-3000:]
    plan = json.loads((elsewhere / "plan.json").read_text(encoding="utf-8"))
    assert plan["status"] in ("optimal", "feasible")
    fast = json.loads((ROOT / "solvers" / "fast.json").read_text(encoding="utf-8"))
    assert plan["solver"]["gap_limit"] == fast["gap"]  # the preset was read from the wheel
    assert plan["solver"]["time_limit"] == fast["time_limit"]


def test_start_up_leaves_heavy_modules_for_first_use() -> None:
    """Importing the command line loads none of pandas, networkx, scipy.optimize,
    scipy.spatial (~70-80 ms each or more of every start-up) and multiprocessing (~20 ms); the
    modules that need them load them on first use."""
    code = ("import sys, sitecircle.cli.main; "
            "print(','.join(m for m in ('pandas', 'networkx', 'scipy.optimize', 'scipy.spatial', "
            "'multiprocessing') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.strip() == ""
