"""Taskroom's key bindings by id: those working on a screen now (for `?` and the palette)
and every one defined (so `keys.toml` can be checked against them)."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from textual.binding import ActiveBinding, Binding
from textual.dom import DOMNode
from textual.screen import Screen

import tui.screens
import tui.widgets


def _subclasses(cls: type[DOMNode]) -> set[type[DOMNode]]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def known_ids() -> set[str]:
    """The ids of the app's, every screen's and every widget's bindings: a new screen's keys
    count without being listed here."""
    from tui.app import TaskroomApp

    for package in (tui.screens, tui.widgets):
        for module in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
            importlib.import_module(module.name)
    classes = {TaskroomApp} | {c for c in _subclasses(DOMNode) if c.__module__.startswith("tui.")}
    return {
        binding.id
        for cls in classes
        for binding in cls.BINDINGS
        if isinstance(binding, Binding) and binding.id
    }


def active_keys(screen: Screen[Any]) -> dict[str, list[ActiveBinding]]:
    """Taskroom's bindings (those with an id) that work on `screen` now, grouped by id:
    the screen's own first, then the focused widget's, then the app's."""

    def rank(active: ActiveBinding) -> int:
        return 0 if active.node is screen else 2 if active.node is screen.app else 1

    found: dict[str, list[ActiveBinding]] = {}
    for active in sorted(screen.active_bindings.values(), key=rank):
        if active.binding.id:
            found.setdefault(active.binding.id, []).append(active)
    return found
