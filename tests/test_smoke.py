"""The server starts on both databases and answers health, auth and a project round trip."""

from __future__ import annotations

import httpx

from tests.support import MakeUser, Server


def test_health(server: Server) -> None:
    r = httpx.get(f"{server.url}/health")
    assert r.status_code == 200
    assert r.json()["database"] == "ok"
    assert r.json()["redis"] == "disabled"


def test_project_round_trip(make_user: MakeUser) -> None:
    alice = make_user()
    r = alice.client.post("/api/projects", json={"name": "Launch"})
    assert r.status_code == 201
    pid = r.json()["id"]
    r = alice.client.post(f"/api/projects/{pid}/tasks", json={"title": "Write docs"})
    assert r.status_code == 201
    detail = alice.client.get(f"/api/projects/{pid}").json()
    assert [t["title"] for t in detail["tasks"]] == ["Write docs"]
    assert detail["task_counts"] == {"todo": 1, "in_progress": 0, "done": 0}
