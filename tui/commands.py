"""The command palette (ctrl+p): every action of the current screen, and jumps.

The actions are read from the screen's active bindings, so a key added to any screen is in
the palette without being listed here; the jumps go to a task of the open board or to any
of the user's projects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.client.store import STATUS_TITLES
from tui.keys import active_keys

Command = tuple[str, str, Callable[[], Any]]  # what is searched and shown, help line, what runs


class ScreenCommands(Provider):
    """Each Taskroom key of the screen the palette was opened on, by what it does."""

    def commands(self) -> Iterator[Command]:
        for binding_id, actives in active_keys(self.screen).items():
            if binding_id == "app.palette" or not any(a.enabled for a in actives):
                continue
            first = actives[0]
            binding = first.binding
            does = binding.tooltip or binding.description
            label = (
                does if does.startswith(binding.description) else f"{binding.description}: {does}"
            )
            keys = " ".join(dict.fromkeys(self.app.get_key_display(a.binding) for a in actives))
            yield (
                label,
                f"key {keys} · {binding_id}",
                partial(self.app.run_action, binding.action, first.node),
            )

    async def discover(self) -> Hits:
        for label, help_text, run in self.commands():
            yield DiscoveryHit(label, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, help_text, run in self.commands():
            if score := matcher.match(label):
                yield Hit(score, matcher.highlight(label), run, text=label, help=help_text)


class JumpCommands(Provider):
    """Type part of a name: go to that task of the open board, or open that project."""

    def commands(self) -> Iterator[Command]:
        from tui.screens.board import BoardScreen
        from tui.screens.projects import ProjectsScreen

        screen = self.screen
        if isinstance(screen, BoardScreen) and screen.store is not None:
            store = screen.store
            for task in store.tasks.values():
                who = f" · @{store.username(task.assignee_id)}" if task.assignee_id else ""
                where = f"task in {STATUS_TITLES[task.status]}{who}"
                yield task.title, where, partial(screen.show_task, task.id)
        if not isinstance(screen, BoardScreen | ProjectsScreen):
            return  # from a dialog, jumping away would drop what it holds
        projects = next((s for s in self.app.screen_stack if isinstance(s, ProjectsScreen)), None)
        for project in projects.projects if projects else ():
            role = f" · {project.role}" if project.role else ""
            yield (
                project.name,
                f"project{role}",
                partial(self.open_project, project.id, project.name),
            )

    def open_project(self, project_id: Any, name: str) -> None:
        from tui.screens.board import BoardScreen

        if isinstance(self.app.screen, BoardScreen):
            self.app.pop_screen()
        self.app.push_screen(BoardScreen(project_id, name))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, help_text, run in self.commands():
            if score := matcher.match(label):
                yield Hit(score, matcher.highlight(label), run, text=label, help=help_text)
