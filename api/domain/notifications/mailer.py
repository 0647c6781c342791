"""Sending notification email at most once, and the daily digest.

At most once per notification: the send is recorded *before* the SMTP conversation. A job
first claims its notification (`email`: pending → sending, one UPDATE committed on its own),
and only the claimant talks to the server; a second job, a retry racing a sweep, or a
worker retaking a lost job finds nothing to claim. A worker killed mid-send leaves the
row at `sending`: that mail may be lost, but it is never sent twice (a duplicate would
need the server's reply to have been recorded, which a kill can always beat). A
transient failure hands the claim back (`pending`) for the next attempt; a refusal, or
the last attempt, ends at `failed`.

The digest claims `(user, day)` in `email_digests` the same way: one per user a day,
whichever worker (or API process) gets there first.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import EmailDigest, Notification, User
from api.domain.notifications.email import (
    Refused,
    SmtpConfig,
    digest_email,
    notification_email,
    send,
)
from api.domain.notifications.schemas import insert_or_skip, listed, load, notification_out

logger = logging.getLogger(__name__)

DIGEST_HOUR = 8  # UTC (contract §8)
DIGEST_LIMIT = 200  # notifications listed in one digest


class Mailer:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], config: SmtpConfig) -> None:
        self.sessionmaker = sessionmaker
        self.config = config

    async def _set(self, notification_id: uuid.UUID, old: str, new: str) -> bool:
        async with self.sessionmaker() as session:
            result = await session.execute(
                update(Notification)
                .where(Notification.id == notification_id, Notification.email == old)
                .values(email=new)
                .execution_options(synchronize_session=False)
            )
            await session.commit()
        return bool(getattr(result, "rowcount", 0))

    async def send_notification(self, notification_id: uuid.UUID, *, last: bool) -> None:
        """One attempt; raises (after handing the claim back) when a retry may succeed."""
        if not await self._set(notification_id, "pending", "sending"):
            return  # sent, being sent, given up, or never wanted
        async with self.sessionmaker() as session:
            loaded = await load(session, [notification_id])
            user = await session.get(User, loaded[0][0].user_id) if loaded else None
        if not loaded or user is None or not user.email or user.email_notifications != "instant":
            await self._set(notification_id, "sending", "failed")  # gone, or changed their mind
            return
        message = notification_email(self.config, user.email, loaded[0][1])
        try:
            await send(self.config, message)
        except Refused as exc:
            logger.warning("email for notification %s refused: %s", notification_id, exc)
            await self._set(notification_id, "sending", "failed")
            return
        except Exception:
            await self._set(notification_id, "sending", "failed" if last else "pending")
            raise
        await self._set(notification_id, "sending", "sent")

    async def send_digests(self, now: dt.datetime) -> int:
        """Today's digest to every "daily" user past 08:00 UTC not yet sent; returns how many."""
        day = now.date()
        if now.hour < DIGEST_HOUR:
            day -= dt.timedelta(days=1)
        since = dt.datetime.combine(day, dt.time(DIGEST_HOUR), dt.UTC) - dt.timedelta(days=1)
        async with self.sessionmaker() as session:
            users = list(
                await session.execute(
                    select(User.id, User.email).where(
                        User.email_notifications == "daily", User.email.is_not(None)
                    )
                )
            )
        sent = 0
        for user_id, address in users:
            assert address is not None
            async with self.sessionmaker() as session:
                if not await _claim_digest(session, user_id, day):
                    continue
                rows = await session.execute(
                    listed()
                    .where(
                        and_(
                            Notification.user_id == user_id,
                            Notification.read_at.is_(None),
                            Notification.at >= since,
                        )
                    )
                    .order_by(Notification.at.desc(), Notification.id.desc())
                    .limit(DIGEST_LIMIT)
                )
                items = [notification_out(row) for row in rows]
                await session.commit()
            if not items:
                continue
            try:
                await send(self.config, digest_email(self.config, address, items))
                sent += 1
            except Exception as exc:  # the claim stands: at most one digest a day
                logger.warning("digest for %s not sent: %s", user_id, exc)
        return sent


async def _claim_digest(session: AsyncSession, user_id: uuid.UUID, day: dt.date) -> bool:
    result = await session.execute(
        insert_or_skip(session, EmailDigest)
        .values(user_id=user_id, day=day)
        .on_conflict_do_nothing()
        .returning(EmailDigest.user_id)
    )
    return result.first() is not None
