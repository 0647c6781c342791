"""Notification email through a real SMTP server (aiosmtpd, its own process, loopback).

Without Redis the API process sends it in the background: delivered, refused by the
server (no retry, nothing else held up), and a server that is down when the write
happens and comes up during the retries (2 s, then 4 s).
"""

from __future__ import annotations

import email
import email.policy
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.support import (
    ROOT,
    ApiUser,
    Server,
    free_port,
    register,
    server_env,
    stop_process,
    wait_until,
)
from tests.test_comments import project_with_task

REFUSED = "nobody@refused.example"


@dataclass
class SmtpSink:
    """`tests/smtp_sink.py` in its own process; the messages it accepted, parsed."""

    out: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpSink:
        self.out.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.smtp_sink", str(self.port), str(self.out), REFUSED],
            cwd=ROOT,
        )
        wait_until(lambda: (self.out / "ready").exists(), what="the SMTP server")
        return self

    def stop(self) -> None:
        stop_process(self.proc)

    def messages(self) -> list[EmailMessage]:
        out = []
        for path in sorted(self.out.glob("*.eml")):
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(msg, EmailMessage)
            out.append(msg)
        return out


def mail_server(tmp: Path, smtp_url: str) -> Server:
    env = server_env(
        tmp, None, TASKROOM_SMTP_URL=smtp_url, TASKROOM_MAIL_FROM="Taskroom <tasks@example.org>"
    )
    return Server(env).start()


@pytest.fixture(scope="module")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpSink]:
    sink = SmtpSink(tmp_path_factory.mktemp("smtp")).start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def api(smtp: SmtpSink, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = mail_server(tmp_path_factory.mktemp("mail-api"), smtp.url)
    yield srv
    srv.stop()


def wants_mail(server: Server, address: str, setting: str = "instant") -> ApiUser:
    user = register(server.url)
    r = user.client.patch("/api/me", json={"email": address, "email_notifications": setting})
    assert r.status_code == 200, r.text
    return user


def to(sink: SmtpSink, address: str) -> list[EmailMessage]:
    return [m for m in sink.messages() if m["To"] == address]


def test_an_instant_notification_is_one_email(api: Server, smtp: SmtpSink) -> None:
    owner = register(api.url)
    alice = wants_mail(api, "alice@mail.example")
    quiet = wants_mail(api, "quiet@mail.example", "daily")
    pid, task = project_with_task(owner, editor=alice, editor2=quiet)
    r = owner.client.patch(f"/api/tasks/{task}", json={"assignee_id": alice.id})
    assert r.status_code == 200
    owner.client.post(f"/api/projects/{pid}/tasks", json={"title": "Q", "assignee_id": quiet.id})
    [msg] = wait_until(lambda: to(smtp, "alice@mail.example"), what="alice's email")
    assert msg["From"] == "Taskroom <tasks@example.org>"
    assert msg["Subject"] == f"[Taskroom] {owner.username} assigned you “T” in Talk"
    plain = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert plain is not None and html is not None
    text = plain.get_content()
    assert f"{owner.username} assigned you “T” in Talk" in text
    assert '"email_notifications": "off"' in text  # how to stop them
    assert "<li>" in html.get_content()
    # A mention in a comment: one more mail, and never a second copy of the first.
    owner.client.post(f"/api/tasks/{task}/comments", json={"body": f"@{alice.username} look"})
    wait_until(lambda: len(to(smtp, "alice@mail.example")) == 2, what="the mention's email")
    assert to(smtp, "quiet@mail.example") == []  # "daily" waits for the digest


def test_a_refused_recipient_fails_alone(api: Server, smtp: SmtpSink) -> None:
    owner = register(api.url)
    refused, bob = wants_mail(api, REFUSED), wants_mail(api, "bob@mail.example")
    pid, _task = project_with_task(owner, editor=refused, editor2=bob)
    r = owner.client.post(
        f"/api/projects/{pid}/tasks", json={"title": "R", "assignee_id": refused.id}
    )
    assert r.status_code == 201  # the write never waits for or fails with the mail
    owner.client.post(f"/api/projects/{pid}/tasks", json={"title": "B", "assignee_id": bob.id})
    wait_until(lambda: to(smtp, "bob@mail.example"), what="bob's email")
    assert to(smtp, REFUSED) == []
    assert [n["kind"] for n in refused.client.get("/api/me/notifications").json()["items"]] == [
        "assigned"
    ]


def test_a_server_down_at_write_time_gets_the_mail_on_a_retry(tmp_path: Path) -> None:
    sink = SmtpSink(tmp_path / "late")  # its port: nothing listens there yet
    srv = mail_server(tmp_path / "api", sink.url)
    try:
        owner = register(srv.url)
        carol = wants_mail(srv, "carol@mail.example")
        _pid, task = project_with_task(owner, editor=carol)
        r = owner.client.patch(f"/api/tasks/{task}", json={"assignee_id": carol.id})
        assert r.status_code == 200
        sink.start()  # within the 2 s + 4 s of retries
        [msg] = wait_until(lambda: to(sink, "carol@mail.example"), what="carol's mail")
        assert "assigned you" in str(msg["Subject"])
    finally:
        srv.stop()
        sink.stop()


def test_smtp_down_for_good_changes_nothing_for_the_writer(tmp_path: Path) -> None:
    srv = mail_server(tmp_path, f"smtp://127.0.0.1:{free_port()}")
    try:
        owner = register(srv.url)
        dave = wants_mail(srv, "dave@mail.example")
        pid, _task = project_with_task(owner, editor=dave)
        for i in range(5):
            r = owner.client.post(
                f"/api/projects/{pid}/tasks", json={"title": f"{i}", "assignee_id": dave.id}
            )
            assert r.status_code == 201
        assert dave.client.get("/api/me/notifications").json()["unread"] == 5
    finally:
        srv.stop()


async def test_the_daily_digest_is_sent_once_a_day_with_the_unread_ones(
    api: Server, smtp: SmtpSink
) -> None:
    """The worker's cron calls `send_digests`; here it is called on the API's own database, as
    two workers might at the same moment: one digest, listing what is unread since yesterday."""
    import asyncio
    import datetime as dt

    from api.db.session import make_engine, make_sessionmaker
    from api.domain.notifications.email import SmtpConfig
    from api.domain.notifications.mailer import Mailer

    owner = register(api.url)
    daily = wants_mail(api, "daily@mail.example", "daily")
    _pid, task = project_with_task(owner, editor=daily)
    owner.client.patch(f"/api/tasks/{task}", json={"assignee_id": daily.id}).raise_for_status()
    owner.client.post(f"/api/tasks/{task}/comments", json={"body": f"@{daily.username} hi"})
    wait_until(
        lambda: daily.client.get("/api/me/notifications").json()["unread"] == 2,
        what="two notifications",
    )
    assert to(smtp, "daily@mail.example") == []  # nothing instant for "daily"
    engine = make_engine(api.env["TASKROOM_DATABASE_URL"])
    mailer = Mailer(make_sessionmaker(engine), SmtpConfig.parse(smtp.url, "Taskroom <t@x.org>"))
    today_9am = dt.datetime.now(dt.UTC).replace(hour=9, minute=0)
    try:
        # Two workers racing (other tests' "daily" users may get theirs too): each user's day
        # is claimed once, so a third run finds nothing left to send.
        await asyncio.gather(mailer.send_digests(today_9am), mailer.send_digests(today_9am))
        assert await mailer.send_digests(today_9am) == 0
    finally:
        await engine.dispose()
    [digest] = wait_until(lambda: to(smtp, "daily@mail.example"), what="the digest")
    await asyncio.sleep(1)  # a second copy would have arrived by now
    assert len(to(smtp, "daily@mail.example")) == 1
    assert digest["Subject"] == "[Taskroom] 2 unread notifications today"
    plain = digest.get_body(("plain",))
    assert plain is not None
    text = plain.get_content()
    assert f"{owner.username} assigned you" in text and "mentioned you" in text
