"""Idempotency-Key on task create, update, delete and comment create: applied once per key."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from api.db.models import IdempotencyRecord
from api.db.session import make_engine, make_sessionmaker
from api.domain.idempotency import purge
from tests.support import ApiUser, MakeUser


def _key() -> dict[str, str]:
    return {"Idempotency-Key": f"edit-{uuid.uuid4()}"}


def _project(user: ApiUser) -> str:
    r = user.client.post("/api/projects", json={"name": "Once"})
    assert r.status_code == 201, r.text
    pid: str = r.json()["id"]
    return pid


def _activity(user: ApiUser, pid: str) -> list[str]:
    r = user.client.get(f"/api/projects/{pid}/activity", params={"limit": 100})
    assert r.status_code == 200, r.text
    return [e["event"] for e in r.json()["items"]]


def _tasks(user: ApiUser, pid: str) -> list[dict[str, Any]]:
    r = user.client.get(f"/api/projects/{pid}/tasks")
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def _run(database_url: str, work: Callable[[Any], Any]) -> Any:
    async def main() -> Any:
        engine = make_engine(database_url)
        try:
            return await work(make_sessionmaker(engine))
        finally:
            await engine.dispose()

    return asyncio.run(main())


def test_a_retry_replays_the_first_answer_and_changes_nothing(make_user: MakeUser) -> None:
    user = make_user()
    pid = _project(user)
    key = _key()

    first = user.client.post(f"/api/projects/{pid}/tasks", json={"title": "Once"}, headers=key)
    again = user.client.post(f"/api/projects/{pid}/tasks", json={"title": "Once"}, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert [t["id"] for t in _tasks(user, pid)] == [first.json()["id"]]
    tid = first.json()["id"]

    patch = {"title": "Twice?", "version": 1}
    key = _key()
    updated = user.client.patch(f"/api/tasks/{tid}", json=patch, headers=key)
    replayed = user.client.patch(f"/api/tasks/{tid}", json=patch, headers=key)
    assert updated.status_code == replayed.status_code == 200
    assert replayed.json() == updated.json()
    assert replayed.json()["version"] == 2  # not a 409: the stale version is never re-checked

    key = _key()
    comment = {"body": "only one"}
    posted = user.client.post(f"/api/tasks/{tid}/comments", json=comment, headers=key)
    reposted = user.client.post(f"/api/tasks/{tid}/comments", json=comment, headers=key)
    assert posted.status_code == reposted.status_code == 201
    assert reposted.json() == posted.json()
    assert len(user.client.get(f"/api/tasks/{tid}/comments").json()) == 1
    assert user.client.get(f"/api/tasks/{tid}").json()["comment_count"] == 1

    key = _key()
    assert user.client.delete(f"/api/tasks/{tid}", headers=key).status_code == 204
    assert user.client.delete(f"/api/tasks/{tid}", headers=key).status_code == 204
    assert user.client.delete(f"/api/tasks/{tid}", headers=_key()).status_code == 404

    assert _activity(user, pid) == [
        "task:deleted",
        "comment:created",
        "task:updated",
        "task:created",
        "project:created",
    ]


def test_one_key_for_another_request_is_422(make_user: MakeUser) -> None:
    user, other = make_user(), make_user()
    pid = _project(user)
    key = _key()
    task = user.client.post(f"/api/projects/{pid}/tasks", json={"title": "A"}, headers=key)
    assert task.status_code == 201
    tid = task.json()["id"]

    for method, path, body in [
        ("POST", f"/api/projects/{pid}/tasks", {"title": "B"}),  # another body
        ("PATCH", f"/api/tasks/{tid}", {"title": "A"}),  # another route
        ("DELETE", f"/api/tasks/{tid}", None),
    ]:
        r = user.client.request(method, path, json=body, headers=key)
        assert r.status_code == 422, r.text
        assert r.json()["detail"] == "This Idempotency-Key was used for a different request"
    assert [t["title"] for t in _tasks(user, pid)] == ["A"]

    # A key is the caller's own: another user's same key is another request.
    opid = _project(other)
    r = other.client.post(f"/api/projects/{opid}/tasks", json={"title": "B"}, headers=key)
    assert r.status_code == 201, r.text


def test_a_refused_write_keeps_no_answer(make_user: MakeUser) -> None:
    user = make_user()
    pid = _project(user)
    tid = user.client.post(f"/api/projects/{pid}/tasks", json={"title": "A"}).json()["id"]
    user.client.patch(f"/api/tasks/{tid}", json={"title": "B"}).raise_for_status()
    key = _key()
    stale = user.client.patch(f"/api/tasks/{tid}", json={"title": "C", "version": 1}, headers=key)
    assert stale.status_code == 409
    fixed = user.client.patch(f"/api/tasks/{tid}", json={"title": "C", "version": 2}, headers=key)
    assert fixed.status_code == 200, fixed.text  # another body: the 409 stored nothing
    assert fixed.json()["title"] == "C"


@pytest.mark.parametrize(
    "value",
    ["", "x" * 201, "tab\there", "c1\x85", "caf\u00e9"],
    ids=["empty", "201", "tab", "c1", "latin1"],
)
def test_bad_keys_are_400(make_user: MakeUser, value: str) -> None:
    user = make_user()
    pid = _project(user)
    r = user.client.post(
        f"/api/projects/{pid}/tasks",
        json={"title": "A"},
        headers={b"Idempotency-Key": value.encode("latin-1")},
    )
    assert r.status_code == 400, r.text
    assert r.json()["status_code"] == 400 and r.json()["detail"]
    assert _tasks(user, pid) == []


def test_keys_of_200_visible_characters_are_fine(make_user: MakeUser) -> None:
    user = make_user()
    pid = _project(user)
    key = {"Idempotency-Key": "k" + "!~ " * 66 + "z"}
    assert len(key["Idempotency-Key"]) == 200
    r = user.client.post(f"/api/projects/{pid}/tasks", json={"title": "A"}, headers=key)
    assert r.status_code == 201, r.text


def test_concurrent_requests_with_one_key_apply_once(make_user: MakeUser) -> None:
    user = make_user()
    pid = _project(user)
    key = _key()
    url = f"{user.client.base_url}/api/projects/{pid}/tasks"
    headers = {**key, "Authorization": f"Bearer {user.token}"}

    def send(_: int) -> httpx.Response:
        return httpx.post(url, json={"title": "Race"}, headers=headers, timeout=60)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(8)))
    created = [r for r in answers if r.status_code == 201]
    assert all(r.status_code in (201, 409) for r in answers), [r.text for r in answers]
    assert created and all(r.json() == created[0].json() for r in created)
    assert len(_tasks(user, pid)) == 1
    assert _activity(user, pid).count("task:created") == 1


def test_keys_expire_after_24_hours(make_user: MakeUser, database_url: str) -> None:
    user = make_user()
    pid = _project(user)
    key = _key()
    body = {"title": "Daily"}
    user.client.post(f"/api/projects/{pid}/tasks", json=body, headers=key).raise_for_status()

    async def age(sessionmaker: Any) -> None:
        async with sessionmaker() as session:
            await session.execute(
                update(IdempotencyRecord)
                .where(IdempotencyRecord.key == key["Idempotency-Key"])
                .values(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=25))
            )
            await session.commit()

    _run(database_url, age)
    # Expired: the key is free again, this is a new request.
    again = user.client.post(f"/api/projects/{pid}/tasks", json=body, headers=key)
    assert again.status_code == 201
    assert len(_tasks(user, pid)) == 2

    # The purge deletes what is older than 24 h and only that.
    _run(database_url, age)
    user.client.post(f"/api/projects/{pid}/tasks", json=body, headers=_key()).raise_for_status()

    async def count(sessionmaker: Any) -> int:
        async with sessionmaker() as session:
            n: int = await session.scalar(
                select(func.count()).where(IdempotencyRecord.user_id == uuid.UUID(user.id))
            )
            return n

    assert _run(database_url, count) == 2
    assert _run(database_url, purge) >= 1
    assert _run(database_url, count) == 1
