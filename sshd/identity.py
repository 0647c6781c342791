"""Who an SSH client is, decided by the API, and the short-lived token its session runs with.

Passwords go through `POST /api/auth/login`, so the API's rate limits see every failure.
A public key is first proven by asyncssh (the client signed with the private key), then the
API's gateway-only `POST /api/auth/ssh-key` says whether that key is registered to the user.
Only then does the gateway mint the session's token with the shared secret: the API decided
the identity, and the username the client typed is never trusted on its own.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from dataclasses import dataclass

import asyncssh
import httpx
import msgspec

from api.signing import gateway_token, user_token
from api.wire import AuthResponse, User

logger = logging.getLogger("taskroom.ssh")

API_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


@dataclass(frozen=True)
class Identity:
    user_id: uuid.UUID
    username: str
    token: str
    expires_at: float  # time.time() when the token, and so the session, ends


class LoginThrottled(Exception):
    """The API's login rate limit holds for this username or address."""


class ApiUnavailable(Exception):
    """The API could not be asked (down, or answering with a server error)."""


class Authenticator:
    def __init__(self, server_url: str, secret_key: str, token_ttl: float) -> None:
        self._secret = secret_key
        self._ttl = token_ttl
        self._http = httpx.AsyncClient(base_url=server_url.rstrip("/"), timeout=API_TIMEOUT)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def check(self) -> None:
        """Log a warning at start when the API does not answer (it may come up later)."""
        try:
            (await self._http.get("/health", timeout=3)).raise_for_status()
        except httpx.HTTPError as exc:
            logger.warning("the API at %s does not answer yet: %s", self._http.base_url, exc)

    def _session_identity(self, user: User) -> Identity:
        token = user_token(self._secret, user.id, user.username, dt.timedelta(seconds=self._ttl))
        return Identity(user.id, user.username, token, time.time() + self._ttl)

    async def _post(
        self, path: str, body: dict[str, str], headers: dict[str, str]
    ) -> httpx.Response:
        try:
            r = await self._http.post(path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            logger.error("cannot reach the API at %s: %s", self._http.base_url, exc)
            raise ApiUnavailable from exc
        if r.status_code >= 500:
            logger.error("the API answered %s to %s", r.status_code, path)
            raise ApiUnavailable
        return r

    async def password(self, username: str, password: str, peer: str) -> Identity | None:
        """None for a wrong password or an unknown user; raises LoginThrottled on 429."""
        r = await self._post(
            "/api/auth/login",
            {"username": username, "password": password},
            # The API limits failures per address too: tell it whose they are.
            {"X-Forwarded-For": peer},
        )
        if r.status_code == 429:
            raise LoginThrottled
        if r.status_code != 200:
            return None
        return self._session_identity(msgspec.json.decode(r.content, type=AuthResponse).user)

    async def public_key(self, username: str, key: asyncssh.SSHKey) -> Identity | None:
        r = await self._post(
            "/api/auth/ssh-key",
            {"username": username, "public_key": key.export_public_key().decode()},
            {"Authorization": f"Bearer {gateway_token(self._secret)}"},
        )
        if r.status_code != 200:
            return None
        return self._session_identity(msgspec.json.decode(r.content, type=User))
