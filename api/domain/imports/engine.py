"""The import task: check the whole file, then create every task in one transaction, or none.

Shared by the SAQ worker and the API's in-process mode (no Redis), like exports. Pass 1
parses and validates every row (errors with their row numbers, the first 100 kept) and
holds nothing but counts; pass 2 parses again and inserts in batches inside ONE
transaction, which also sets the job COMPLETED, conditionally (`WHERE status =
'PROCESSING'`): an attempt that died before its commit left nothing, one that died after
it left a COMPLETED job that a retry leaves alone. The `task:created` events follow the
commit, read back a page at a time by `tasks.import_id`, so memory stays flat.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import msgspec
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import ChecklistItem, ImportJob, Label, Membership, Task, TaskLabel, User, utcnow
from api.db.session import UnitOfWork
from api.domain.activity.recorder import IMPORTED
from api.domain.exports.engine import Heartbeat
from api.domain.exports.job_rows import change_job
from api.domain.imports.entries import BadFile, Notes, Source
from api.domain.imports.parsers import PARSERS
from api.domain.imports.schemas import ImportedLabel, ImportedTask, check_task, job_event
from api.domain.labels.schemas import label_out, name_key
from api.domain.tasks.schemas import task_out
from api.domain.tasks.service import POSITION_STEP
from api.events import Dispatcher, DomainEvent
from api.settings import Settings
from api.wire import LABELS_MAX, Actor, ImportProblem, ImportReport, TaskStatus

logger = logging.getLogger(__name__)

MAX_ERRORS = 100  # contract §10: the first 100
BATCH = 2000  # rows parsed per hop to a thread, and inserted per statement
EVENTS_PAGE = 1000  # `task:created` events per transaction after the commit
PROGRESS_EVERY = 0.5  # seconds, as exports
T = TypeVar("T")


class FailpointError(RuntimeError):
    """Raised on purpose by `import.fail_before_commit`."""


class Refused(Exception):
    """What only the database can tell (too many labels): FAILED at once, no retry."""


class Labels:
    """The project's labels by name (ignoring case), those the file names first created in
    the import's transaction, each with its `label:created` event."""

    def __init__(self, session: AsyncSession, project_id: uuid.UUID) -> None:
        self.session, self.project_id = session, project_id
        self.ids: dict[str, uuid.UUID] = {}
        self.created: list[Label] = []

    async def load(self) -> None:
        rows = await self.session.execute(
            select(Label.name_key, Label.id).where(Label.project_id == self.project_id)
        )
        self.ids = {key: label_id for key, label_id in rows.tuples()}

    async def of(self, labels: list[ImportedLabel]) -> list[uuid.UUID]:
        """The ids of a task's labels, each once."""
        out: dict[uuid.UUID, None] = {}
        for label in labels:
            key = name_key(label.name)
            if key not in self.ids:
                if len(self.ids) >= LABELS_MAX:
                    raise Refused(f"the project would have more than {LABELS_MAX} labels")
                row = Label(
                    id=uuid.uuid4(),
                    project_id=self.project_id,
                    name=label.name,
                    name_key=key,
                    color=label.color,
                )
                self.session.add(row)
                self.created.append(row)
                self.ids[key] = row.id
            out[self.ids[key]] = None
        return list(out)


@dataclass
class Check:
    """Pass 1's findings: counts, problems and the lowest position per column, no rows."""

    format: str
    valid: int = 0
    errors: list[ImportProblem] = field(default_factory=list)
    error_count: int = 0
    lowest: dict[str, float] = field(default_factory=dict)
    notes: Notes = field(default_factory=Notes)
    labels: list[ImportedLabel] | None = None  # the file's own list, once read

    def problem(self, row: int, field_name: str | None, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(ImportProblem(row=row, field=field_name, message=message))

    def report(self) -> ImportReport:
        warnings = self.notes.warnings
        if self.error_count > len(self.errors):
            warnings.append(f"{self.error_count} rows have errors; the first {MAX_ERRORS} listed")
        return ImportReport(
            format=self.format,  # type: ignore[arg-type]
            created=0 if self.errors else self.valid,
            skipped=self.notes.skipped,
            errors=self.errors,
            warnings=warnings,
        )


def _rows(fmt: str, source: Source, check: Check) -> Iterator[tuple[int, ImportedTask]]:
    """Every valid row; problems go to `check`. A bad file is one problem at row 0, and so
    is a bad label in the file's own list."""
    try:
        for entry in PARSERS[fmt](source, check.notes):
            if check.labels is None:  # the parser has read the file's own list by now
                check.labels = _file_labels(check)
            got = (None, entry.error) if entry.error else check_task(entry.fields)
            if isinstance(got, ImportedTask):
                yield entry.row, got
            else:
                check.problem(entry.row, *got)
    except BadFile as exc:
        check.problem(0, None, str(exc))


def _file_labels(check: Check) -> list[ImportedLabel]:
    out = []
    for raw in check.notes.labels:
        try:
            out.append(msgspec.convert(raw, ImportedLabel))
        except msgspec.ValidationError as exc:
            check.problem(0, "labels", f"a label of the file's project: {exc}")
    return out


def _take(rows: Iterator[T], n: int) -> list[T]:
    return list(itertools.islice(rows, n))


async def batches(rows: Iterator[T]) -> AsyncIterator[list[T]]:
    """The rows a batch at a time, each parsed in a thread: the event loop stays free."""
    while batch := await asyncio.to_thread(_take, rows, BATCH):
        yield batch


async def check_file(fmt: str, path: Path) -> Check:
    """Pass 1 alone: what a dry run reports."""
    check = Check(fmt)
    async for batch in batches(_rows(fmt, Source(path), check)):
        _tally(check, batch)
    return check


def _tally(check: Check, batch: list[tuple[int, ImportedTask]]) -> None:
    for _, task in batch:
        check.valid += 1
        if task.position is not None:
            low = check.lowest.get(task.status)
            check.lowest[task.status] = task.position if low is None else min(low, task.position)


class Positions:
    """Imported tasks go after a column's tasks, in the file's order: a file position is
    shifted past the column's last one (unchanged in an empty column, for the round trip);
    a row without one goes after the last placed."""

    def __init__(self, top: dict[str, float], lowest: dict[str, float]) -> None:
        self.shift = {
            status: (top[status] + POSITION_STEP - lowest.get(status, 0.0))
            if status in top
            else 0.0
            for status in ("todo", "in_progress", "done")
        }
        self.last = dict(top)

    def of(self, status: TaskStatus, given: float | None) -> float:
        if given is not None:
            at = given + self.shift[status]
        else:
            at = self.last.get(status, 0.0) + POSITION_STEP
        self.last[status] = max(self.last.get(status, at), at)
        return at


class Importer:
    """Runs attempts of import jobs against one database."""

    def __init__(
        self,
        *,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        dispatcher: Dispatcher,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.dispatcher = dispatcher
        # Failpoints are read once, at start (contract §2).
        self.row_delay = settings.failpoints.get("import.row_delay_ms") / 1000
        self.fail_before_commit = bool(settings.failpoints.get("import.fail_before_commit"))

    async def _change(self, job_id: uuid.UUID, **values: Any) -> ImportJob | None:
        return await change_job(
            self.sessionmaker, self.dispatcher, ImportJob, job_id, job_event, **values
        )

    async def run(
        self, job_id: uuid.UUID, *, attempt: int, last: bool, heartbeat: Heartbeat | None = None
    ) -> None:
        """One attempt. Raises on failure (after recording it) so the queue can retry."""
        async with self.sessionmaker() as session:
            found = await session.get(ImportJob, job_id)
        if found is None or found.status in ("COMPLETED", "FAILED"):
            return  # the project was deleted, or an earlier attempt finished it
        job = await self._change(
            job_id, status="PROCESSING", attempts=attempt, progress=0.0, finished_at=None
        )
        if job is None or job.file_path is None:
            return
        path = Path(job.file_path)
        try:
            check = await self._check(job, path, heartbeat)
            report = check.report()
            if report.errors:
                await self._finish(job_id, path, "FAILED", report)
                return
            done = await self._insert(job, path, check, heartbeat)
        except Refused as exc:
            report = check.report()
            report.errors = [ImportProblem(row=0, field=None, message=str(exc))]
            await self._finish(job_id, path, "FAILED", report)
            return
        except Exception as exc:
            if not isinstance(exc, FailpointError):
                logger.warning("import %s, attempt %d failed", job_id, attempt, exc_info=True)
            message = f"attempt {attempt} failed: {type(exc).__name__}: {exc}"
            problem = ImportProblem(row=0, field=None, message=message)
            if last:
                report = ImportReport(
                    format=job.format,  # type: ignore[arg-type]
                    created=0,
                    skipped=0,
                    errors=[problem],
                    warnings=[],
                )
                await self._finish(job_id, path, "FAILED", report)
            else:
                await self._change(job_id, status="PENDING", errors=[msgspec.to_builtins(problem)])
            raise
        if done:
            await self._announce(job)
            await asyncio.to_thread(path.unlink, missing_ok=True)

    async def _finish(
        self, job_id: uuid.UUID, path: Path, status: str, report: ImportReport
    ) -> None:
        await self._change(
            job_id,
            status=status,
            progress=1.0,
            created=report.created,
            skipped=report.skipped,
            errors=msgspec.to_builtins(report.errors),
            warnings=report.warnings,
            finished_at=utcnow(),
        )
        await asyncio.to_thread(path.unlink, missing_ok=True)

    async def _tick(self, job_id: uuid.UUID, progress: float, heartbeat: Heartbeat | None) -> None:
        await self._change(job_id, progress=round(min(progress, 0.99), 4))
        if heartbeat is not None:
            await heartbeat(progress)

    async def _check(self, job: ImportJob, path: Path, heartbeat: Heartbeat | None) -> Check:
        """Pass 1, with progress up to one half."""
        check = Check(job.format)
        source = Source(path)
        next_tick = time.monotonic() + PROGRESS_EVERY
        async for batch in batches(_rows(job.format, source, check)):
            _tally(check, batch)
            if time.monotonic() >= next_tick:
                await self._tick(job.id, source.progress() / 2, heartbeat)
                next_tick = time.monotonic() + PROGRESS_EVERY
        return check

    async def _insert(
        self, job: ImportJob, path: Path, check: Check, heartbeat: Heartbeat | None
    ) -> bool:
        """Pass 2: every task and the COMPLETED job in one transaction; False if another
        attempt got there first. Progress is the heartbeat only: on SQLite the transaction
        holds the one write lock, so no other write (a progress row) could go in meanwhile."""
        source = Source(path)
        async with self.sessionmaker() as session:
            uow = UnitOfWork(session, self.dispatcher)
            members = set(
                await session.scalars(
                    select(Membership.user_id).where(Membership.project_id == job.project_id)
                )
            )
            column_tops = await session.execute(
                select(Task.status, func.max(Task.position))
                .where(Task.project_id == job.project_id)
                .group_by(Task.status)
            )
            top: dict[str, float] = {s: p for s, p in column_tops.tuples()}
            positions = Positions(top, check.lowest)
            labels = Labels(session, job.project_id)
            await labels.load()
            await labels.of(check.labels or [])
            created, unassigned = 0, 0
            now = utcnow()
            async for batch in batches(_rows(job.format, source, Check(job.format))):
                rows, links, items = [], [], []
                for _, task in batch:
                    assignee = task.assignee_id if task.assignee_id in members else None
                    unassigned += assignee is None and task.assignee_id is not None
                    task_id = uuid.uuid4()
                    links += [
                        {"task_id": task_id, "label_id": label_id}
                        for label_id in await labels.of(task.label_list())
                    ]
                    items += [
                        {
                            "id": uuid.uuid4(),
                            "task_id": task_id,
                            "text": item.text,
                            "done": item.done,
                            "position": POSITION_STEP * n,
                        }
                        for n, item in enumerate(task.checklist, 1)
                    ]
                    rows.append(
                        {
                            "id": task_id,
                            "project_id": job.project_id,
                            "title": task.title,
                            "description": task.description,
                            "status": task.status,
                            "priority": task.priority,
                            "assignee_id": assignee,
                            "due_date": task.due_date,
                            "position": positions.of(task.status, task.position),
                            "version": 1,
                            "comment_count": 0,
                            "created_at": now,
                            "updated_at": now,
                            "created_by": job.user_id,
                            "updated_by": job.user_id,
                            "import_id": job.id,
                        }
                    )
                await session.flush()  # the labels first created by this batch
                await session.execute(insert(Task), rows)
                if links:
                    await session.execute(insert(TaskLabel), links)
                if items:
                    await session.execute(insert(ChecklistItem), items)
                created += len(rows)
                if self.row_delay:
                    await asyncio.sleep(self.row_delay * len(rows))
                if heartbeat is not None:
                    await heartbeat(0.5 + source.progress() / 2)
            if self.fail_before_commit:
                raise FailpointError("import.fail_before_commit failpoint")
            report = check.report()
            if unassigned:
                report.warnings.append(
                    f"{unassigned} tasks left unassigned: their assignee is not a member here"
                )
            finished = await session.execute(
                update(ImportJob)
                .where(ImportJob.id == job.id, ImportJob.status == "PROCESSING")
                .values(
                    status="COMPLETED",
                    progress=1.0,
                    created=created,
                    skipped=report.skipped,
                    errors=[],
                    warnings=report.warnings,
                    finished_at=utcnow(),
                )
                .execution_options(synchronize_session=False)
            )
            if finished.rowcount != 1:  # type: ignore[attr-defined]
                await uow.rollback()
                return False
            done = await session.get(ImportJob, job.id, populate_existing=True)
            assert done is not None
            member_ids = tuple(members)
            uow.record(*(_label_created(label, member_ids, job) for label in labels.created))
            uow.record(job_event(done, member_ids))
            await uow.commit()
        return True

    async def _announce(self, job: ImportJob) -> None:
        """One `task:created` per imported task, a page per transaction (numbered in the
        room like any event), after the import's commit."""
        last: uuid.UUID | None = None
        async with self.sessionmaker() as session:
            ids = tuple(
                await session.scalars(
                    select(Membership.user_id).where(Membership.project_id == job.project_id)
                )
            )
            user = await session.get(User, job.user_id) if job.user_id else None
        actor = Actor(id=user.id, username=user.username) if user else None
        while True:
            async with self.sessionmaker() as session:
                page = select(Task).where(Task.import_id == job.id).order_by(Task.id)
                if last is not None:
                    page = page.where(Task.id > last)
                tasks = list(await session.scalars(page.limit(EVENTS_PAGE)))
                if not tasks:
                    return
                uow = UnitOfWork(session, self.dispatcher)
                uow.record(*(_created(t, ids, actor, job) for t in tasks))
                await uow.commit()
                last = tasks[-1].id


def _label_created(label: Label, member_ids: tuple[uuid.UUID, ...], job: ImportJob) -> DomainEvent:
    return DomainEvent(
        name="label:created",
        project_id=label.project_id,
        data=msgspec.to_builtins(label_out(label)),
        actor=None,
        member_ids=member_ids,
        extra={IMPORTED: str(job.id)},
    )


def _created(
    task: Task, member_ids: tuple[uuid.UUID, ...], actor: Actor | None, job: ImportJob
) -> DomainEvent:
    return DomainEvent(
        name="task:created",
        project_id=task.project_id,
        data=msgspec.to_builtins(task_out(task)),
        actor=actor,
        member_ids=member_ids,
        extra={IMPORTED: str(job.id)},
    )
