"""Exports in embedded mode (no Redis): routes, formats, files, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from api.domain.exports.cleanup import delete_expired_files
from tests.support import ApiUser, Server, wait_until

TRICKY = [
    {"title": '=HYPERLINK("http://evil")', "description": "plain"},
    {"title": "+1+1", "description": "-2", "status": "in_progress", "priority": "high"},
    {"title": "@SUM(A1)", "description": 'quote " and, comma\nnew line', "status": "done"},
    {"title": "ünïcødé ✓", "description": "", "due_date": "2030-01-31"},
]


def make_project(user: ApiUser, tasks: list[dict[str, Any]]) -> str:
    project_id: str = user.client.post("/api/projects", json={"name": "Export me"}).json()["id"]
    for task in tasks:
        r = user.client.post(f"/api/projects/{project_id}/tasks", json=task)
        assert r.status_code == 201, r.text
    return project_id


def finished(user: ApiUser, export_id: str, timeout: float = 60) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        job: dict[str, Any] = user.client.get(f"/api/exports/{export_id}").json()
        return job if job["status"] in ("COMPLETED", "FAILED") else None

    result: dict[str, Any] = wait_until(done, timeout=timeout, interval=0.1, what="export")
    return result


def export(user: ApiUser, project_id: str, fmt: str, **body: Any) -> dict[str, Any]:
    r = user.client.post(f"/api/projects/{project_id}/exports", json={"format": fmt, **body})
    assert r.status_code == 202, r.text
    assert r.json()["status"] in ("PENDING", "PROCESSING", "COMPLETED")
    return finished(user, r.json()["id"])


def download(user: ApiUser, job: dict[str, Any]) -> bytes:
    assert job["status"] == "COMPLETED", job
    r = user.client.get(job["download_url"])
    assert r.status_code == 200
    assert r.headers["content-disposition"].startswith("attachment")
    assert len(r.content) == job["size_bytes"]
    assert hashlib.sha256(r.content).hexdigest() == job["sha256"]
    return r.content


def tasks_of(user: ApiUser, project_id: str) -> list[dict[str, Any]]:
    """The tasks' own fields, as every export holds them: not `comment_count` (§8), nor labels and
    checklists (§9; the JSON export holds them by name and text, none in these tasks)."""
    tasks: list[dict[str, Any]] = user.client.get(f"/api/projects/{project_id}").json()["tasks"]
    for t in tasks:
        assert t.pop("comment_count") == 0
        assert (t.pop("labels"), t.pop("checklist")) == ([], [])
    return tasks


def check_csv(body: bytes, tasks: list[dict[str, Any]]) -> None:
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))
    assert b"\r\n" in body
    by_id = {t["id"]: t for t in tasks}
    assert sorted(r["id"] for r in rows) == sorted(by_id)
    for row in rows:
        task = by_id[row["id"]]
        for name in ("title", "description"):
            cell, value = row[name], task[name]
            if value[:1] in ("=", "+", "-", "@"):
                assert cell == "'" + value  # neutralised: a spreadsheet shows it as text
            else:
                assert cell == value
        assert row["status"] == task["status"] and row["priority"] == task["priority"]
        assert row["due_date"] == (task["due_date"] or "")


def check_json(body: bytes, project_id: str, tasks: list[dict[str, Any]]) -> None:
    doc = json.loads(body)
    assert doc["project"]["id"] == project_id and doc["project"]["labels"] == []
    for t in doc["tasks"]:  # by name and text, not ids: what another project can take in
        assert (t.pop("labels"), t.pop("checklist")) == ([], [])
    assert sorted(doc["tasks"], key=lambda t: t["id"]) == sorted(tasks, key=lambda t: t["id"])


def test_each_format_round_trips(server: Server, make_user: Any) -> None:
    user = make_user()
    project_id = make_project(user, TRICKY)
    tasks = tasks_of(user, project_id)

    check_csv(download(user, export(user, project_id, "csv")), tasks)
    check_json(download(user, export(user, project_id, "json")), project_id, tasks)
    markdown = download(user, export(user, project_id, "markdown")).decode()
    assert markdown.startswith("# Export me")
    assert markdown.index("## To do") < markdown.index("## In progress") < markdown.index("## Done")
    assert "ünïcødé ✓" in markdown and "due 2030-01-31" in markdown


def test_empty_project_exports(server: Server, make_user: Any) -> None:
    user = make_user()
    project_id = make_project(user, [])
    assert json.loads(download(user, export(user, project_id, "json")))["tasks"] == []
    assert download(user, export(user, project_id, "csv")).startswith(b"id,title,")


def test_members_only_and_bad_input(server: Server, make_user: Any) -> None:
    owner, viewer, stranger = make_user(), make_user(), make_user()
    project_id = make_project(owner, TRICKY[:1])
    owner.client.post(
        f"/api/projects/{project_id}/members", json={"username": viewer.username, "role": "viewer"}
    )
    job = export(viewer, project_id, "csv")  # any member may export
    assert owner.client.get(f"/api/exports/{job['id']}").status_code == 200
    for path in (f"/api/exports/{job['id']}", job["download_url"]):
        assert stranger.client.get(path).status_code == 404
    assert stranger.client.get(f"/api/projects/{project_id}/exports").status_code == 404
    r = stranger.client.post(f"/api/projects/{project_id}/exports", json={"format": "csv"})
    assert r.status_code == 404
    for body in ({"format": "xls"}, {"format": "csv", "webhook_url": "file:///etc/passwd"}, {}):
        r = owner.client.post(f"/api/projects/{project_id}/exports", json=body)
        assert r.status_code == 400, r.text
    assert owner.client.get("/api/exports/not-a-uuid").status_code in (400, 404)
    anonymous = owner.client.get(f"/api/exports/{job['id']}", headers={"Authorization": ""})
    assert anonymous.status_code == 401


def test_idempotency_key_and_listing(server: Server, make_user: Any) -> None:
    user, other = make_user(), make_user()
    project_id = make_project(user, TRICKY[:2])
    user.client.post(
        f"/api/projects/{project_id}/members", json={"username": other.username, "role": "editor"}
    )
    url = f"/api/projects/{project_id}/exports"
    key = {"Idempotency-Key": "nightly-2030-01-31"}
    first = user.client.post(url, json={"format": "csv"}, headers=key).json()
    again = user.client.post(url, json={"format": "csv"}, headers=key).json()
    assert again["id"] == first["id"]
    theirs = other.client.post(url, json={"format": "csv"}, headers=key).json()
    assert theirs["id"] != first["id"]  # same key, another caller: another job
    fresh = user.client.post(url, json={"format": "json"}).json()
    listed = [j["id"] for j in user.client.get(url).json()]
    assert listed == [fresh["id"], theirs["id"], first["id"]]  # newest first
    for job in (first, theirs, fresh):
        assert finished(user, job["id"])["status"] == "COMPLETED"


EXPORTS_PER_MINUTE = 10  # per user and project (api/ratelimit.py)


def test_exports_per_user_and_project_are_bounded(server: Server, make_user: Any) -> None:
    owner, viewer = make_user(), make_user()
    project_id = make_project(owner, TRICKY[:1])
    owner.client.post(
        f"/api/projects/{project_id}/members", json={"username": viewer.username, "role": "viewer"}
    )
    url = f"/api/projects/{project_id}/exports"
    key = {"Idempotency-Key": "first"}
    answers = [viewer.client.post(url, json={"format": "csv"}, headers=key)]
    answers += [viewer.client.post(url, json={"format": "csv"}) for _ in range(24)]
    assert [r.status_code for r in answers] == [202] * EXPORTS_PER_MINUTE + [429] * 15
    refused = answers[-1]
    assert refused.json()["status_code"] == 429 and refused.json()["detail"]
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert len(viewer.client.get(url).json()) == EXPORTS_PER_MINUTE  # nothing made for a 429
    # a repeated key is the job it named, not a new one; the bound is per user and project
    assert viewer.client.post(url, json={"format": "csv"}, headers=key).status_code == 202
    assert owner.client.post(url, json={"format": "csv"}).status_code == 202
    own = make_project(viewer, [])
    assert (
        viewer.client.post(f"/api/projects/{own}/exports", json={"format": "csv"}).status_code
        == 202
    )
    for r in answers[:EXPORTS_PER_MINUTE]:
        finished(viewer, r.json()["id"])


def test_deleting_the_project_deletes_its_files(server: Server, make_user: Any) -> None:
    user = make_user()
    project_id = make_project(user, TRICKY)
    export(user, project_id, "csv")
    folder = Path(server.env["TASKROOM_DATA_DIR"]) / "exports" / project_id
    assert any(folder.iterdir())
    assert user.client.delete(f"/api/projects/{project_id}").status_code == 204
    assert not folder.exists()


def test_expired_files_and_stale_temp_files_are_deleted(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    old, new, temp = folder / "a.csv", folder / "b.csv", folder / ".c.csv.1.tmp"
    for path in (old, new, temp):
        path.write_text("x")
    now = time.time()
    os.utime(old, (now - 25 * 3600, now - 25 * 3600))
    os.utime(temp, (now - 3600, now - 3600))
    assert delete_expired_files(tmp_path, ttl_hours=24) == 2
    assert [p.name for p in folder.iterdir()] == ["b.csv"]
    os.utime(new, (now - 25 * 3600, now - 25 * 3600))
    delete_expired_files(tmp_path, ttl_hours=24)
    assert not folder.exists()


@pytest.mark.parametrize("value", ["=1", "+1", "-1", "@x", "\t=1", "\r=1", "\t", "\r\n+1"])
def test_csv_cells_are_neutralised(value: str) -> None:
    from api.domain.exports.formats.csv import neutralise

    assert neutralise(value) == "'" + value
    assert neutralise("a" + value) == "a" + value
    assert neutralise(-1.5) == -1.5  # numbers are data, not formulas


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "https://10.1.2.3/hook",
        "http://[::1]/hook",
        "http://[::ffff:192.168.0.1]/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[64:ff9b::7f00:1]/hook",  # NAT64 of 127.0.0.1
        "http://[64:ff9b::a00:1]/hook",  # NAT64 of 10.0.0.1
        "http://[2002:7f00:1::]/hook",  # 6to4 of 127.0.0.1
        "http://[::127.0.0.1]/hook",  # IPv4-compatible
        "http://[::ffff:0:7f00:1]/hook",  # IPv4-translated
        "http://[fec0::1]/hook",  # site-local
        "http://127.1/hook",
        "http://2130706433/hook",  # 127.0.0.1 as one number
    ],
)
async def test_webhooks_refuse_private_addresses(url: str) -> None:
    from api.domain.exports.webhooks import WebhookRefused, resolve

    with pytest.raises(WebhookRefused):
        await resolve(url, allow_private=False)
    target, _host = await resolve(url, allow_private=True)
    assert target.startswith(url.split(":", 1)[0])


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "2606:4700::1111", "64:ff9b::808:808", "2002:808:808::1"]
)
def test_webhooks_allow_public_addresses_in_any_form(address: str) -> None:
    from api.domain.exports.webhooks import is_allowed

    assert is_allowed(address)


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "file:///etc/passwd", "http:///nohost", "http://h:99999/"]
)
def test_webhooks_are_http_only(url: str) -> None:
    from api.domain.exports.webhooks import WebhookRefused, check_url

    with pytest.raises(WebhookRefused):
        check_url(url)


def test_a_webhook_url_that_can_never_be_delivered_is_refused_at_once(
    server: Server, make_user: Any
) -> None:
    user = make_user()
    project_id = make_project(user, TRICKY[:1])
    url = f"/api/projects/{project_id}/exports"
    for hook in (
        "http://[64:ff9b::7f00:1]/h",
        "http://[fec0::1]/h",
        "http://10.0.0.1/h",
        "ftp://x/",
    ):
        r = user.client.post(url, json={"format": "csv", "webhook_url": hook})
        assert r.status_code == 400, (hook, r.text)
        assert r.json()["status_code"] == 400 and "webhook" in r.json()["detail"]
    assert user.client.get(url).json() == []  # nothing was queued
    r = user.client.post(url, json={"format": "csv", "webhook_url": "https://hooks.invalid/h"})
    assert r.status_code == 202  # a name is checked when it is resolved, at delivery


async def test_webhook_to_a_refused_address_is_not_sent() -> None:
    from api.domain.exports.webhooks import deliver

    assert not await deliver("http://127.0.0.1:9/", b"{}", secret="s", allow_private=False)


class _Receiver:
    """A real HTTP server on loopback answering webhook POSTs with the statuses given, in turn."""

    def __init__(self, statuses: list[int]) -> None:
        import http.server
        import threading

        self.statuses = list(statuses)
        self.seen: list[float] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.seen.append(time.monotonic())
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


async def test_a_webhook_answered_503_and_429_is_retried_1_then_2_seconds_apart() -> None:
    from api.domain.exports.webhooks import deliver

    receiver = _Receiver([503, 429, 200])
    try:
        assert await deliver(receiver.url, b"{}", secret="s", allow_private=True)
    finally:
        receiver.close()
    gaps = [b - a for a, b in zip(receiver.seen, receiver.seen[1:], strict=False)]
    assert len(receiver.seen) == 3
    assert 0.9 <= gaps[0] < 1.9 and 1.9 <= gaps[1] < 3.5, gaps


async def test_a_webhook_refused_with_404_is_not_retried() -> None:
    from api.domain.exports.webhooks import deliver

    receiver = _Receiver([404])
    try:
        assert not await deliver(receiver.url, b"{}", secret="s", allow_private=True)
    finally:
        receiver.close()
    assert len(receiver.seen) == 1
