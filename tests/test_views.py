"""Saved views (contract §9): each user's own, global or one project's, the query verbatim."""

from __future__ import annotations

import uuid

import pytest

from tests.support import MakeUser


def test_view_lifecycle(make_user: MakeUser) -> None:
    me, other = make_user(), make_user()
    pid = me.client.post("/api/projects", json={"name": "P"}).json()["id"]
    query = 'login status:todo @alice label:bug due:<2026-12-31 overdue assignee:none "x" %'
    r = me.client.post("/api/me/views", json={"name": "Mine", "project_id": pid, "query": query})
    assert r.status_code == 201, r.text
    view = r.json()
    assert view["name"] == "Mine" and view["project_id"] == pid and view["query"] == query
    glob = me.client.post("/api/me/views", json={"name": "All bugs", "query": "label:bug"}).json()
    assert glob["project_id"] is None
    assert [v["id"] for v in me.client.get("/api/me/views").json()] == [view["id"], glob["id"]]
    assert other.client.get("/api/me/views").json() == []
    assert other.client.delete(f"/api/me/views/{view['id']}").status_code == 404
    assert me.client.delete(f"/api/me/views/{view['id']}").status_code == 204
    assert me.client.delete(f"/api/me/views/{view['id']}").status_code == 404
    assert [v["id"] for v in me.client.get("/api/me/views").json()] == [glob["id"]]


def test_views_of_a_project_go_with_membership(make_user: MakeUser) -> None:
    owner, member = make_user(), make_user()
    pid = owner.client.post("/api/projects", json={"name": "Shared"}).json()["id"]
    owner.client.post(
        f"/api/projects/{pid}/members", json={"username": member.username, "role": "viewer"}
    )
    r = member.client.post("/api/me/views", json={"name": "v", "project_id": pid, "query": "x"})
    assert r.status_code == 201
    assert owner.client.delete(f"/api/projects/{pid}/members/{member.id}").status_code == 204
    assert member.client.get("/api/me/views").json() == []
    r = member.client.post("/api/me/views", json={"name": "v", "project_id": pid, "query": "x"})
    assert r.status_code == 404  # not a member: the same answer as no such project


@pytest.mark.parametrize(
    "body",
    [
        {"name": "", "query": "x"},
        {"name": "n" * 65, "query": "x"},
        {"name": "bell\x07", "query": "x"},
        {"name": "c1\x85", "query": "x"},
        {"name": "ok", "query": "line\nbreak"},
        {"name": "ok", "query": "sep\u2028"},
        {"name": "ok", "query": "q" * 1001},
        {"name": "ok"},
        {"query": "x"},
        {"name": "ok", "query": "x", "extra": 1},
        {"name": "ok", "query": "x", "project_id": "not-a-uuid"},
        {"name": 5, "query": "x"},
    ],
)
def test_bad_views_are_400(make_user: MakeUser, body: dict[str, object]) -> None:
    me = make_user()
    r = me.client.post("/api/me/views", json=body)
    assert r.status_code == 400, r.text
    assert r.json()["status_code"] == 400 and me.client.get("/api/me/views").json() == []


def test_unknown_project_is_404(make_user: MakeUser) -> None:
    me = make_user()
    body = {"name": "n", "project_id": str(uuid.uuid4()), "query": "x"}
    r = me.client.post("/api/me/views", json=body)
    assert r.status_code == 404 and r.json()["detail"] == "Project not found"
    ok = me.client.post("/api/me/views", json={"name": "n" * 64, "query": ""})
    assert ok.status_code == 201, ok.text
