"""`taskroom worker [--concurrency N]`: the SAQ export worker."""

from __future__ import annotations

import argparse
import asyncio
import logging

from taskroom_cli.errors import CliError


def run_worker(args: argparse.Namespace) -> int:
    from redis.exceptions import ConnectionError as RedisConnectionError

    from api.settings import Settings
    from taskroom_cli.serve import check_port_free
    from worker.main import run

    settings = Settings.from_env()
    if not settings.redis_url:
        raise CliError("taskroom worker needs Redis: set TASKROOM_REDIS_URL")
    metrics_at = None
    if args.metrics_port is not None:
        check_port_free(args.metrics_host, args.metrics_port)
        metrics_at = (args.metrics_host, args.metrics_port)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    try:
        asyncio.run(run(settings, args.concurrency, metrics_at))
    except RedisConnectionError as exc:
        raise CliError(f"cannot reach Redis at {settings.redis_url}: {exc}") from exc
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = sub.add_parser("worker", help="run the export worker (needs Redis)")
    worker.add_argument("--concurrency", type=int, default=4, help="exports run at once")
    worker.add_argument(
        "--metrics-port", type=int, help="serve Prometheus metrics on this port (contract §11)"
    )
    worker.add_argument("--metrics-host", default="127.0.0.1", help="address of --metrics-port")
    worker.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    worker.set_defaults(func=run_worker)
