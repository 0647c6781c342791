"""The import lines of the README's "Where things live": which top-level package may import which.

Read from the source with `ast` (every import, also those inside functions; those under
`if TYPE_CHECKING:` are types only and left out), so a new import across a line fails here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("api", "worker", "tui", "sshd", "taskroom_cli")
# What each package may import of the others' (a prefix of the module name).
ALLOWED: dict[str, tuple[str, ...]] = {
    "api": (),
    "worker": ("api",),
    "tui": ("api.wire",),
    "sshd": ("api.signing", "api.wire"),
    "taskroom_cli": ("api", "worker", "tui", "sshd"),
}


def _runtime_imports(tree: ast.AST) -> Iterator[str]:
    def walk(node: ast.AST) -> Iterator[str]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                yield from walk(ast.Module(body=child.orelse, type_ignores=[]))
                continue
            if isinstance(child, ast.Import):
                yield from (alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and not child.level:
                if child.module == "api":  # `from api import wire` is `api.wire`
                    yield from (f"api.{alias.name}" for alias in child.names)
                else:
                    yield child.module
            yield from walk(child)

    yield from walk(tree)


def imports_of(package: str) -> dict[str, set[str]]:
    """{file: modules of the other packages it imports at run time}."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        names = {
            name
            for name in _runtime_imports(ast.parse(path.read_text(), str(path)))
            if name.split(".")[0] in PACKAGES and name.split(".")[0] != package
        }
        if names:
            found[str(path.relative_to(ROOT))] = names
    return found


def test_packages_import_only_downwards() -> None:
    wrong = {
        file: sorted(n for n in names if not n.startswith(ALLOWED[file.split("/")[0]]))
        for package in PACKAGES
        for file, names in imports_of(package).items()
    }
    assert {f: n for f, n in wrong.items() if n} == {}


def test_tui_screens_and_widgets_do_not_import_the_app() -> None:
    """They reach the app through `self.app` (typed under TYPE_CHECKING) and its signal."""
    offenders = []
    for folder in ("screens", "widgets", "client"):
        for path in sorted((ROOT / "tui" / folder).rglob("*.py")):
            names = set(_runtime_imports(ast.parse(path.read_text(), str(path))))
            if "tui.app" in names:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


# Where HTTP is the point: controllers and the SSH gateway's own route guard answer in Litestar's
# terms; everything else in a domain speaks `api.domain.errors`.
HTTP_FACING = ("controller.py", "gateway.py")


def test_domain_code_raises_domain_errors_not_http_ones() -> None:
    """Services, schemas and reads are shared with the worker and the CLI: a Litestar exception
    there would tie them to HTTP and bypass the one status map in `api.app`."""
    wrong = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "api" / "domain").rglob("*.py")
        if path.name not in HTTP_FACING
        and any(
            isinstance(node, ast.ImportFrom) and node.module == "litestar.exceptions"
            for node in ast.walk(ast.parse(path.read_text(), str(path)))
        )
    )
    assert not wrong, f"raise api.domain.errors instead of Litestar's exceptions in {wrong}"


# Typed with a literal but kept by the API alone (a CHECK would need a table rebuild on SQLite).
UNCHECKED_LITERALS = {("users", "email_notifications")}


def test_every_literal_typed_column_has_the_check_of_its_literal() -> None:
    """Role, status, priority, colour, kind, format: the values live once, in `api.wire`'s literals;
    the models' CHECK constraints are made from them (`models.one_of`), not written again."""
    from typing import Literal, get_args, get_origin, get_type_hints

    from sqlalchemy import CheckConstraint

    from api.db import models

    found: dict[tuple[str, str], tuple[str, ...]] = {}
    for mapper in models.Base.registry.mappers:
        cls = mapper.class_
        for name, hint in get_type_hints(cls, vars(models)).items():
            (inner,) = get_args(hint) or (None,)
            if get_origin(inner) is Literal and name in mapper.columns:
                found[(cls.__tablename__, name)] = get_args(inner)
    assert ("tasks", "status") in found and ("memberships", "role") in found
    for (table, column), values in found.items():
        checks = {
            str(c.sqltext)
            for c in models.Base.metadata.tables[table].constraints
            if isinstance(c, CheckConstraint) and c.name and str(c.name).endswith(column)
        }
        if (table, column) in UNCHECKED_LITERALS:
            assert not checks
            continue
        expected = f"{column} in (" + ", ".join(f"'{v}'" for v in values) + ")"
        assert checks == {expected}, (table, column, checks)


def test_no_capability_of_the_runtime_is_optional() -> None:
    """Handlers get a whole runtime: without Redis a capability is a null object or an
    in-process one (`NoCache`, `MemoryBroker`, the in-process launchers), never `None`."""
    import typing

    import api.cache
    import api.domain.exports.launcher
    import api.domain.notifications.delivery
    import api.rooms.hub
    from api.runtime import Runtime

    names = {
        "ReadCache": api.cache.ReadCache,
        "Hub": api.rooms.hub.Hub,
        "JobLauncher": api.domain.exports.launcher.JobLauncher,
        "Delivery": api.domain.notifications.delivery.Delivery,
    }
    hints = typing.get_type_hints(Runtime.__init__, localns=names)
    capabilities = {k: v for k, v in hints.items() if k not in ("core", "return")}
    assert set(capabilities) == {"cache", "rooms", "exports", "imports", "notifications"}
    optional = [k for k, v in capabilities.items() if type(None) in typing.get_args(v)]
    assert optional == []
