"""Small things a new user notices: toasts, filter words, labels."""

from __future__ import annotations

from pathlib import Path

from tests.support import Server
from tests.tui_support import make_app, notices, until
from tui.screens.login import LoginScreen


async def test_identical_notice_is_not_stacked(tui_server: Server, tmp_path: Path) -> None:
    app = make_app(tui_server.url, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LoginScreen))
        app.notify("Could not save: the server is away", severity="error")
        app.notify("Could not save: the server is away", severity="error")
        app.notify("Something else")
        await pilot.pause()
        assert notices(app).split(" | ").count("Could not save: the server is away") == 1
        assert "Something else" in notices(app)
