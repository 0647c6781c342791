"""Export download links (GET /api/exports/{id}/link): a URL that serves one finished file for
ten minutes without a login, what the TUI offers over SSH; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx

from api.domain.exports.links import LINK_AUDIENCE
from api.signing import mint
from tests.support import Server
from tests.test_exports import download, export, make_project


def test_a_link_serves_that_file_alone_without_a_login(server: Server, make_user: Any) -> None:
    owner = make_user()
    first = export(owner, make_project(owner, [{"title": "One"}]), "csv")
    second = export(owner, make_project(owner, [{"title": "Two"}]), "json")
    r = owner.client.get(f"/api/exports/{first['id']}/link")
    assert r.status_code == 200, r.text
    link = r.json()
    expires = dt.datetime.fromisoformat(link["expires_at"]) - dt.datetime.now(dt.UTC)
    assert dt.timedelta(minutes=9) < expires <= dt.timedelta(minutes=10)
    assert link["url"].startswith(f"/api/exports/{first['id']}/file?token=")

    with httpx.Client(base_url=server.url) as anyone:  # no Authorization header
        got = anyone.get(link["url"])
        assert got.status_code == 200
        assert got.content == download(owner, first)
        assert got.headers["content-disposition"].startswith("attachment")

        token = link["url"].partition("token=")[2]
        other = anyone.get(f"/api/exports/{second['id']}/file", params={"token": token})
        assert other.status_code == 401 and "invalid or has expired" in other.json()["detail"]
        tampered = anyone.get(f"/api/exports/{first['id']}/file", params={"token": token[:-2]})
        assert tampered.status_code == 401
        # A user token is no link, and a link's token opens no user route.
        as_link = anyone.get(f"/api/exports/{first['id']}/file", params={"token": owner.token})
        assert as_link.status_code == 401
        as_user = anyone.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert as_user.status_code == 401
        assert anyone.get(f"/api/exports/{first['id']}/file").status_code == 400


def test_a_link_expires_and_follows_the_users_access(server: Server, make_user: Any) -> None:
    owner, member = make_user(), make_user()
    project = make_project(owner, [{"title": "Shared"}])
    r = owner.client.post(
        f"/api/projects/{project}/members", json={"username": member.username, "role": "viewer"}
    )
    assert r.status_code == 201
    job = export(owner, project, "markdown")
    link = member.client.get(f"/api/exports/{job['id']}/link").json()
    secret = server.env["TASKROOM_SECRET_KEY"]
    expired = mint(
        secret,
        subject=job["id"],
        audience=LINK_AUDIENCE,
        ttl=dt.timedelta(seconds=-1),
        extras={"user": member.id},
    )
    with httpx.Client(base_url=server.url) as anyone:
        assert anyone.get(link["url"]).status_code == 200
        r = anyone.get(f"/api/exports/{job['id']}/file", params={"token": expired})
        assert r.status_code == 401
        removed = owner.client.delete(f"/api/projects/{project}/members/{member.id}")
        assert removed.status_code == 204
        assert anyone.get(link["url"]).status_code == 404  # no longer theirs to read
    outsider = make_user()
    assert outsider.client.get(f"/api/exports/{job['id']}/link").status_code == 404
    missing = owner.client.get(f"/api/exports/{uuid.uuid4()}/link")
    assert missing.status_code == 404
