"""What a bot's source says it writes: the values of its event-type enum and every logging call
with its message template, read with ``ast`` from the modules its entry point imports (the code
is parsed, never run)."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BotAuditError
from ..fileio import NotARegularFile, read_regular_bytes
from .templates import LogTemplate, merged, message_parts, percent_parts

# the logging calls and the level each writes
_LEVEL_OF_CALL = {
    "debug": "DEBUG",
    "info": "INFO",
    "warning": "WARNING",
    "warn": "WARNING",
    "error": "ERROR",
    "exception": "ERROR",
    "critical": "CRITICAL",
    "fatal": "CRITICAL",
}
_LEVEL_CONSTANTS = {"DEBUG", "INFO", "WARNING", "WARN", "ERROR", "CRITICAL", "FATAL"}
MAX_SOURCE_BYTES = 8 * 2**20  # one module; a bigger one is generated, not the bot's code


class SourceError(BotAuditError):
    """The bot source cannot be read: no such folder or no entry module."""


@dataclass(frozen=True, slots=True)
class EventTypeValue:
    """One member of the bot's event-type enum."""

    value: str
    name: str
    where: str  # file:line, relative to the source root


@dataclass(frozen=True, slots=True)
class BotSource:
    root: Path
    entry: str
    modules: tuple[str, ...]
    event_types: tuple[EventTypeValue, ...]
    templates: tuple[LogTemplate, ...]
    unreadable: tuple[str, ...] = field(default_factory=tuple)  # file: why


def read_source(root: Path, entry: str = "main.py") -> BotSource:
    """The event types and log templates of the modules ``entry`` imports, transitively."""
    if not root.is_dir():
        raise SourceError(f"bot source {root}: not a folder")
    if not (root / entry).is_file():
        raise SourceError(f"bot source {root}: no entry module {entry}")
    parsed: dict[str, ast.Module] = {}
    unreadable: list[str] = []
    pending = [(root / entry).resolve()]
    seen: set[Path] = set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        relative = path.relative_to(root.resolve()).as_posix()
        try:
            tree = ast.parse(read_regular_bytes(path, MAX_SOURCE_BYTES), relative)
        except NotARegularFile as exc:
            unreadable.append(f"{relative}: {exc}")
            continue
        except (SyntaxError, ValueError) as exc:
            unreadable.append(f"{relative}: not Python 3 ({type(exc).__name__})")
            continue
        parsed[relative] = tree
        pending.extend(_imported_files(tree, path, root.resolve()))
    event_types: list[EventTypeValue] = []
    templates: list[LogTemplate] = []
    for relative, tree in sorted(parsed.items()):
        module = "__main__" if relative == entry else _module_name(relative)
        event_types += _enum_values(tree, relative)
        templates += _log_calls(tree, relative, module)
    return BotSource(
        root,
        entry,
        tuple(sorted(parsed)),
        tuple(event_types),
        tuple(templates),
        tuple(unreadable),
    )


def _module_name(relative: str) -> str:
    name = relative.removesuffix(".py").replace("/", ".")
    return name.removesuffix(".__init__")


def _resolve(root: Path, dotted: str) -> Path | None:
    base = root.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate.resolve()
    return None


def _imported_files(tree: ast.Module, path: Path, root: Path) -> Iterator[Path]:
    """The files of the source tree that a module imports (at any depth of its code)."""
    package = path.parent.relative_to(root).as_posix().replace("/", ".").strip(".")
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".") if package else []
                parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
                base = ".".join([*parts, *([base] if base else [])])
            names = [base, *(f"{base}.{a.name}" if base else a.name for a in node.names)]
        for name in names:
            # `import a.b.c` loads a, a.b and a.b.c
            pieces = name.split(".") if name else []
            for depth in range(1, len(pieces) + 1):
                found = _resolve(root, ".".join(pieces[:depth]))
                if found is not None:
                    yield found


def _enum_values(tree: ast.Module, relative: str) -> Iterator[EventTypeValue]:
    """Members of classes named ``...EventType`` (the bot's enum of event words)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef) or not node.name.endswith("EventType"):
            continue
        for statement in node.body:
            if (
                isinstance(statement, ast.Assign)
                and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)
                and isinstance(statement.value, ast.Constant)
                and isinstance(statement.value.value, str)
            ):
                yield EventTypeValue(
                    statement.value.value,
                    statement.targets[0].id,
                    f"{relative}:{statement.lineno}",
                )


def _logger_names(tree: ast.Module, module: str) -> dict[str, str]:
    """Variable or attribute name -> logger name, from ``x = logging.getLogger(...)``."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Call):
            continue
        call = node.value
        if not (isinstance(call.func, ast.Attribute) and call.func.attr == "getLogger"):
            continue
        argument = call.args[0] if call.args else None
        if argument is None or (isinstance(argument, ast.Name) and argument.id == "__name__"):
            logger = module if argument is not None else "root"
        elif isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            logger = argument.value
        else:
            continue
        for target in node.targets:
            if isinstance(target, ast.Name):
                names[target.id] = logger
            elif isinstance(target, ast.Attribute):
                names[target.attr] = logger
    return names


def _receiver(func: ast.Attribute) -> str | None:
    """The name a logging call is made on (``logger``, ``self.logger``, ``logging``)."""
    value = func.value
    if isinstance(value, ast.Name):
        return value.id
    if isinstance(value, ast.Attribute):
        return value.attr
    return None


def _uses_loguru(tree: ast.Module) -> bool:
    """loguru writes to stderr, never to the bot's log file: its calls are not templates of
    the log (the bot's monitoring modules use it)."""
    return any(
        isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "loguru"
        for node in ast.walk(tree)
    )


def _local_texts(function: ast.AST) -> dict[str, list[tuple[int, ast.expr]]]:
    """Strings a function assigns to a name (``error_msg = f"..."``), with their lines: a
    message that is such a name is the last such string assigned before the call."""
    assigned: dict[str, list[tuple[int, ast.expr]]] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and _is_text(node.value):
                assigned.setdefault(target.id, []).append((node.lineno, node.value))
    return assigned


def _is_text(node: ast.expr) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


Texts = Mapping[str, list[tuple[int, ast.expr]]]


def _calls_in(node: ast.AST, texts: Texts) -> Iterator[tuple[ast.Call, Texts]]:
    """Every call under ``node`` with the local string variables of its innermost function."""
    for child in ast.iter_child_nodes(node):
        inner = (
            _local_texts(child)
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            else texts
        )
        if isinstance(child, ast.Call):
            yield child, texts
        yield from _calls_in(child, inner)


def _log_calls(tree: ast.Module, relative: str, module: str) -> Iterator[LogTemplate]:
    if _uses_loguru(tree):
        return
    loggers = _logger_names(tree, module)
    for node, texts in _calls_in(tree, {}):
        if not isinstance(node.func, ast.Attribute):
            continue
        receiver = _receiver(node.func)
        if receiver is None or "log" not in receiver.lower():
            continue
        method = node.func.attr
        arguments = list(node.args)
        if method == "log" and arguments:
            level_node = arguments.pop(0)
            level_name = level_node.attr if isinstance(level_node, ast.Attribute) else None
            if level_name not in _LEVEL_CONSTANTS:
                continue
            level = _LEVEL_OF_CALL[level_name.lower()]
        elif method in _LEVEL_OF_CALL:
            level = _LEVEL_OF_CALL[method]
        else:
            continue
        if not arguments:
            continue
        logger = "root" if receiver == "logging" else loggers.get(receiver, module)
        local = {
            name: max(before)[1]
            for name, values in texts.items()
            if (before := [(line, value) for line, value in values if line < node.lineno])
        }
        message = arguments[0]
        if (  # logging's own formatting: logger.error("... %s", value)
            len(arguments) > 1
            and isinstance(message, ast.Constant)
            and isinstance(message.value, str)
        ):
            parts = percent_parts(message.value, ast.Tuple(elts=arguments[1:]))
        else:
            parts = message_parts(message, local)
        yield LogTemplate(f"{relative}:{node.lineno}", level, logger, tuple(merged(parts)))
