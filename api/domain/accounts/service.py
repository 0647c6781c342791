"""Accounts: register, log in (rate limited), look up."""

from __future__ import annotations

import uuid

import msgspec
from litestar.security.jwt import JWTAuth, Token
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.db.models import User
from api.db.session import UnitOfWork
from api.domain.errors import Conflict, Invalid, Unauthorized
from api.ratelimit import Limiter, enforce
from api.security import AuthUser, hash_password, issue_token, verify_password
from api.wire import AuthResponse, LoginRequest, Me, MeUpdate, RegisterRequest
from api.wire import User as UserOut

INVALID_LOGIN = "Invalid username or password"


def user_out(user: User) -> UserOut:
    return msgspec.convert(user, UserOut, from_attributes=True)


def me_out(user: User) -> Me:
    return msgspec.convert(user, Me, from_attributes=True)


class AccountService:
    def __init__(
        self,
        uow: UnitOfWork,
        auth: JWTAuth[AuthUser, Token],
        logins: Limiter,
        registrations: Limiter,
    ) -> None:
        self.uow = uow
        self.auth = auth
        self.logins = logins
        self.registrations = registrations

    def _auth_response(self, user: User) -> AuthResponse:
        return AuthResponse(
            user=user_out(user),
            access_token=issue_token(self.auth, user.id, user.username),
            expires_in=int(self.auth.default_token_expiration.total_seconds()),
        )

    async def register(self, data: RegisterRequest, address: str) -> AuthResponse:
        keys = [f"addr:{address}"]
        await enforce(self.registrations, keys, "Too many registrations from this address")
        session = self.uow.session
        if await session.scalar(select(User.id).where(User.username == data.username)):
            raise Conflict(detail="Username is already taken")
        user = User(
            username=data.username,
            display_name=(data.display_name or "").strip() or data.username,
            password_hash=hash_password(data.password),
        )
        session.add(user)
        try:
            await self.uow.commit()
        except IntegrityError:
            raise Conflict(detail="Username is already taken") from None
        await self.registrations.record(keys)
        return self._auth_response(user)

    async def login(self, data: LoginRequest, address: str) -> AuthResponse:
        keys = [f"user:{data.username.lower()}", f"addr:{address}"]
        await enforce(self.logins, keys, "Too many failed logins; try again in a minute")
        user = await self.uow.session.scalar(select(User).where(User.username == data.username))
        if not verify_password(user.password_hash if user else None, data.password) or not user:
            await self.logins.record(keys)
            raise Unauthorized(detail=INVALID_LOGIN)
        return self._auth_response(user)

    async def _user(self, user_id: uuid.UUID) -> User:
        user = await self.uow.session.get(User, user_id)
        if user is None:
            raise Unauthorized(detail="Unknown user")
        return user

    async def get(self, user_id: uuid.UUID) -> Me:
        return me_out(await self._user(user_id))

    async def update(self, user_id: uuid.UUID, data: MeUpdate) -> Me:
        """Fields left out stay; email `null` clears the address (and so any email)."""
        user = await self._user(user_id)
        fields = {f: getattr(data, f) for f in data.__struct_fields__}
        changes = {f: v for f, v in fields.items() if v is not msgspec.UNSET}
        if isinstance(changes.get("display_name"), str):
            changes["display_name"] = changes["display_name"].strip() or user.username
        email = changes.get("email", user.email)
        if changes.get("email_notifications", "off") != "off" and email is None:
            raise Invalid("email_notifications needs an email address")
        for field, value in changes.items():
            setattr(user, field, value)
        if email is None:
            user.email_notifications = "off"
        await self.uow.commit()
        return me_out(user)
