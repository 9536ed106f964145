"""What the package index and a packager get (issue 21 #17): a licence, the metadata, a
self-contained long description, and an sdist that carries tests, docs and changelog.

Builds a real sdist (``python -m build --sdist --no-isolation``: no network)."""

# ruff: noqa: S603 - this interpreter, on this repository

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _project() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        project: dict[str, object] = tomllib.load(file)["project"]
    return project


def test_metadata_names_licence_pythons_and_urls() -> None:
    project = _project()
    assert project["license"] == "MIT"
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    classifiers = project["classifiers"]
    assert isinstance(classifiers, list)
    for wanted in ("3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {wanted}" in classifiers
    assert {"Framework :: AsyncIO", "Typing :: Typed"} <= set(classifiers)
    assert project["authors"] and project["urls"]


def test_the_long_description_stands_alone_on_the_index() -> None:
    readme = _project()["readme"]
    assert isinstance(readme, str)
    text = (ROOT / readme).read_text()
    first_command = next(line for line in text.splitlines() if line.startswith(("pip", "python")))
    assert "-e ." not in first_command  # a clone's command, not an installer's
    links = re.findall(r"\]\(([^)]+)\)", text)
    assert all(link.startswith("https://") for link in links), links


def _build_or_fail(out: Path) -> Path:
    try:
        import build  # noqa: F401
    except ImportError:  # CI installs .[test], which has it
        pytest.fail("the build package is missing: pip install -e '.[test]'")
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--no-isolation", "-o", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=110,
    )
    (sdist,) = out.glob("*.tar.gz")
    return sdist


def test_the_sdist_carries_tests_docs_licence_and_changelog(tmp_path: Path) -> None:
    sdist = _build_or_fail(tmp_path)
    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    assert {"LICENSE", "CHANGELOG.md", "README.md", "docs/history.md", "docs/pypi.md"} <= names
    assert {"tests/conftest.py", "tests/store/test_store_modes.py"} <= names
    assert "asset_client/py.typed" in names
    assert not any("__pycache__" in name for name in names)
