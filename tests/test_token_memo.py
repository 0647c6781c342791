"""Remembered authentications give the same answers as fresh ones: expiry and secret still count.

Through real `taskroom serve`-shaped apps (Litestar's test client runs the real middleware
stack): a remembered header is still refused once its token expires, and a token signed with
another secret is never accepted because of what an app remembers.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid

from litestar import Litestar, Request, get
from litestar.datastructures import State
from litestar.security.jwt import JWTAuth, Token
from litestar.testing import TestClient

from api.security import AuthUser, issue_token, make_jwt_auth


def app_with_secret(secret: str) -> tuple[Litestar, JWTAuth[AuthUser, Token]]:
    auth = make_jwt_auth(secret, 3600)

    @get("/who", sync_to_thread=False)
    def who(request: Request[AuthUser, Token, State]) -> str:
        return request.user.username

    return Litestar([who], on_app_init=[auth.on_app_init]), auth


def test_a_remembered_header_still_expires_and_checks_the_secret() -> None:
    app, auth = app_with_secret("s" * 48)
    other_app, _ = app_with_secret("t" * 48)
    token = issue_token(auth, uuid.uuid4(), "ann", ttl=dt.timedelta(seconds=2))
    header = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client, TestClient(other_app) as other:
        assert client.get("/who", headers=header).text == "ann"
        assert client.get("/who", headers=header).text == "ann"  # remembered
        assert other.get("/who", headers=header).status_code == 401  # another secret
        assert client.get("/who", headers={"Authorization": "Bearer x.y.z"}).status_code == 401
        assert client.get("/who").status_code == 401
        time.sleep(2.5)
        assert client.get("/who", headers=header).status_code == 401  # expired, though remembered
