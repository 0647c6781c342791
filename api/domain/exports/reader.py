"""An export's task rows: one query per status, read in batches of cells for the writers.

Cells are what `formats` writes: ids, dates and times as the ISO 8601 text msgspec
gives them, numbers as numbers, NULL as None. On PostgreSQL (asyncpg) the database renders
that text and the rows are read straight off the driver's cursor, the next batch on its way
while the writer formats this one: per-row Python and SQLAlchemy work was most of an
export's time. Other databases go through SQLAlchemy, with msgspec turning a batch into text
in one call. `tests/test_export_reader.py` checks that both give the same cells.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncGenerator, Callable, Sequence
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, Date, Select, Text, Uuid, cast, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection

from api.db.models import Task, UTCDateTime
from api.domain.exports.formats import Row
from api.domain.exports.formats.rows import TASK_FIELDS
from api.wire import TASK_STATUSES

Cell = Callable[[ColumnElement[Any]], ColumnElement[Any]]

# msgspec's datetime text: microseconds only when there are some, "Z" for UTC.
_ISO_DATETIME = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'


# A task's labels (names, by name) and checklist (`{text, done}`, in order) as JSON text, for
# the JSON export (contract §9): one correlated lookup each per row, by the tasks' indexes.
_EXTRAS = {
    "postgresql": (
        "(SELECT coalesce(json_agg(l.name ORDER BY l.name_key), '[]')::text FROM task_labels tl"
        " JOIN labels l ON l.id = tl.label_id WHERE tl.task_id = ordered.id)",
        "(SELECT coalesce(json_agg(json_build_object('text', c.text, 'done', c.done)"
        " ORDER BY c.position, c.id), '[]')::text FROM checklist_items c"
        " WHERE c.task_id = ordered.id)",
    ),
    "sqlite": (
        "(SELECT json_group_array(name) FROM (SELECT l.name FROM task_labels tl JOIN labels l"
        " ON l.id = tl.label_id WHERE tl.task_id = ordered.id ORDER BY l.name_key))",
        "(SELECT json_group_array(json_object('text', text, 'done',"
        " json(CASE WHEN done THEN 'true' ELSE 'false' END))) FROM (SELECT c.text, c.done"
        " FROM checklist_items c WHERE c.task_id = ordered.id ORDER BY c.position, c.id))",
    ),
}


def task_query(
    project_id: uuid.UUID, status: str, cell: Cell = lambda c: c, extras: tuple[str, ...] = ()
) -> Select[Any]:
    """One status's tasks by position then id, each column through `cell`.

    One query per status, not one ordered by a status rank: this order is the one of
    ix_tasks_project_status_position, so PostgreSQL can stream rows from the first one
    instead of sorting the whole project before sending any. When it sorts anyway (a seq
    scan can look cheaper), the subquery keeps `cell`'s work after the sort, row by row as
    rows are fetched, rather than for every row before the first is sent.
    """
    columns = [Task.__table__.c[name] for name in TASK_FIELDS]
    ordered = (
        select(*columns)
        .where(Task.project_id == project_id, Task.status == status)
        .order_by(Task.position, Task.id)
        .subquery("ordered")
    )
    rendered = [cell(ordered.c[name]) for name in TASK_FIELDS]
    rendered += [literal_column(sql) for sql in extras]
    return select(*rendered).order_by(ordered.c.position, ordered.c.id)


def pg_text(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """The column as PostgreSQL text equal to msgspec's for the value (ids, dates, times)."""
    if isinstance(column.type, Uuid):
        text: ColumnElement[Any] = cast(column, Text)
    elif isinstance(column.type, UTCDateTime):
        iso = func.to_char(func.timezone("UTC", column), _ISO_DATETIME)
        text = func.replace(iso, ".000000Z", "Z")
    elif isinstance(column.type, Date):
        text = func.to_char(column, "YYYY-MM-DD")
    else:
        return column
    return text.label(column.name)


async def batches(
    conn: AsyncConnection, project_id: uuid.UUID, size: int, *, extras: bool = False
) -> AsyncGenerator[Sequence[Row], None]:
    """Batches of at most `size` rows of cells in board order, in the open transaction;
    with `extras`, each row ends with its labels' and its checklist's JSON text."""
    fast = conn.dialect.driver == "asyncpg"
    more = _EXTRAS[conn.dialect.name] if extras else ()
    for status in TASK_STATUSES:  # the board's columns; ck_tasks_status allows no other
        if fast:
            rows = asyncpg_batches(conn, task_query(project_id, status, pg_text, more), size)
        else:
            rows = sqlalchemy_batches(conn, task_query(project_id, status, extras=more), size)
        async with contextlib.aclosing(rows):
            async for batch in rows:
                yield batch


async def sqlalchemy_batches(
    conn: AsyncConnection, query: Select[Any], size: int
) -> AsyncGenerator[Sequence[Row], None]:
    """Any database: a server-side cursor through SQLAlchemy, a batch to text in one call."""
    async with conn.stream(query.execution_options(yield_per=size)) as result:
        async for partition in result.partitions():
            cells: list[Row] = msgspec.to_builtins([tuple(row) for row in partition])
            yield cells


async def asyncpg_batches(
    conn: AsyncConnection, query: Select[Any], size: int
) -> AsyncGenerator[Sequence[Row], None]:
    """PostgreSQL: asyncpg's own cursor, one fetch always in flight while a batch is written."""
    compiled = query.compile(dialect=conn.dialect)
    params = [compiled.params[name] for name in compiled.positiontup or ()]
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None
    cursor = await driver.cursor(str(compiled), *params)
    pending = asyncio.ensure_future(cursor.fetch(size))
    try:
        while batch := await pending:
            pending = asyncio.ensure_future(cursor.fetch(size))
            await asyncio.sleep(0)  # the fetch sends its request now, not after the write
            yield batch
    finally:
        # The connection runs one command at a time: let the fetch end before it is reused.
        with contextlib.suppress(Exception):
            await pending
