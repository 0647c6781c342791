"""The API's log lines: one JSON object a line, with the request id of the request logging it.

Litestar's own logging set-up stays (the root logger through a queue, so no request waits
on stderr); only its formatter changes, and uvicorn's (start-up, access lines) with it. The
request id is read when a record is made, in the request's own task: the queue may format
the record later, on another thread.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
from typing import Any

import msgspec
from litestar.logging.config import LoggingConfig
from uvicorn.config import LOGGING_CONFIG

from api import request_id

_base_factory = logging.getLogRecordFactory()


def _record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    record.request_id = request_id.current.get()
    return record


class JsonLines(logging.Formatter):
    """`{"time", "level", "logger", "message", "request_id"?, "exception"?}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if (rid := getattr(record, "request_id", None)) is not None:
            entry["request_id"] = rid
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return msgspec.json.encode(entry).decode()


def logging_config() -> LoggingConfig:
    """Litestar's logging config with JSON lines; every record made from here on has its id."""
    logging.setLogRecordFactory(_record)
    return LoggingConfig(formatters={"standard": {"()": JsonLines}})


def uvicorn_config() -> dict[str, Any]:
    """uvicorn's logging config, its lines in the same JSON (`taskroom serve`)."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"] = {name: {"()": JsonLines} for name in config["formatters"]}
    return config
