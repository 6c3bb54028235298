"""Packaging a real library ships (#20 item 4): licence, citation, typed marker, one version, quiet progress bars."""

from __future__ import annotations

import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pytest

import causalkit

ROOT = Path(__file__).resolve().parents[1]


def test_license_citation_and_changelog_are_present():
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    assert (ROOT / "CHANGELOG.md").read_text().startswith("# Changelog")
    yaml = pytest.importorskip("yaml")
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["version"] == causalkit.__version__
    notes = " ".join(ref["notes"] for ref in cff["references"])
    for family in ("debias", "iv", "compositional", "deconfound", "rep4ex", "network", "solvers"):
        assert f"causalkit.{family}" in notes, f"CITATION.cff cites no paper for causalkit.{family}"


def test_wheel_has_py_typed_licence_and_the_one_version(tmp_path):
    # the version is written once (causalkit.__version__); the wheel's metadata must carry it
    build = [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation"]
    subprocess.run(
        [*build, "-q", "-w", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("causalkit-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        assert "causalkit/py.typed" in names
        assert any(n.endswith("licenses/LICENSE") for n in names)
        meta = zf.read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert f"Version: {causalkit.__version__}\n" in meta


def test_progress_bar_never_warns_without_ipywidgets(monkeypatch):
    # tqdm.auto warns "IProgress not found" in a notebook without ipywidgets; the text bar must be used there
    import importlib.util

    from tqdm.std import tqdm as text_bar

    from causalkit._base import progress

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        progress.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "ipywidgets" else real_find_spec(name, *a),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bar = progress.progress_bar(range(3), disable=True)
        assert list(bar) == [0, 1, 2]
    assert type(bar) is text_bar
