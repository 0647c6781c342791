"""Findability, driven with Pilot against a real server: the command palette (every action of
the screen, jumps to tasks and projects), j/k in every table, and keys.toml mistakes said."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.command import CommandList, CommandPalette

from tests.support import Server, register
from tests.tui_support import board, make_app, new_project, notices, open_board, until
from tui.app import TaskroomApp
from tui.config import TokenStore
from tui.screens.board import BoardScreen
from tui.screens.exports import ExportsScreen
from tui.screens.help import HelpScreen
from tui.screens.members import MembersScreen
from tui.screens.projects import ProjectsScreen
from tui.screens.ssh_keys import SshKeysScreen

SIZE = (100, 30)
TASKS = [{"title": "Water the ferns"}, {"title": "Mend the fence", "status": "in_progress"}]


def title_of(screen: BoardScreen) -> str | None:
    """The selected task's title, None when nothing is selected."""
    task = screen.selected()
    return task.title if task else None


async def palette(pilot: Any, query: str) -> list[str]:
    """Open ctrl+p, type `query`, return what it offers (labels, then the help lines)."""
    app = pilot.app
    await pilot.press("ctrl+p")
    screen = await until(pilot, lambda: isinstance(app.screen, CommandPalette) and app.screen)
    await pilot.press(*query) if query else None
    hits = screen.query_one(CommandList)
    await until(pilot, lambda: hits.option_count > 0)
    await pilot.pause(0.3)  # every provider has answered
    return [f"{o.hit.text} | {o.hit.help}" for o in hits.options]


async def test_palette_holds_every_action_of_the_screen(tui_server: Server, tmp_path: Path) -> None:
    user = register(tui_server.url)
    new_project(user, "Garden", TASKS)
    app = make_app(tui_server.url, tmp_path, token=user.token, live=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_board(pilot, "Garden")
        offered = " ".join(await palette(pilot, ""))
        for binding in BoardScreen.BINDINGS:
            assert f"· {binding.id}" in offered, binding  # type: ignore[union-attr]
        await pilot.press("escape")

        found = await palette(pilot, "export")
        assert found[0].startswith("Exports of the project | key x")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ExportsScreen))
        await pilot.press("q")
        await until(pilot, lambda: app.screen is screen)

        found = await palette(pilot, "new")
        assert found[0].startswith("New task in the focused column | key n")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)

        found = await palette(pilot, "team")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, MembersScreen))
    user.close()


async def test_palette_jumps_to_a_task_or_a_project(tui_server: Server, tmp_path: Path) -> None:
    user = register(tui_server.url)
    new_project(user, "Garden", TASKS)
    new_project(user, "Kitchen", [{"title": "Descale the kettle"}])
    app = make_app(tui_server.url, tmp_path, token=user.token, live=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_board(pilot, "Garden")
        assert title_of(screen) == "Water the ferns"
        found = await palette(pilot, "fence")
        assert found[0] == "Mend the fence | task in In progress"
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen and title_of(screen) == "Mend the fence")

        found = await palette(pilot, "kitchen")
        assert found[0].startswith("Kitchen | project · owner")
        await pilot.press("enter")
        await until(
            pilot,
            lambda: (store := board(app).store) is not None and store.project.name == "Kitchen",
        )
        assert len(app.screen_stack) == 3  # default, projects, the new board: the old one went

        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, ProjectsScreen))
        await palette(pilot, "ssh")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SshKeysScreen))
    user.close()


async def test_j_and_k_move_in_every_table(tui_server: Server, tmp_path: Path) -> None:
    user = register(tui_server.url)
    for name in ("A", "B", "C"):
        new_project(user, name, TASKS)
    app = make_app(tui_server.url, tmp_path, token=user.token, live=False)
    async with app.run_test(size=SIZE) as pilot:
        projects = await until(pilot, lambda: isinstance(app.screen, ProjectsScreen) and app.screen)
        await until(pilot, lambda: len(projects.projects) == 3)
        await pilot.press("j", "j")
        assert projects.table.cursor_row == 2
        await pilot.press("k")
        assert projects.table.cursor_row == 1
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, BoardScreen) and app.screen.store)
        screen = board(app)
        await pilot.press("v", "j")  # the list view
        assert title_of(screen) == "Mend the fence"
        await pilot.press("question_mark")
        keys = await until(pilot, lambda: isinstance(app.screen, HelpScreen) and app.screen)
        table = keys.query_one("#help-keys")
        await pilot.press("j", "j", "j")
        assert table.cursor_row == 3
        await pilot.press("down", "k")
        assert table.cursor_row == 3
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
    user.close()


async def test_keys_toml_mistakes_are_said(
    tui_server: Server, tmp_path: Path, monkeypatch: Any
) -> None:
    user = register(tui_server.url)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    keys = tmp_path / "taskroom" / "keys.toml"
    keys.parent.mkdir()

    def start() -> TaskroomApp:
        return TaskroomApp(
            tui_server.url, token=user.token, tokens=TokenStore(tmp_path / "c.json"), live=False
        )

    keys.write_text('[keys]\n"board.new" = N\n')  # not TOML: the value is not quoted
    app = start()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "was not read" in notices(app))
        assert str(keys) in notices(app)

    keys.write_text('[keys]\n"board.nwe" = "N"\n"board.priority" = "P"\n"board.new" = 3\n')
    app = start()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: '"board.nwe"' in notices(app))
        assert '"board.new" must be a key in quotes' in notices(app)
        assert "board.priority" not in notices(app)  # a known id is used, not reported
    user.close()


def test_users_text_in_a_help_line_is_never_read_as_markup() -> None:
    """Brackets, slashes and backslashes in a snippet (server text) show as they are; a
    Textual-escaped `[/x` or a trailing backslash used to break the help line (MarkupError)."""
    import random

    from textual.content import Content

    from tui.commands import as_markup, snippet_markup

    rng = random.Random(7)
    for _ in range(5000):
        text = "".join(rng.choice("[]\\«»b/ x=@") for _ in range(rng.randint(1, 12)))
        shown = text.replace("\\", "\u2216")
        assert Content.from_markup(snippet_markup(text)).plain == shown, text
        assert Content.from_markup(as_markup(text)).plain == shown, text
    bold = Content.from_markup(snippet_markup("a «[/b]» \\"))
    assert bold.plain == "a «[/b]» \u2216"
