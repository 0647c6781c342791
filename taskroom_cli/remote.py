"""The scriptable CLI (contract §10): `login`, `projects`, `tasks`, `task …`, `comment`, `export`,
`import`.

Each command talks to the API through the TUI's `ApiClient`, with the TUI's saved login or
`TASKROOM_TOKEN` (env wins). Output is a table for people or, with `--json`, what the server sent.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import json
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import msgspec

from taskroom_cli.errors import CliError, UsageError
from taskroom_cli.tui import DEFAULT_SERVER, server_url
from tui.client.http import ApiClient, ApiError, Unreachable
from tui.text import safe_line

STATUSES = ["todo", "in_progress", "done"]
PRIORITIES = ["low", "medium", "high", "urgent"]
FORMATS = ["csv", "json", "markdown"]
MIN_PREFIX = 6
EXPORT_TIMEOUT = 300.0
IMPORT_TIMEOUT = 600.0
IMPORT_FORMATS = ["taskroom-json", "csv", "trello"]
IMPORT_MAX_BYTES = 20 * 1024 * 1024  # contract §10

Json = Any


def _plain(value: Any) -> Json:
    return msgspec.to_builtins(value)


# --- running a command ------------------------------------------------------------------


def _token(server: str) -> str | None:
    from tui.config import TOKEN_ENV, TokenStore

    return os.environ.get(TOKEN_ENV) or TokenStore().get(server)


def _run(args: argparse.Namespace, body: Callable[[ApiClient], Awaitable[int]]) -> int:
    """Run `body` with a client for `--server`; API failures become one line, exit 1."""
    server = server_url(args.server)
    token = None if getattr(args, "no_token", False) else _token(server)
    if token is None and not getattr(args, "no_token", False):
        raise CliError(f"not logged in to {server}: run `taskroom login --server {server}`")

    async def go() -> int:
        client = ApiClient(server, token)
        try:
            return await body(client)
        finally:
            await client.aclose()

    try:
        return asyncio.run(go())
    except Unreachable as exc:
        raise CliError(str(exc)) from None
    except ApiError as exc:
        raise CliError(_describe(exc)) from None


def _describe(exc: ApiError) -> str:
    if exc.status == 401:
        return f"not logged in or the token is no longer valid (401: {exc.detail})"
    fields = exc.field_errors()
    if fields:
        return "; ".join(f"{k}: {v}" for k, v in fields.items())
    return f"{exc.detail} ({exc.status})"


def _emit(args: argparse.Namespace, data: Json, columns: list[str]) -> None:
    """`--json`: the data as is; else a table of `columns` (one row per object)."""
    if args.json:
        json.dump(data, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        return
    rows = data if isinstance(data, list) else [data]
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    print("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for r in cells:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())


def _cell(value: Any) -> str:
    """One table cell on one line, and nothing in it a terminal could act on (contract §7)."""
    return safe_line(_text(value))


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict):
        return " ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list):
        return ",".join(str(v.get("name", v)) if isinstance(v, dict) else str(v) for v in value)
    return " ".join(str(value).split())


# --- resolving names ----------------------------------------------------------------------


async def _project(client: ApiClient, ref: str) -> Json:
    """PROJECT: an id, or an exact name (several projects of that name: say which)."""
    projects = _plain(await client.projects())
    by_id = [p for p in projects if p["id"] == ref.lower()]
    if by_id:
        return by_id[0]
    named = [p for p in projects if p["name"] == ref]
    if not named:
        raise CliError(f"no project {ref!r}")
    if len(named) > 1:
        ids = ", ".join(p["id"] for p in named)
        raise CliError(f"{len(named)} projects are named {ref!r}: use an id ({ids})")
    return named[0]


async def _detail(client: ApiClient, project_id: str) -> Json:
    return await client.raw("GET", f"/api/projects/{project_id}")


def _check_task_ref(ref: str) -> str:
    ref = ref.lower()
    if len(ref) < MIN_PREFIX:
        raise UsageError(f"a task id prefix needs at least {MIN_PREFIX} characters, got {ref!r}")
    return ref


async def _task(client: ApiClient, ref: str) -> Json:
    """TASK: a full id, or a unique prefix of one among the caller's projects' tasks."""
    ref = _check_task_ref(ref)
    try:
        return await client.raw("GET", f"/api/tasks/{uuid.UUID(ref)}")
    except ValueError:
        pass
    found: list[Json] = []
    for project in _plain(await client.projects()):
        detail = await _detail(client, project["id"])
        found += [t for t in detail["tasks"] if t["id"].startswith(ref)]
    if not found:
        raise CliError(f"no task {ref!r}")
    if len(found) > 1:
        names = ", ".join(f"{t['id']} ({t['title']})" for t in found[:10])
        raise CliError(f"{len(found)} tasks start with {ref!r}: {names}")
    return found[0]


def _member_id(detail: Json, username: str) -> str:
    for m in detail["members"]:
        if m["username"] == username:
            return str(m["user_id"])
    raise CliError(f"{username!r} is not a member of {detail['name']!r}")


def _label_ids(detail: Json, names: list[str]) -> list[str]:
    labels = detail.get("labels")
    if labels is None:
        raise CliError("this server has no labels")
    ids = []
    for name in names:
        match = [lb for lb in labels if lb.get("name") == name]
        if not match:
            raise CliError(f"no label {name!r} in {detail['name']!r}")
        ids.append(str(match[0]["id"]))
    return ids


def _due(raw: str) -> str | None:
    if raw.lower() in ("", "none", "-"):
        return None
    try:
        return dt.date.fromisoformat(raw).isoformat()
    except ValueError:
        raise UsageError(f"--due must be YYYY-MM-DD (or 'none'), got {raw!r}") from None


TASK_COLUMNS = ["id", "status", "priority", "due_date", "title"]


def _short(task: Json) -> Json:
    return {**task, "id": str(task["id"])[:8]}


# --- commands -----------------------------------------------------------------------------


def run_login(args: argparse.Namespace) -> int:
    from tui.config import TokenStore

    server = server_url(args.server)
    if args.token:
        token = args.token
        username = ""
    else:
        if args.username:
            username = args.username
        else:
            print("Username: ", end="", file=sys.stderr, flush=True)
            username = sys.stdin.readline().strip()
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
        if not username or not password:
            raise CliError("a username and a password are needed")
        token = ""

    async def go(client: ApiClient) -> int:
        nonlocal token, username
        if not token:
            auth = await client.login(username, password)
            token = auth.access_token
        client.token = token
        me = await client.me()
        TokenStore().save(server, token, me.username)
        _emit(args, {"server": server, "username": me.username}, ["server", "username"])
        return 0

    args.no_token = True
    return _run(args, go)


def run_projects(args: argparse.Namespace) -> int:
    async def go(client: ApiClient) -> int:
        projects = _plain(await client.projects())
        _emit(args, projects, ["id", "name", "role", "task_counts"])
        return 0

    return _run(args, go)


def run_tasks(args: argparse.Namespace) -> int:
    async def go(client: ApiClient) -> int:
        project = await _project(client, args.project)
        detail = await _detail(client, project["id"])
        tasks: list[Json] = detail["tasks"]
        if args.status:
            tasks = [t for t in tasks if t["status"] == args.status]
        if args.assignee:
            uid = _member_id(detail, args.assignee)
            tasks = [t for t in tasks if t["assignee_id"] == uid]
        if args.label:
            (lid,) = _label_ids(detail, [args.label])
            tasks = [t for t in tasks if lid in _task_label_ids(t)]
        if args.q:
            q = args.q.casefold()
            tasks = [
                t for t in tasks if q in t["title"].casefold() or q in t["description"].casefold()
            ]
        order = {s: i for i, s in enumerate(STATUSES)}
        tasks.sort(key=lambda t: (order.get(t["status"], 9), t["position"]))
        _emit(args, tasks if args.json else [_short(t) for t in tasks], TASK_COLUMNS)
        return 0

    return _run(args, go)


def _task_label_ids(task: Json) -> set[str]:
    return {str(lb["id"]) if isinstance(lb, dict) else str(lb) for lb in task.get("labels", [])}


def run_task_add(args: argparse.Namespace) -> int:
    async def go(client: ApiClient) -> int:
        project = await _project(client, args.project)
        body: dict[str, Any] = {"title": args.title}
        if args.priority:
            body["priority"] = args.priority
        if args.due is not None:
            body["due_date"] = _due(args.due)
        if args.description is not None:
            body["description"] = args.description
        if args.assignee or args.label:
            detail = await _detail(client, project["id"])
            if args.assignee:
                body["assignee_id"] = _member_id(detail, args.assignee)
            if args.label:
                body["labels"] = _label_ids(detail, args.label)  # contract §9
        task = await client.raw("POST", f"/api/projects/{project['id']}/tasks", body)
        _emit(args, task, TASK_COLUMNS)
        return 0

    return _run(args, go)


def run_task_move(args: argparse.Namespace) -> int:
    _check_task_ref(args.task)

    async def go(client: ApiClient) -> int:
        task = await _task(client, args.task)
        body = {"status": args.status}
        _emit(args, await client.raw("PATCH", f"/api/tasks/{task['id']}", body), TASK_COLUMNS)
        return 0

    return _run(args, go)


def run_task_edit(args: argparse.Namespace) -> int:
    _check_task_ref(args.task)
    body: dict[str, Any] = {}
    if args.title is not None:
        body["title"] = args.title
    if args.priority is not None:
        body["priority"] = args.priority
    if args.due is not None:
        body["due_date"] = _due(args.due)
    if args.description is not None:
        body["description"] = args.description
    if not body:
        raise UsageError("nothing to change: give --title, --priority, --due or --description")

    async def go(client: ApiClient) -> int:
        task = await _task(client, args.task)
        _emit(args, await client.raw("PATCH", f"/api/tasks/{task['id']}", body), TASK_COLUMNS)
        return 0

    return _run(args, go)


def run_task_rm(args: argparse.Namespace) -> int:
    _check_task_ref(args.task)

    async def go(client: ApiClient) -> int:
        task = await _task(client, args.task)
        await client.delete_task(uuid.UUID(task["id"]))
        _emit(args, {"id": task["id"], "deleted": True}, ["id", "deleted"])
        return 0

    return _run(args, go)


def run_comment(args: argparse.Namespace) -> int:
    _check_task_ref(args.task)

    async def go(client: ApiClient) -> int:
        task = await _task(client, args.task)
        comment = msgspec.to_builtins(await client.add_comment(uuid.UUID(task["id"]), args.text))
        _emit(args, comment, ["id", "task_id", "created_at", "body"])
        return 0

    return _run(args, go)


def run_export(args: argparse.Namespace) -> int:
    target = Path(args.output).expanduser()
    if not target.parent.is_dir():
        raise CliError(f"no directory {target.parent}")

    async def go(client: ApiClient) -> int:
        project = await _project(client, args.project)
        job = await client.start_export(uuid.UUID(project["id"]), args.format)
        job = await _wait(lambda: client.export_job(job.id), f"export {job.id}", EXPORT_TIMEOUT)
        if job.status != "COMPLETED":
            raise CliError(f"export {job.id} failed: {job.error or job.status}")
        size = await client.download_export(job.id, target)
        result = {**_plain(job), "file": str(target), "size_bytes": size}
        _emit(args, result, ["id", "format", "status", "size_bytes", "file"])
        return 0

    return _run(args, go)


async def _wait(fetch: Callable[[], Awaitable[Any]], name: str, limit_s: float) -> Any:
    """Poll a job until it ends; a Rich progress bar on a terminal, nothing otherwise."""
    bar = _progress_bar(name.split()[0] + "ing")
    deadline = time.monotonic() + limit_s
    try:
        while True:
            job = await fetch()
            if bar is not None:
                bar[0].update(bar[1], completed=job.progress)
            if job.status in ("COMPLETED", "FAILED"):
                return job
            if time.monotonic() > deadline:
                raise CliError(f"{name} is still {job.status} after {limit_s:.0f}s")
            await asyncio.sleep(0.3)
    finally:
        if bar is not None:
            bar[0].stop()


def import_format(path: Path, head: bytes) -> str:
    """The format of a file from its name: `.csv`, or `.json` (Taskroom's own export, which
    starts with its project, else a Trello board)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix == ".json":
        start = head.removeprefix(b"\xef\xbb\xbf").lstrip()
        return "taskroom-json" if start.startswith(b'{"project"') else "trello"
    raise UsageError(f"cannot tell the format of {path.name}: give --format")


def run_import(args: argparse.Namespace) -> int:
    source = Path(args.file).expanduser()
    if not source.is_file():
        raise CliError(f"no file {source}")
    if source.stat().st_size > IMPORT_MAX_BYTES:
        raise CliError(f"{source} is over the server's limit of {IMPORT_MAX_BYTES} bytes")
    content = source.read_bytes()
    fmt = args.format or import_format(source, content[:64])

    async def go(client: ApiClient) -> int:
        project = uuid.UUID((await _project(client, args.project))["id"])
        if args.dry_run:
            report: Any = await client.dry_run_import(project, fmt, content)
        else:
            job = await client.start_import(project, fmt, content)
            report = await _wait(
                lambda: client.import_job(job.id), f"import {job.id}", IMPORT_TIMEOUT
            )
        data = _plain(report)
        if args.json:
            _emit(args, data, [])
        else:
            _emit(
                args,
                data,
                [c for c in ("id", "format", "status", "created", "skipped") if c in data],
            )
            for problem in report.errors:
                where = f"row {problem.row}" + (f", {problem.field}" if problem.field else "")
                print(f"error: {where}: {_cell(problem.message)}")
            for warning in report.warnings:
                print(f"warning: {_cell(warning)}")
        return 1 if report.errors else 0

    return _run(args, go)


def _progress_bar(what: str) -> Any:
    if not sys.stderr.isatty():
        return None
    try:
        from rich.console import Console
        from rich.progress import Progress
    except ImportError:
        return None
    progress = Progress(console=Console(stderr=True), transient=True)
    task_id = progress.add_task(what, total=1.0)
    progress.start()
    return progress, task_id


# --- parser -------------------------------------------------------------------------------


def _common(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument(
        "--server",
        default=os.environ.get("TASKROOM_SERVER") or DEFAULT_SERVER,
        help="the API to talk to (default: $TASKROOM_SERVER or %(default)s)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    login = _common(sub.add_parser("login", help="log in and save the token (mode 0600)"))
    login.add_argument("--token", help="save this token (e.g. a trp_ access token) instead")
    login.add_argument("--username", "-u", help="the username (else asked)")
    login.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin (scripts)"
    )
    login.set_defaults(func=run_login)

    projects = _common(sub.add_parser("projects", help="the projects you are a member of"))
    projects.set_defaults(func=run_projects)

    tasks = _common(sub.add_parser("tasks", help="a project's tasks"))
    tasks.add_argument("project", help="a project id or exact name")
    tasks.add_argument("--status", choices=STATUSES)
    tasks.add_argument("--label", help="a label name")
    tasks.add_argument("--assignee", help="a member's username")
    tasks.add_argument("-q", help="text in the title or description")
    tasks.set_defaults(func=run_tasks)

    task = sub.add_parser("task", help="add, move, edit or remove a task")
    task_sub = task.add_subparsers(dest="task_command", required=True, metavar="COMMAND")
    add = _common(task_sub.add_parser("add", help="create a task"))
    add.add_argument("project")
    add.add_argument("title")
    add.add_argument("--priority", choices=PRIORITIES)
    add.add_argument("--due", help="YYYY-MM-DD")
    add.add_argument("--assignee", help="a member's username")
    add.add_argument("--label", action="append", help="a label name (repeatable)")
    add.add_argument("--description")
    add.set_defaults(func=run_task_add)
    move = _common(task_sub.add_parser("move", help="change a task's status"))
    move.add_argument("task", help="a task id or a unique prefix (≥ 6 characters)")
    move.add_argument("status", choices=STATUSES)
    move.set_defaults(func=run_task_move)
    edit = _common(task_sub.add_parser("edit", help="change a task's fields"))
    edit.add_argument("task")
    edit.add_argument("--title")
    edit.add_argument("--priority", choices=PRIORITIES)
    edit.add_argument("--due", help="YYYY-MM-DD, or 'none' to clear it")
    edit.add_argument("--description")
    edit.set_defaults(func=run_task_edit)
    rm = _common(task_sub.add_parser("rm", help="delete a task"))
    rm.add_argument("task")
    rm.set_defaults(func=run_task_rm)

    comment = _common(sub.add_parser("comment", help="comment on a task"))
    comment.add_argument("task")
    comment.add_argument("text")
    comment.set_defaults(func=run_comment)

    export = _common(sub.add_parser("export", help="export a project to a file (waits)"))
    export.add_argument("project")
    export.add_argument("--format", "-f", choices=FORMATS, required=True)
    export.add_argument("--output", "-o", required=True, help="the file to write")
    export.set_defaults(func=run_export)

    imported = _common(sub.add_parser("import", help="import a file of tasks (waits)"))
    imported.add_argument("project")
    imported.add_argument("file", help="a Taskroom JSON or CSV export, any CSV, a Trello board")
    imported.add_argument(
        "--format", "-f", choices=IMPORT_FORMATS, help="else from the file's extension"
    )
    imported.add_argument(
        "--dry-run", action="store_true", help="report what would be imported; write nothing"
    )
    imported.set_defaults(func=run_import)
