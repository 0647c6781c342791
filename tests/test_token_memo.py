"""Remembered authentications give the same answers as fresh ones: expiry and secret still count.

Through real Taskroom apps (Litestar's test client runs the real middleware stack): a
remembered header is still refused once its token expires, and a token signed with another
secret is never accepted because of what an app remembers.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from pathlib import Path

from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
from api.db import migrate
from api.runtime import Runtime
from api.security import issue_token
from api.settings import Settings


def app_with_secret(data: Path, secret: str) -> Litestar:
    env = {"TASKROOM_DATA_DIR": str(data), "TASKROOM_SECRET_KEY": secret}
    settings = Settings.from_env(env, dotenv=False)
    migrate.upgrade(settings.database_url)
    return create_app(settings)


def test_a_remembered_header_still_expires_and_checks_the_secret(tmp_path: Path) -> None:
    app = app_with_secret(tmp_path / "a", "s" * 48)
    other_app = app_with_secret(tmp_path / "b", "t" * 48)
    with TestClient(app) as client, TestClient(other_app) as other:
        body = {"username": "ann", "password": "password-123"}
        ann = client.post("/api/auth/register", json=body).json()["user"]
        runtime: Runtime = client.app.state.runtime
        token = issue_token(runtime.jwt_auth, uuid.UUID(ann["id"]), "ann", dt.timedelta(seconds=2))
        header = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/me", headers=header).json()["username"] == "ann"
        assert client.get("/api/me", headers=header).json()["username"] == "ann"  # remembered
        assert other.get("/api/me", headers=header).status_code == 401  # another secret
        assert client.get("/api/me", headers={"Authorization": "Bearer x.y.z"}).status_code == 401
        assert client.get("/api/me").status_code == 401
        time.sleep(2.5)
        assert (
            client.get("/api/me", headers=header).status_code == 401
        )  # expired, though remembered
