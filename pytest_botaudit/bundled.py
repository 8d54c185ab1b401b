"""The repository's top-level folders the package ships (sql/, audit_checks/), found in a wheel
or beside the package in a source checkout."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path


def bundled_dir(name: str) -> Traversable:
    """A top-level folder of the repository: inside the package in an installed wheel, beside
    it in a source checkout or editable install."""
    packaged = resources.files(__package__).joinpath(name)
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / name


def audit_checks_dir() -> Path:
    return Path(str(bundled_dir("audit_checks")))
