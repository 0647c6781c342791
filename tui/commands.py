"""The command palette (ctrl+p or `:`): every action of the current screen, jumps, search.

The actions are read from the screen's active bindings, so a key added to any screen is in
the palette without being listed here; the jumps go to a task of the open board or to any
of the user's projects; search asks the server for tasks of every project.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from textual.app import App
from textual.command import DiscoveryHit, Hit, Hits, Matcher, Provider
from textual.content import Content

from api import wire
from tui.client.http import ApiError, Unreachable
from tui.client.store import STATUS_TITLES
from tui.keys import active_keys

if TYPE_CHECKING:
    from tui.app import TaskroomApp

Command = tuple[str, str, Callable[[], Any]]  # what is searched and shown, help line, what runs
SEARCH_DELAY = 0.25  # seconds without a keystroke before the server is asked
SEARCH_MIN = 2  # characters of a query worth a round trip
SEARCH_LIMIT = 20
# A hit scores this share of the query's fuzzy score against itself (the best there is), in
# the server's order: above letters scattered through an action's name, below the query as a
# word of it ("export" still offers Exports first).
SEARCH_SCORE = 0.6
MARKED = re.compile(r"«([^«»]*)»")
NOT_PALETTE = ("app.palette", "app.jump")  # the keys that opened it


def highlight(matcher: Matcher, text: str) -> Content:
    """`text` with the letters the query matched styled, never read as markup: titles and
    names are users' text (the matcher's own `highlight` parses its candidate as markup)."""
    content = Content(text)
    _score, offsets = matcher.fuzzy_search.match(matcher.query, text)
    for offset in offsets:
        if not text[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


def as_markup(text: str) -> str:
    """Users' text inside palette markup (a hit's help line is parsed as markup), shown as it
    is: every `[` escaped, and a backslash shown as U+2216 (set minus), since markup has no
    escape for a backslash and one would escape the next tag. (Textual's `escape` leaves
    `[/…` alone.)"""
    return text.replace("\\", "\u2216").replace("[", "\\[")


def snippet_markup(snippet: str) -> str:
    """The server's snippet as palette markup: its text escaped, the «matches» in bold."""
    return MARKED.sub(r"«[b]\1[/b]»", as_markup(snippet))


def open_board(
    app: App[Any], project_id: uuid.UUID, name: str, task_id: uuid.UUID | None = None
) -> None:
    """Show the project's board (in place of another board), `task_id` selected and shown."""
    from tui.screens.board import BoardScreen

    screen = app.screen
    if isinstance(screen, BoardScreen):
        if screen.project_id == project_id:
            if task_id is not None:
                screen.open_task(task_id)
            return
        app.pop_screen()
    app.push_screen(BoardScreen(project_id, name, task_id))


def jumps_allowed(screen: object) -> bool:
    """Jumping away from a dialog would drop what it holds: only from a board or the list."""
    from tui.screens.board import BoardScreen
    from tui.screens.projects import ProjectsScreen

    return isinstance(screen, BoardScreen | ProjectsScreen)


class ListedCommands(Provider):
    """Commands from a list, fuzzy-matched on their label; all of them shown before typing
    when `DISCOVER`."""

    DISCOVER = False

    def commands(self) -> Iterator[Command]:
        raise NotImplementedError

    async def discover(self) -> Hits:
        for label, help_text, run in self.commands() if self.DISCOVER else ():
            yield DiscoveryHit(Content(label), run, text=label, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, help_text, run in self.commands():
            if score := matcher.match(label):
                yield Hit(score, highlight(matcher, label), run, text=label, help=help_text)


class ScreenCommands(ListedCommands):
    """Each Taskroom key of the screen the palette was opened on, by what it does."""

    DISCOVER = True

    def commands(self) -> Iterator[Command]:
        for binding_id, actives in active_keys(self.screen).items():
            if binding_id in NOT_PALETTE or not any(a.enabled for a in actives):
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


class JumpCommands(ListedCommands):
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
        if not jumps_allowed(screen):
            return
        projects = next((s for s in self.app.screen_stack if isinstance(s, ProjectsScreen)), None)
        for project in projects.projects if projects else ():
            role = f" · {project.role}" if project.role else ""
            yield (
                project.name,
                f"project{role}",
                partial(open_board, self.app, project.id, project.name),
            )


class SearchCommands(Provider):
    """Type words: the server's search over every project of the user, best first; picking
    a hit opens its board with the cursor on it.

    Each keystroke makes the palette cancel the search it runs (in its own worker) for the
    previous text, so waiting `SEARCH_DELAY` first debounces, and a reply for any text but the
    latest is dropped.
    """

    latest = ""

    async def search(self, query: str) -> Hits:
        from tui.screens.board import BoardScreen

        screen = self.screen
        if len(query) < SEARCH_MIN or not jumps_allowed(screen):
            return
        self.latest = query
        await asyncio.sleep(SEARCH_DELAY)
        if query != self.latest:
            return
        app = cast("TaskroomApp", self.app)
        try:
            page = await app.api.search(query, SEARCH_LIMIT)
        except (ApiError, Unreachable) as exc:
            reason = exc.detail if isinstance(exc, ApiError) else str(exc)
            yield Hit(0.01, Content(f"Search: {reason}"), lambda: None, text=query)
            return
        if query != self.latest:
            return
        matcher = self.matcher(query)
        best = matcher.match(query)
        store = screen.store if isinstance(screen, BoardScreen) else None
        for rank, hit in enumerate(page.items):
            task = hit.task
            if store is not None and task.id in store.tasks and matcher.match(task.title):
                continue  # the jump to this board's task offers it already
            yield Hit(
                SEARCH_SCORE * best * (1 - rank / (2 * SEARCH_LIMIT)),
                Content(task.title),
                partial(open_board, app, hit.project.id, hit.project.name, task.id),
                text=task.title,
                help=f"{as_markup(hit.project.name)} · {snippet_markup(hit.snippet)}",
            )


class ViewCommands(ListedCommands):
    """A "View: name" for each saved view of the open board (its own, every project's)."""

    DISCOVER = True
    views: Sequence[wire.SavedView] = ()

    async def startup(self) -> None:
        from tui.screens.board import BoardScreen
        from tui.screens.views import applies_to

        screen = self.screen
        if not isinstance(screen, BoardScreen):
            return
        app = cast("TaskroomApp", self.app)
        try:
            views = await app.api.views()
        except (ApiError, Unreachable):
            return  # the palette still works; `w` says why
        self.views = [v for v in views if applies_to(v, screen.project_id)]

    def commands(self) -> Iterator[Command]:
        from tui.screens.board import BoardScreen

        screen = self.screen
        if isinstance(screen, BoardScreen):
            for view in self.views:
                yield f"View: {view.name}", as_markup(view.query), partial(screen.apply_view, view)
