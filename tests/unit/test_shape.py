"""The package's shape, held by a test: small modules and classes, and the demo kept apart."""

from __future__ import annotations

import ast
from pathlib import Path

from ..conftest import REPO

PACKAGE = REPO / "pytest_botaudit"
MAX_MODULE_LINES = 400
MAX_CLASS_LINES = 250


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_module_and_no_class_is_too_large() -> None:
    too_large = []
    for path in _modules():
        text = path.read_text("utf-8")
        if text.count("\n") > MAX_MODULE_LINES:
            too_large.append(f"{path.relative_to(REPO)}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > MAX_CLASS_LINES:
                    too_large.append(f"{path.relative_to(REPO)}: class {node.name} {size} lines")
    assert too_large == []


def _imports(path: Path) -> set[str]:
    """The package modules ``path`` imports, as dotted names relative to the package."""
    package = path.relative_to(REPO).with_suffix("").parts[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                found.add(".".join([*base, *(node.module or "").split(".")]).strip("."))
            elif node.module:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_demo_is_imported_only_by_the_demo_and_the_command_line() -> None:
    users = [
        str(path.relative_to(REPO))
        for path in _modules()
        if "demo" not in path.relative_to(PACKAGE).parts
        and any(name.startswith("pytest_botaudit.demo") for name in _imports(path))
    ]
    assert users == ["pytest_botaudit/cli.py"]


def test_plain_modules_do_not_import_pytest() -> None:
    """Only the glue (plugin, session, selection, runners, inputs, finish, the pytest-html
    renderer) knows pytest."""
    glue = {
        "plugin.py",
        "session.py",
        "selection.py",
        "runners.py",
        "inputs.py",
        "finish.py",
        "reporting/html.py",
    }
    users = [
        str(path.relative_to(PACKAGE))
        for path in _modules()
        if {"pytest", "pytest_asyncio"} & _imports(path)
    ]
    assert set(users) == glue
