"""Notification email: the SMTP settings, the messages, one send (aiosmtplib)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib

from api.wire import Notification

SEND_TIMEOUT = 15.0
UNSUBSCRIBE = (
    "You get this because your Taskroom email setting is {setting}. To stop these emails, "
    'set it to off: PATCH /api/me {{"email_notifications": "off"}} (taskroom, or any client).'
)


class Refused(Exception):
    """The server refused the message for good (a recipient it does not take): no retry."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    tls: bool  # smtps: TLS from the first byte; smtp: STARTTLS when the server offers it
    username: str | None
    password: str | None
    mail_from: str

    @classmethod
    def parse(cls, url: str, mail_from: str) -> SmtpConfig:
        """`smtp://host:port` or `smtps://user:pass@host:port` (contract §8)."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("TASKROOM_SMTP_URL must be smtp://host:port or smtps://…")
        tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if tls else 25),
            tls=tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            mail_from=mail_from,
        )


def _line(n: Notification) -> str:
    who = n.actor.username if n.actor else "Taskroom"
    task = f"“{n.task.title}”" if n.task else "a deleted task"
    what = {
        "assigned": f"{who} assigned you {task}",
        "mentioned": f"{who} mentioned you on {task}",
        "commented": f"{who} commented on {task}",
        "due_soon": f"{task} is due tomorrow",
    }[n.kind]
    return f"{what} in {n.project.name}"


def _message(
    config: SmtpConfig, to: str, subject: str, lines: list[str], setting: str
) -> EmailMessage:
    """Plain text plus a simple HTML part; every server string escaped in the HTML."""
    footer = UNSUBSCRIBE.format(setting=setting)
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = config.mail_from, to, subject
    msg.set_content("\n".join(f"- {line}" for line in lines) + f"\n\n-- \n{footer}\n")
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    msg.add_alternative(
        f"<html><body><ul>{items}</ul><hr><p><small>{html.escape(footer)}</small></p>"
        "</body></html>",
        subtype="html",
    )
    return msg


def notification_email(config: SmtpConfig, to: str, n: Notification) -> EmailMessage:
    line = _line(n)
    return _message(config, to, f"[Taskroom] {line}", [line], "instant")


def digest_email(config: SmtpConfig, to: str, items: list[Notification]) -> EmailMessage:
    subject = f"[Taskroom] {len(items)} unread notification{'s' * (len(items) != 1)} today"
    return _message(config, to, subject, [_line(n) for n in items], "daily")


async def send(config: SmtpConfig, message: EmailMessage) -> None:
    """One SMTP conversation; `Refused` for a permanent refusal, other errors are transient."""
    try:
        await aiosmtplib.send(
            message,
            hostname=config.host,
            port=config.port,
            username=config.username,
            password=config.password,
            use_tls=config.tls,
            timeout=SEND_TIMEOUT,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        raise Refused(str(exc)) from exc
    except aiosmtplib.SMTPResponseException as exc:
        if 500 <= exc.code < 600:
            raise Refused(str(exc)) from exc
        raise
