"""How notification work runs: SAQ jobs on the worker with Redis, tasks of the API without.

With Redis, each instant email is a job on the worker's queue (3 attempts, 2 s then 4 s
apart, as exports), and the worker's cron runs the due-soon scan and the daily digest.
Without Redis, the API process does the same in the background: the write that caused a
notification never waits for SMTP and never fails because of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import uuid
from typing import Any

from saq import Queue
from saq.queue.redis import RedisQueue

from api.background import Background
from api.db.models import utcnow
from api.domain.exports.queue import ATTEMPTS, QUEUE_NAME, RETRY_DELAY, retry_delay
from api.domain.notifications.delivery import Delivery
from api.domain.notifications.due import scan_due_soon
from api.domain.notifications.email import SmtpConfig
from api.domain.notifications.mailer import Mailer
from api.domain.notifications.recorder import notifications_hook
from api.rooms.hub import Hub
from api.runtime import Core
from api.settings import Settings

logger = logging.getLogger(__name__)

SEND_JOB = "send_email"
SEND_TIMEOUT = 120
SCAN_EVERY = 600  # seconds between due-soon scans (failpoint `notifications.scan_seconds`)
SCAN_FAILPOINT = "notifications.scan_seconds"


def mailer_for(settings: Settings, runtime_sessionmaker: Any) -> Mailer | None:
    if not (settings.smtp_url and settings.mail_from):
        return None
    return Mailer(runtime_sessionmaker, SmtpConfig.parse(settings.smtp_url, settings.mail_from))


def scan_every(settings: Settings) -> int:
    return settings.failpoints.get(SCAN_FAILPOINT) or SCAN_EVERY


class QueueMail:
    """Each email a job for `taskroom worker`, keyed by its notification (queued once)."""

    def __init__(self, queue: Queue) -> None:
        self.queue = queue

    async def launch(self, notification_id: uuid.UUID) -> None:
        try:
            await self.queue.enqueue(
                SEND_JOB,
                key=f"email:{notification_id}",
                notification_id=str(notification_id),
                retries=ATTEMPTS,
                retry_delay=retry_delay(1),
                timeout=SEND_TIMEOUT,
            )
        except Exception:  # Redis away: the write stands, this email is not sent
            logger.warning("could not queue the email of %s", notification_id, exc_info=True)

    async def aclose(self) -> None:
        """The queue borrows a client its owner closes."""


class InProcessMail(Background):
    """No Redis: the email is sent by a task of the API process, with the same retries."""

    def __init__(self, mailer: Mailer) -> None:
        super().__init__()
        self.mailer = mailer

    async def _send(self, notification_id: uuid.UUID) -> None:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                await self.mailer.send_notification(notification_id, last=attempt == ATTEMPTS)
                return
            except Exception as exc:
                logger.warning("email of %s, attempt %d: %s", notification_id, attempt, exc)
                if attempt < ATTEMPTS:
                    await asyncio.sleep(RETRY_DELAY * 2 ** (attempt - 1))

    async def launch(self, notification_id: uuid.UUID) -> None:
        self.spawn(self._send(notification_id), f"email:{notification_id}")


async def scheduled(
    delivery: Delivery, mailer: Mailer | None, email_on: bool, now: dt.datetime
) -> None:
    """One round of the scheduled work: due-soon notifications, then the digest if due."""
    ids = await scan_due_soon(delivery.sessionmaker, now.date(), email_on)
    await delivery.deliver(ids)
    if mailer is not None:
        await mailer.send_digests(now)


async def _every(seconds: int, delivery: Delivery, mailer: Mailer | None, email_on: bool) -> None:
    while True:
        with contextlib.suppress(Exception):
            await scheduled(delivery, mailer, email_on, utcnow())
        await asyncio.sleep(seconds)


async def install(core: Core, hub: Hub) -> Delivery:
    """Notifications from every transaction; their delivery (through `hub`) after each commit."""
    settings = core.settings
    mailer = mailer_for(settings, core.sessionmaker)
    mail: QueueMail | InProcessMail | None = None
    if mailer is not None:
        if core.redis is not None:
            mail = QueueMail(RedisQueue(core.redis, name=QUEUE_NAME))
        else:
            mail = InProcessMail(mailer)
        core.closers.append(mail.aclose)
    delivery = Delivery(core.sessionmaker, hub.broker.publish_to_user, mail)
    core.dispatcher.register_pre_commit(notifications_hook(settings.email_on))
    core.dispatcher.register(delivery.on_events)
    if core.redis is None:  # the worker's cron, in this process
        loop = Background()
        loop.spawn(_every(scan_every(settings), delivery, mailer, settings.email_on), "due-soon")
        core.closers.append(loop.aclose)
    return delivery
