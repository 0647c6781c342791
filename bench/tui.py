"""TUI speed: start to a usable board at 100 / 1 000 / 5 000 tasks, and applying 1 000 live events.

    uv run python bench/tui.py [--sizes 100,1000,5000] [--events 1000]

Runs a real `taskroom serve` (SQLite) and the real TaskroomApp headless. Baselines measured
in the same run: the bare HTTP fetch + decode of the project (what no client can beat), and
decoding one event. Targets: a usable board under 1 s at 1 000 tasks; under 16 ms of
main-thread work per applied event.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api import wire
from tests.support import ApiUser, Server, register, rmtree, server_env
from tests.tui_support import make_app, until
from tui.client.live import LiveClient
from tui.client.store import to_task
from tui.screens.board import BoardScreen
from tui.screens.projects import ProjectsScreen

STATUSES = ("todo", "in_progress", "done")


def seed(db: Path, owner: ApiUser, name: str, count: int) -> str:
    """A project over HTTP, its tasks straight into SQLite (5 000 POSTs would bench the API)."""
    pid: str = owner.client.post("/api/projects", json={"name": name}).json()["id"]
    now = dt.datetime.now(dt.UTC).isoformat()
    rows = [
        (
            uuid.uuid4().hex,
            uuid.UUID(pid).hex,
            f"Task {i} of {name}",
            "",
            STATUSES[i % 3],
            wire.TASK_PRIORITIES[i % 4],
            None,
            None,
            float(i * 1024),
            1,
            now,
            now,
        )
        for i in range(count)
    ]
    with sqlite3.connect(db) as conn:
        conn.executemany(
            "INSERT INTO tasks (id, project_id, title, description, status, priority,"
            " assignee_id, due_date, position, version, created_at, updated_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
    return pid


def fetch_baseline(url: str, token: str, pid: str) -> float:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
        client.get("/health")
        t0 = time.perf_counter()
        msgspec.json.decode(client.get(f"/api/projects/{pid}").content, type=wire.ProjectDetail)
        return time.perf_counter() - t0


async def board_ready(url: str, token: str, name: str, tmp: Path) -> tuple[float, float]:
    """Seconds from constructing the app to a drawn board, and from `enter` to it."""
    t0 = time.perf_counter()
    app = make_app(url, tmp, token=token, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await until(pilot, lambda: isinstance(app.screen, ProjectsScreen) and app.screen)
        await until(pilot, lambda: screen.projects)
        screen.table.move_cursor(row=[p.name for p in screen.projects].index(name))
        t1 = time.perf_counter()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, BoardScreen) and app.screen.store)
        await pilot.pause()
        done = time.perf_counter()
        return done - t0, done - t1


def events_for(tasks: list[wire.Task], count: int, actor: wire.Actor) -> list[wire.RoomEvent]:
    """Moves and edits across the board, as the server would send them."""
    frames = []
    for i in range(count):
        task = tasks[i % len(tasks)]
        changed = msgspec.structs.replace(
            task,
            status=STATUSES[(i + 1) % 3],
            title=f"{task.title} · edit {i}",
            version=task.version + 1 + i,
        )
        frames.append(
            wire.RoomEvent(
                room=wire.room_of(task.project_id),
                event="task:updated",
                data=msgspec.to_builtins(changed),
                actor=actor,
                cursor=str(i),
                ts=dt.datetime.now(dt.UTC),
            )
        )
    return frames


async def apply_events(url: str, token: str, name: str, tmp: Path, count: int) -> dict[str, float]:
    """Frames go through the real LiveClient path (decode, buffer, coalesce, post, apply,
    redraw); CPU time of this process is the app's main thread (the server is elsewhere)."""
    app = make_app(url, tmp, token=token, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await until(pilot, lambda: isinstance(app.screen, ProjectsScreen) and app.screen)
        await until(pilot, lambda: screen.projects)
        screen.table.move_cursor(row=[p.name for p in screen.projects].index(name))
        await pilot.press("enter")
        board = await until(pilot, lambda: isinstance(app.screen, BoardScreen) and app.screen)
        await until(pilot, lambda: board.store)
        await pilot.pause()
        tasks = list(board.store.tasks.values())
        live = LiveClient(app, "ws://unused", token)
        live.rooms[board.room] = None
        actor = wire.Actor(id=uuid.uuid4(), username="other")
        results: dict[str, float] = {}
        for label, gap in (("flood", 0.0), ("steady 100/s", 0.01)):
            raw = [msgspec.json.encode(f) for f in events_for(tasks, count, actor)]
            last = raw[-1]
            t0 = time.process_time()
            for frame in raw:
                live._receive(frame)
                if gap:
                    await asyncio.sleep(gap)
            final = msgspec.json.decode(last, type=wire.RoomEvent).data["title"]
            await until(pilot, lambda: any(t.title == final for t in board.store.tasks.values()))  # noqa: B023
            await pilot.pause()
            results[label] = (time.process_time() - t0) / count
        t0 = time.process_time()
        for frame in raw:
            to_task(msgspec.json.decode(frame, type=wire.RoomEvent).data)
        results["baseline: decode one event"] = (time.process_time() - t0) / len(raw)
        return results


async def main_async(sizes: list[int], events: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="taskroom-bench-tui-"))
    server = Server(server_env(tmp, None)).start(timeout=120)
    try:
        owner = register(server.url)
        names = {}
        for size in sizes:
            names[size] = f"bench {size}"
            seed(tmp / "taskroom.db", owner, names[size], size)
        print("start to usable board (headless, 120x40; medians of 3)")
        print(f"{'tasks':>6} {'start s':>9} {'open s':>9} {'fetch s':>9} {'open/fetch':>11}")
        for size in sizes:
            runs = [
                await board_ready(server.url, owner.token, names[size], tmp / f"a{size}{n}")
                for n in range(3)
            ]
            start = statistics.median(r[0] for r in runs)
            opened = statistics.median(r[1] for r in runs)
            fetch = statistics.median(
                fetch_baseline(server.url, owner.token, _pid(owner, names[size])) for _ in range(3)
            )
            print(f"{size:>6} {start:>9.3f} {opened:>9.3f} {fetch:>9.3f} {opened / fetch:>10.1f}x")
        target = 1000 if 1000 in sizes else sizes[0]
        print(f"\napplying {events} live events to a board of {target} tasks (main thread)")
        result = await apply_events(server.url, owner.token, names[target], tmp / "ev", events)
        base = result.pop("baseline: decode one event")
        for label, per_event in result.items():
            print(
                f"  {label:<16} {per_event * 1000:8.3f} ms/event  ({per_event / base:6.0f}x decode)"
            )
        print(f"  baseline decode  {base * 1000:8.3f} ms/event")
        owner.close()
    finally:
        server.stop()
        rmtree(tmp)


def _pid(owner: ApiUser, name: str) -> str:
    pid: str = next(p["id"] for p in owner.client.get("/api/projects").json() if p["name"] == name)
    return pid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--events", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(main_async([int(s) for s in args.sizes.split(",")], args.events))


if __name__ == "__main__":
    main()
