"""Personal access tokens: list, create (the secret shown once), revoke."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec
from sqlalchemy import func, select

from api.db.models import ApiToken, utcnow
from api.db.session import UnitOfWork
from api.domain.errors import Conflict, NotFound
from api.domain.tokens.secrets import hash_token, new_token
from api.wire import ApiToken as ApiTokenOut
from api.wire import ApiTokenCreate, ApiTokenCreated

MAX_TOKENS_PER_USER = 100


def token_out(row: ApiToken) -> ApiTokenOut:
    return msgspec.convert(row, ApiTokenOut, from_attributes=True)


class TokenService:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.session = uow.session

    async def list(self, user_id: uuid.UUID) -> list[ApiTokenOut]:
        rows = await self.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at)
        )
        return [token_out(row) for row in rows]

    async def create(self, user_id: uuid.UUID, data: ApiTokenCreate) -> ApiTokenCreated:
        count = await self.session.scalar(
            select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user_id)
        )
        if (count or 0) >= MAX_TOKENS_PER_USER:
            raise Conflict(f"At most {MAX_TOKENS_PER_USER} tokens per user")
        secret = new_token()
        now = utcnow()
        row = ApiToken(
            user_id=user_id,
            name=data.name.strip() or data.name,
            scope=data.scope,
            token_hash=hash_token(secret),
            created_at=now,
            expires_at=(
                now + dt.timedelta(days=data.expires_in_days) if data.expires_in_days else None
            ),
        )
        self.session.add(row)
        await self.uow.commit()
        out = token_out(row)
        return ApiTokenCreated(**msgspec.structs.asdict(out), token=secret)

    async def delete(self, user_id: uuid.UUID, token_id: uuid.UUID) -> None:
        row = await self.session.get(ApiToken, token_id)
        if row is None or row.user_id != user_id:
            raise NotFound("Token not found")
        await self.session.delete(row)
        await self.uow.commit()
