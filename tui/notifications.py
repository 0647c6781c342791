"""A notification (contract §8) in words: the inbox's rows and the toast of a live one say
it the same way. The text is already safe: it was cleaned when it was decoded (tui.text)."""

from __future__ import annotations

import datetime as dt

from api import wire

VERBS: dict[wire.NotificationKind, str] = {
    "assigned": "assigned you",
    "mentioned": "mentioned you",
    "commented": "commented",
    "due_soon": "due tomorrow",
}


def who(notification: wire.Notification) -> str:
    """What happened, and by whom: "@alice mentioned you", "due tomorrow"."""
    verb, actor = VERBS[notification.kind], notification.actor
    if actor is None or notification.kind == "due_soon":
        return verb
    return f"@{actor.username} {verb}"


def subject(notification: wire.Notification) -> str:
    return notification.task.title if notification.task else "(a deleted task)"


def describe(notification: wire.Notification) -> str:
    """One line: "@alice mentioned you: Write the README (Launch)"."""
    return f"{who(notification)}: {subject(notification)} ({notification.project.name})"


def when(at: dt.datetime, now: dt.datetime) -> str:
    """Short and relative while recent ("now", "5m", "3h"), the date after a day."""
    seconds = (now - at).total_seconds()
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    return at.strftime("%Y-%m-%d")
