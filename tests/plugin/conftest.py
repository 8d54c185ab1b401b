"""Fixtures of the end-to-end tests: a copy of the real audit_checks/ to run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ..conftest import REPO


@pytest.fixture
def checks_dir(pytester: pytest.Pytester) -> Path:
    """A copy of the real audit_checks/ in the pytester directory."""
    target = pytester.path / "audit_checks"
    shutil.copytree(REPO / "audit_checks", target, ignore=shutil.ignore_patterns("__pycache__"))
    (pytester.path / ".env").write_text("BINANCE_TESTNET=true\nBYBIT_TESTNET=true\n")
    return target
