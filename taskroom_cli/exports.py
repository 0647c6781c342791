"""`taskroom exports failed` and `taskroom exports retry <id>`: dead letters (contract §6)."""

from __future__ import annotations

import argparse
import asyncio
import uuid

from taskroom_cli.errors import CliError, describe_db_error


async def _failed(database_url: str) -> list[tuple[str, ...]]:
    from sqlalchemy import select

    from api.db.models import ExportJob
    from api.db.session import make_engine

    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(
                    ExportJob.id,
                    ExportJob.project_id,
                    ExportJob.format,
                    ExportJob.attempts,
                    ExportJob.finished_at,
                    ExportJob.error,
                )
                .where(ExportJob.status == "FAILED")
                .order_by(ExportJob.finished_at.desc())
            )
            return [tuple(str(v) for v in row) for row in rows]
    finally:
        await engine.dispose()


async def _retry(database_url: str, redis_url: str, export_id: uuid.UUID) -> None:
    from api.db.models import ExportJob
    from api.db.session import make_engine, make_sessionmaker
    from api.domain.exports.queue import enqueue_export, make_queue

    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            job = await session.get(ExportJob, export_id)
            if job is None or job.status != "FAILED":
                raise CliError(f"no failed export {export_id}")
            job.status, job.attempts, job.progress = "PENDING", 0, 0.0
            job.error = job.started_at = job.finished_at = None
            await session.commit()
    finally:
        await engine.dispose()
    queue = make_queue(redis_url)
    try:
        await enqueue_export(queue, export_id)
    finally:
        await queue.disconnect()


def run_failed(args: argparse.Namespace) -> int:
    from api.settings import Settings

    url = Settings.from_env().database_url
    try:
        rows = asyncio.run(_failed(url))
    except Exception as exc:
        raise CliError(describe_db_error(exc, url)) from exc
    for export_id, project_id, fmt, attempts, finished, error in rows:
        reason = error.strip().splitlines()[-1] if error else ""
        print(f"{export_id}\t{project_id}\t{fmt}\tattempts={attempts}\t{finished}\t{reason}")
    return 0


def run_retry(args: argparse.Namespace) -> int:
    from api.settings import Settings

    settings = Settings.from_env()
    if not settings.redis_url:
        raise CliError("retrying an export needs the worker's Redis: set TASKROOM_REDIS_URL")
    try:
        export_id = uuid.UUID(args.export_id)
    except ValueError:
        raise CliError(f"not an export id: {args.export_id}") from None
    try:
        asyncio.run(_retry(settings.database_url, settings.redis_url, export_id))
    except CliError:
        raise
    except Exception as exc:
        raise CliError(f"cannot retry export {export_id}: {exc}") from exc
    print(f"export {export_id} queued again")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    exports = sub.add_parser("exports", help="export jobs that failed (dead letters)")
    exports_sub = exports.add_subparsers(dest="exports_command", required=True, metavar="COMMAND")
    failed = exports_sub.add_parser("failed", help="list exports that failed every attempt")
    failed.set_defaults(func=run_failed)
    retry = exports_sub.add_parser("retry", help="queue a failed export again")
    retry.add_argument("export_id")
    retry.set_defaults(func=run_retry)
