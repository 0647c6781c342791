"""Imports in embedded mode (no Redis): formats, reports, all-or-nothing, round trips, on
SQLite and PostgreSQL through the session's `server`."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.support import ApiUser, wait_until
from tests.test_exports import TRICKY, download, export, make_project

MiB = 1024 * 1024
# What differs between two projects holding the same tasks: ids, times, and the version
# (an imported task is new: version 1).
VOLATILE = re.compile(
    rb'"(id|project_id|created_by|updated_by|assignee_id)":"[0-9a-f-]{36}"'
    rb'|"(created_at|updated_at)":"[^"]+"|"version":\d+'
)

TRELLO = {
    "id": "board1",
    "name": "Launch",
    "desc": "",
    "closed": False,
    "actions": [{"id": "a1", "type": "createCard", "data": {"text": "noise"}}],
    "labels": [
        {"id": "l1", "idBoard": "board1", "name": "bug", "color": "red"},
        {"id": "l2", "idBoard": "board1", "name": "", "color": "green"},
    ],
    "cards": [
        {"id": "c1", "name": "Write the press release", "desc": "Draft *first*", "closed": False,
         "idList": "L1", "pos": 16384, "due": "2030-03-01T12:00:00.000Z", "dueComplete": False,
         "idLabels": ["l1"], "labels": [{"id": "l1", "name": "bug", "color": "red"}],
         "idChecklists": ["k1"]},
        {"id": "c2", "name": "Old idea", "desc": "", "closed": True, "idList": "L1",
         "pos": 32768, "due": None, "labels": [], "idChecklists": []},
        {"id": "c3", "name": "Book the venue", "desc": "", "closed": False, "idList": "L2",
         "pos": 100, "due": None, "labels": [{"id": "l2", "name": "", "color": "green"}],
         "idChecklists": []},
        {"id": "c4", "name": "Ship it", "desc": "", "closed": False, "idList": "L4",
         "pos": 5, "due": "2030-04-02T00:00:00.000Z", "labels": [], "idChecklists": []},
        {"id": "c5", "name": "On an archived list", "desc": "", "closed": False,
         "idList": "L3", "pos": 1, "labels": [], "idChecklists": []},
        {"id": "c0", "name": "Call the printer", "desc": "", "closed": False, "idList": "L1",
         "pos": 8192, "labels": [], "idChecklists": []},
    ],
    "lists": [
        {"id": "L1", "name": "Ideas", "closed": False, "pos": 1024},
        {"id": "L2", "name": "Doing", "closed": False, "pos": 2048},
        {"id": "L3", "name": "Parked", "closed": True, "pos": 3072},
        {"id": "L4", "name": "Shipped", "closed": False, "pos": 4096},
    ],
    "checklists": [
        {"id": "k1", "idCard": "c1", "name": "Steps", "pos": 1, "checkItems": [
            {"id": "i2", "name": "Send", "state": "incomplete", "pos": 2},
            {"id": "i1", "name": "Write", "state": "complete", "pos": 1},
        ]},
    ],
}  # fmt: skip


def tasks_of(user: ApiUser, project_id: str) -> list[dict[str, Any]]:
    """Every task of the project as the API shows it, labels and checklists included."""
    tasks: list[dict[str, Any]] = user.client.get(f"/api/projects/{project_id}").json()["tasks"]
    return tasks


def start(
    user: ApiUser, project_id: str, body: bytes, fmt: str, *, key: str | None = None
) -> dict[str, Any]:
    headers = {"Idempotency-Key": key} if key else {}
    r = user.client.post(
        f"/api/projects/{project_id}/imports",
        params={"format": fmt},
        content=body,
        headers=headers,
    )
    assert r.status_code == 202, r.text
    job: dict[str, Any] = r.json()
    return job


def finished(user: ApiUser, import_id: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        job: dict[str, Any] = user.client.get(f"/api/imports/{import_id}").json()
        return job if job["status"] in ("COMPLETED", "FAILED") else None

    job: dict[str, Any] = wait_until(done, timeout=60, interval=0.1, what="import")
    return job


def run_import(user: ApiUser, project_id: str, body: bytes, fmt: str) -> dict[str, Any]:
    return finished(user, start(user, project_id, body, fmt)["id"])


def dry_run(user: ApiUser, project_id: str, body: bytes, fmt: str) -> dict[str, Any]:
    r = user.client.post(
        f"/api/projects/{project_id}/imports",
        params={"format": fmt, "dry_run": "true"},
        content=body,
    )
    assert r.status_code == 200, r.text
    report: dict[str, Any] = r.json()
    return report


def empty_project(user: ApiUser) -> str:
    return make_project(user, [])


def columns(tasks: list[dict[str, Any]]) -> dict[str, list[tuple[Any, ...]]]:
    """Each column's tasks in position order, by the fields an import carries over."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for t in sorted(tasks, key=lambda t: (t["status"], t["position"])):
        out.setdefault(t["status"], []).append(
            (t["title"], t["description"], t["priority"], t["due_date"])
        )
    return out


def test_json_round_trip(make_user: Any) -> None:
    """Export JSON → import into an empty project: the same tasks in the same order; export
    again: the same bytes but for ids, times and versions."""
    user = make_user()
    source = make_project(user, [*TRICKY, {"title": "dup"}, {"title": "dup", "status": "done"}])
    some, other = tasks_of(user, source)[:2]
    user.client.patch(f"/api/tasks/{some['id']}", json={"position": -5.5, "priority": "low"})
    bug = user.client.post(
        f"/api/projects/{source}/labels", json={"name": "Bug", "color": "red"}
    ).json()["id"]
    ui = user.client.post(f"/api/projects/{source}/labels", json={"name": "ui", "color": "teal"})
    user.client.post(f"/api/projects/{source}/labels", json={"name": "unused", "color": "pink"})
    r = user.client.patch(f"/api/tasks/{other['id']}", json={"labels": [bug, ui.json()["id"]]})
    assert r.status_code == 200, r.text
    for text in ("first", "second"):
        r = user.client.post(f"/api/tasks/{other['id']}/checklist", json={"text": text})
        assert r.status_code == 201, r.text
    first = download(user, export(user, source, "json"))
    target = empty_project(user)
    job = run_import(user, target, first, "taskroom-json")
    assert job["status"] == "COMPLETED", job
    assert (job["created"], job["skipped"], job["errors"]) == (6, 0, [])
    assert job["progress"] == 1.0 and job["finished_at"]
    assert columns(tasks_of(user, target)) == columns(tasks_of(user, source))
    again = download(user, export(user, target, "json"))
    assert b'"Bug"' in first and b'"unused"' in first and b'"first"' in first
    assert VOLATILE.sub(b"", again) == VOLATILE.sub(b"", first)


def test_csv_round_trip_keeps_formulas_as_text(make_user: Any) -> None:
    user = make_user()
    source = make_project(user, TRICKY)
    first = download(user, export(user, source, "csv"))
    assert b"'=HYPERLINK" in first  # the export neutralised it
    target = empty_project(user)
    job = run_import(user, target, first, "csv")
    assert job["status"] == "COMPLETED" and job["created"] == len(TRICKY), job
    assert job["warnings"] == []  # the export's own columns are known
    assert columns(tasks_of(user, target)) == columns(tasks_of(user, source))
    titles = {t["title"] for t in tasks_of(user, target)}
    assert '=HYPERLINK("http://evil")' in titles and "@SUM(A1)" in titles  # text, as typed
    again = download(user, export(user, target, "csv"))
    assert b"'=HYPERLINK" in again and b"'@SUM(A1)" in again  # neutralised again


def test_any_csv_with_a_title_column(make_user: Any) -> None:
    user = make_user()
    project = empty_project(user)
    body = (
        "\ufeffTitle,STATUS,Priority,Due,Colour\r\n"
        "Paint the fence,Doing,HIGH,2030-05-01,green\r\n"
        "\r\n"
        ",,,,\r\n"
        '"Two\nlines? no: one title",done,,,\r\n'
        "=1+1,,,,\r\n"
        "Paint the fence,,,,\r\n"
    ).encode()
    report = dry_run(user, project, body, "csv")
    assert report["errors"] == [
        {"row": 5, "field": "title", "message": report["errors"][0]["message"]}
    ]
    assert report["created"] == 0 and report["skipped"] == 2
    assert report["warnings"] == ["column 'colour' is not imported"]
    assert tasks_of(user, project) == []  # a dry run writes nothing
    job = run_import(user, project, body, "csv")
    assert job["status"] == "FAILED" and job["errors"][0]["row"] == 5, job
    assert tasks_of(user, project) == []  # all or nothing
    good = body.replace(b'"Two\nlines? no: one title"', b"Ok")
    job = run_import(user, project, good, "csv")
    assert job["status"] == "COMPLETED" and job["created"] == 4, job
    tasks = {
        (t["title"], t["status"], t["priority"], t["due_date"]) for t in tasks_of(user, project)
    }
    assert tasks == {
        ("Paint the fence", "in_progress", "high", "2030-05-01"),
        ("Ok", "done", "medium", None),
        ("=1+1", "todo", "medium", None),
        ("Paint the fence", "todo", "medium", None),  # duplicate titles are kept
    }


def test_latin1_csv_is_detected(make_user: Any) -> None:
    user = make_user()
    project = empty_project(user)
    job = run_import(user, project, "title\r\nCafé crème\r\n".encode("latin-1"), "csv")
    assert job["status"] == "COMPLETED", job
    assert job["warnings"] == ["the file is not UTF-8: read as Latin-1"]
    assert [t["title"] for t in tasks_of(user, project)] == ["Café crème"]


def test_errors_name_rows_and_fields(make_user: Any) -> None:
    user = make_user()
    project = empty_project(user)
    lines = ["title,status,due_date"] + [f"ok {i},todo," for i in range(150)]
    lines[3] = "bad,someday,"
    lines[7] = "late,todo,2030-02-30"
    lines += [f"\x1b[31m{i},todo," for i in range(120)]
    report = dry_run(user, project, "\n".join(lines).encode(), "csv")
    assert report["errors"][:2] == [
        {"row": 4, "field": "status", "message": "Invalid enum value 'someday'"},
        {"row": 8, "field": "due_date", "message": report["errors"][1]["message"]},
    ]
    assert len(report["errors"]) == 100
    assert "122 rows have errors; the first 100 listed" in report["warnings"]
    for body, fmt in ((b"\x00\x01 not json", "taskroom-json"), (b"", "csv"), (b"a,b\n", "csv"),
                      (b'{"name": "x"}', "taskroom-json"), (b"[1, 2]", "trello")):  # fmt: skip
        report = dry_run(user, project, body, fmt)
        assert [(e["row"], e["field"]) for e in report["errors"]] == [(0, None)], (body, report)


def test_trello_board(make_user: Any) -> None:
    user = make_user()
    project = empty_project(user)
    job = run_import(user, project, json.dumps(TRELLO).encode(), "trello")
    assert job["status"] == "COMPLETED", job
    assert (job["created"], job["skipped"]) == (4, 2)  # an archived card, one on an archived list
    assert job["warnings"] == []
    assert columns(tasks_of(user, project)) == {
        "todo": [
            ("Call the printer", "", "medium", None),
            ("Write the press release", "Draft *first*", "medium", "2030-03-01"),
        ],
        "in_progress": [("Book the venue", "", "medium", None)],
        "done": [("Ship it", "", "medium", "2030-04-02")],
    }
    body = user.client.get(f"/api/projects/{project}").json()
    names = {label["id"]: (label["name"], label["color"]) for label in body["labels"]}
    assert sorted(names.values()) == [("bug", "red"), ("green", "green")]
    by_title = {t["title"]: t for t in body["tasks"]}
    press = by_title["Write the press release"]
    assert [names[i] for i in press["labels"]] == [("bug", "red")]
    assert [(i["text"], i["done"]) for i in press["checklist"]] == [
        ("Write", True),
        ("Send", False),
    ]
    assert [names[i] for i in by_title["Book the venue"]["labels"]] == [("green", "green")]
    again = run_import(user, project, json.dumps(TRELLO).encode(), "trello")
    assert again["status"] == "COMPLETED"  # the labels are found again by name, not doubled
    assert len(user.client.get(f"/api/projects/{project}/labels").json()) == 2


def test_idempotency_key_and_size_limit(make_user: Any) -> None:
    user = make_user()
    project = empty_project(user)
    body = b"title\nonce\n"
    first = start(user, project, body, "csv", key="import-1")
    second = start(user, project, b"title\nother\n", "csv", key="import-1")
    assert second["id"] == first["id"]
    finished(user, first["id"])
    assert [t["title"] for t in tasks_of(user, project)] == ["once"]
    header = b"title,description\n"
    row = b"t," + b"x" * 1021 + b"\n"
    exactly = header + row * (20 * 1024 - 1) + b"t," + b"y" * (1024 - len(header) - 3) + b"\n"
    assert len(exactly) == 20 * MiB
    report = dry_run(user, project, exactly, "csv")
    assert report["created"] == 20 * 1024 and report["errors"] == []
    r = user.client.post(
        f"/api/projects/{project}/imports", params={"format": "csv"}, content=exactly + b"z"
    )
    assert r.status_code == 413 and r.json()["status_code"] == 413, r.text
    assert [t["title"] for t in tasks_of(user, project)] == ["once"]


def test_bad_requests(make_user: Any) -> None:
    user = make_user()
    viewer = make_user()
    project = empty_project(user)
    user.client.post(
        f"/api/projects/{project}/members", json={"username": viewer.username, "role": "viewer"}
    )
    url = f"/api/projects/{project}/imports"
    assert user.client.post(url, params={"format": "xlsx"}, content=b"x").status_code == 400
    assert user.client.post(url, content=b"title\nx\n").status_code == 400  # no format
    r = viewer.client.post(url, params={"format": "csv"}, content=b"title\nx\n")
    assert r.status_code == 403
    job = start(user, project, b"title\nx\n", "csv")
    assert viewer.client.get(f"/api/imports/{job['id']}").status_code == 200
    outsider = make_user()
    assert outsider.client.get(f"/api/imports/{job['id']}").status_code == 404
    r = outsider.client.post(url, params={"format": "csv"}, content=b"title\nx\n")
    assert r.status_code == 404


def test_one_activity_entry_per_import(make_user: Any) -> None:
    user = make_user()
    project = empty_project(user)
    job = run_import(user, project, b"title\na\nb\nc\n", "csv")
    assert job["created"] == 3
    items = user.client.get(f"/api/projects/{project}/activity").json()["items"]
    assert [i["summary"] for i in items] == [
        "imported 3 tasks from csv",
        "created the project 'Export me'",
    ]


@pytest.mark.parametrize("fmt", ["csv", "taskroom-json"])
def test_appends_after_existing_tasks(make_user: Any, fmt: str) -> None:
    user = make_user()
    project = make_project(user, [{"title": "already here"}])
    body = download(user, export(user, project, "csv" if fmt == "csv" else "json"))
    job = run_import(user, project, body, fmt)
    assert job["created"] == 1
    tasks = sorted(tasks_of(user, project), key=lambda t: t["position"])
    assert [t["title"] for t in tasks] == ["already here", "already here"]
    assert tasks[0]["position"] < tasks[1]["position"]
