"""Every key binding id Taskroom defines, so `keys.toml` can be checked against them."""

from __future__ import annotations

import importlib
import pkgutil

from textual.binding import Binding
from textual.dom import DOMNode

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
