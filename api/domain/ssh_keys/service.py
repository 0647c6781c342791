"""SSH keys: list, add (checked, fingerprinted, 409 when duplicate), delete, find an owner."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from api.db.models import SshKey, User
from api.db.session import UnitOfWork
from api.domain.accounts.service import user_out
from api.domain.errors import Conflict, NotFound
from api.domain.ssh_keys.schemas import parse_public_key, ssh_key_out
from api.wire import SshKey as SshKeyOut
from api.wire import SshKeyCreate, SshKeyOwnerRequest
from api.wire import User as UserOut

MAX_KEYS_PER_USER = 50
DUPLICATE = "This key is already registered"


class SshKeyService:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.session = uow.session

    async def list(self, user_id: uuid.UUID) -> list[SshKeyOut]:
        rows = await self.session.scalars(
            select(SshKey).where(SshKey.user_id == user_id).order_by(SshKey.created_at)
        )
        return [ssh_key_out(row) for row in rows]

    async def add(self, user_id: uuid.UUID, data: SshKeyCreate) -> SshKeyOut:
        parsed = parse_public_key(data.public_key)
        count = await self.session.scalar(
            select(func.count()).select_from(SshKey).where(SshKey.user_id == user_id)
        )
        if (count or 0) >= MAX_KEYS_PER_USER:
            raise Conflict(detail=f"At most {MAX_KEYS_PER_USER} keys per user")
        duplicate = await self.session.scalar(
            select(SshKey.id).where(
                SshKey.user_id == user_id, SshKey.fingerprint == parsed.fingerprint
            )
        )
        if duplicate:
            raise Conflict(detail=DUPLICATE, extra={"fingerprint": parsed.fingerprint})
        row = SshKey(
            user_id=user_id,
            name=((data.name or "").strip() or parsed.comment or parsed.algorithm)[:100],
            algorithm=parsed.algorithm,
            fingerprint=parsed.fingerprint,
            public_key=parsed.public_key,
        )
        self.session.add(row)
        try:
            await self.uow.commit()
        except IntegrityError:  # the same key added twice at once
            raise Conflict(detail=DUPLICATE) from None
        return ssh_key_out(row)

    async def delete(self, user_id: uuid.UUID, key_id: uuid.UUID) -> None:
        row = await self.session.get(SshKey, key_id)
        if row is None or row.user_id != user_id:
            raise NotFound(detail="SSH key not found")
        await self.session.delete(row)
        await self.uow.commit()

    async def owner(self, data: SshKeyOwnerRequest) -> UserOut | None:
        """The user named `username`, if this key is one of theirs."""
        fingerprint = parse_public_key(data.public_key).fingerprint
        user = await self.session.scalar(
            select(User)
            .join(SshKey, SshKey.user_id == User.id)
            .where(User.username == data.username, SshKey.fingerprint == fingerprint)
        )
        return user_out(user) if user else None
