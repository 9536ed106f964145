"""An optional extra's module for a test: skipped when missing, except under ``CI=true``,
where a missing extra fails the test (CI installs ``.[test]``, which holds every extra)."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


def require(module: str) -> ModuleType:
    """Import ``module``; without it, skip (locally) or fail (``CI=true``)."""
    if os.environ.get("CI", "").lower() == "true":
        return importlib.import_module(module)  # ImportError fails the test module
    found: ModuleType = pytest.importorskip(module)
    return found
