"""Export rows: PostgreSQL's own text rendering against SQLite's path, and the writers' bytes.

The same tricky tasks go into SQLite and PostgreSQL; the export reader must hand the writers
the same cells from both (PostgreSQL renders ids, dates and times itself, SQLite's path has
msgspec do it), and the writers must give the bytes the csv module and a dict encoding gave.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import io
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import msgspec
import pytest
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.db import migrate
from api.db.models import Project, Task, User
from api.db.session import make_engine
from api.domain.exports import reader
from api.domain.exports.formats import WRITERS
from api.domain.exports.formats.csv import COLUMNS, neutralise
from api.domain.exports.formats.rows import TASK_FIELDS
from tests.support import postgres_database

PROJECT, OWNER = uuid.uuid4(), uuid.uuid4()
T0 = dt.datetime(2026, 11, 28, 20, 41, 26, tzinfo=dt.UTC)
TEXTS = [
    "plain",
    "",
    '=HYPERLINK("http://evil")',
    "+1+1",
    "-2",
    "@SUM(A1)",
    'quote " and, comma\nnew line',
    "carriage\rreturn\r\nand crlf",
    "a lone\rcarriage return",
    "ünïcødé ✓ \x01 tab\there",
    " leading and trailing spaces ",
    '"',
    ",",
    "\t=cmd|' /C calc'!A0",
    "\r=1+1",
    "\r\n@SUM(A1)",
]
TIMES = [
    T0,
    T0.replace(microsecond=141000),
    T0.replace(microsecond=500),
    T0.replace(microsecond=999999),
    dt.datetime(1999, 1, 1, tzinfo=dt.UTC),
    dt.datetime(2030, 6, 1, 1, 2, 3, 1, tzinfo=dt.timezone(dt.timedelta(hours=5))),
]
# No -0.0: SQLite stores it as 0, a difference of storage, not of rendering.
POSITIONS = [0.0, 2.5, 1.0, 0.5, 1 / 3, 1e16, 1.5e-7, -1e20, 123456789012.0, 1.0, 1.0]


def task(i: int) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "project_id": PROJECT,
        "title": TEXTS[i % len(TEXTS)],
        "description": TEXTS[(i * 5 + 3) % len(TEXTS)],
        "status": ("todo", "in_progress", "done")[i % 3],
        "priority": ("low", "medium", "high", "urgent")[i % 4],
        "assignee_id": OWNER if i % 2 else None,
        "due_date": dt.date(2030, 1 + i % 12, 1 + i % 28) if i % 3 else None,
        "position": POSITIONS[i % len(POSITIONS)],  # repeats: ties ordered by id
        "version": 1 + i,
        "created_at": TIMES[i % len(TIMES)],
        "updated_at": TIMES[(i + 1) % len(TIMES)],
        "created_by": OWNER if i % 5 else None,
        "updated_by": None if i % 4 else OWNER,
    }


TASKS = [task(i) for i in range(66)]
encode = msgspec.json.encode


async def seeded(url: str) -> AsyncEngine:
    await asyncio.to_thread(migrate.upgrade, url)
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.execute(
            insert(User),
            [{"id": OWNER, "username": "owner", "display_name": "O", "password_hash": "x"}],
        )
        await conn.execute(insert(Project), [{"id": PROJECT, "name": "P", "owner_id": OWNER}])
        await conn.execute(insert(Task), TASKS)
    return engine


@contextlib.asynccontextmanager
async def snapshot(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))  # the transaction is open before rows are read
        yield conn


async def cells(engine: AsyncEngine, size: int = 5, *, extras: bool = False) -> list[list[Any]]:
    async with snapshot(engine) as conn:
        rows = reader.batches(conn, PROJECT, size, extras=extras)
        return [list(row) async for batch in rows for row in batch]


@pytest.fixture(scope="module")
async def engines(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict[str, Any]]:
    sqlite = await seeded(f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('reader')}/t.db")
    with postgres_database() as url:
        postgres = await seeded(url)
        yield {"sqlite": sqlite, "postgres": postgres}
        await postgres.dispose()
    await sqlite.dispose()


async def test_postgres_renders_the_cells_sqlite_gives(engines: dict[str, Any]) -> None:
    assert engines["postgres"].dialect.driver == "asyncpg"  # the path that renders in SQL
    from_sqlite, from_postgres = await cells(engines["sqlite"]), await cells(engines["postgres"])
    assert len(from_sqlite) == len(TASKS)
    # Encoded, so that 1 and 1.0, -0.0 and 0.0, "1" and 1 differ.
    assert msgspec.json.encode(from_postgres) == msgspec.json.encode(from_sqlite)
    for fmt, writer in WRITERS.items():
        if writer.extras:
            pg, lite = (
                await cells(engines["postgres"], extras=True),
                await cells(engines["sqlite"], extras=True),
            )
            assert _write(writer(), pg) == _write(writer(), lite), fmt
        else:
            assert _write(writer(), from_postgres) == _write(writer(), from_sqlite), fmt


async def test_order_is_status_then_position_then_id(engines: dict[str, Any]) -> None:
    rank = {"todo": 0, "in_progress": 1, "done": 2}
    expected = sorted(TASKS, key=lambda t: (rank[t["status"]], t["position"], t["id"]))
    for name, engine in engines.items():
        assert [row[0] for row in await cells(engine)] == [str(t["id"]) for t in expected], name


def _write(writer: Any, rows: Sequence[Sequence[Any]]) -> bytes:
    parts = [writer.start({"id": PROJECT, "name": "P", "description": "", "owner_id": OWNER})]
    parts += [writer.rows(rows[i : i + 7]) for i in range(0, len(rows), 7)]
    return b"".join([*parts, writer.end()])


async def test_writers_give_the_csv_module_and_dict_bytes(engines: dict[str, Any]) -> None:
    rows = await cells(engines["sqlite"])
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\r\n")
    out.writerow(COLUMNS)
    keep = [TASK_FIELDS.index(name) for name in COLUMNS]
    out.writerows([neutralise(row[i]) for i in keep] for row in rows)
    assert _write(WRITERS["csv"](), rows) == buffer.getvalue().encode()

    project = {"id": PROJECT, "name": "P", "description": "", "owner_id": OWNER}
    rows = await cells(engines["sqlite"], extras=True)
    tasks = [
        {**dict(zip(TASK_FIELDS, row, strict=False)), "labels": [], "checklist": []} for row in rows
    ]
    expected = b'{"project":%s,"tasks":%s}\n' % (encode(project), encode(tasks))
    assert _write(WRITERS["json"](), rows) == expected
    assert _write(WRITERS["json"](), []) == b'{"project":%s,"tasks":[]}\n' % encode(project)


@pytest.mark.parametrize("name", ["sqlite", "postgres"])
async def test_no_csv_cell_begins_like_a_formula(engines: dict[str, Any], name: str) -> None:
    """OWASP's list (= + - @ TAB CR), read back from the file both reader paths write."""
    data = _write(WRITERS["csv"](), await cells(engines[name]))
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
    texts = [cell for row in rows[1:] for cell in row[1:3]]  # title, description
    assert len(texts) == 2 * len(TASKS)
    assert "'\t=cmd|' /C calc'!A0" in texts and "'\r=1+1" in texts
    assert not [cell for cell in texts if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]


@pytest.mark.parametrize("name", ["sqlite", "postgres"])
async def test_closing_early_leaves_the_connection_usable(
    engines: dict[str, Any], name: str
) -> None:
    async with snapshot(engines[name]) as conn:
        rows = reader.batches(conn, PROJECT, 2)
        async with contextlib.aclosing(rows):
            async for _batch in rows:
                break  # on PostgreSQL a fetch is in flight now
        assert await conn.scalar(text("SELECT 41 + 1")) == 42
