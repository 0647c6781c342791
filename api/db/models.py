"""SQLAlchemy models: users, projects, memberships, tasks, labels, checklists, comments,
export and import jobs, idempotency keys."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, get_args

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    Uuid,
    func,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from api.wire import (
    EmailNotifications,
    ExportFormat,
    ExportStatus,
    LabelColor,
    NotificationKind,
    Role,
    TaskPriority,
    TaskStatus,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp that is always timezone-aware UTC, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def one_of(column: str, choices: Any) -> CheckConstraint:
    """The CHECK that keeps `column` to the values of the `Literal` its attribute is typed with,
    so the wire's literals are the one list of them (`wire.py`)."""
    values = ", ".join(f"'{value}'" for value in get_args(choices))
    return CheckConstraint(f"{column} in ({values})", name=column)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    # "off" | "instant" | "daily" (contract §8)
    email_notifications: Mapped[EmailNotifications] = mapped_column(
        String(8), default="off", server_default="off"
    )


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The number of the project's last committed room event (api/rooms/sequence.py).
    event_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="project", cascade="all, delete-orphan", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": version}


class Membership(Base):
    __tablename__ = "memberships"

    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    project: Mapped[Project] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (
        one_of("role", Role),
        Index("ix_memberships_user_id", "user_id"),
    )


class Task(Base):
    __tablename__ = "tasks"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[TaskStatus] = mapped_column(String(16), default="todo")
    priority: Mapped[TaskPriority] = mapped_column(String(16), default="medium")
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    due_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    position: Mapped[float] = mapped_column(Float, default=0.0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Kept by the comments service with one atomic UPDATE (no version bump: a comment is
    # not an edit of the task), so every task read, cached project bodies too, has it for free.
    comment_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    updated_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    # The import that created the task: its `task:created` events are read back by this
    # after the import's commit. No foreign key: adding one would rebuild the table on SQLite.
    import_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    # Loaded with every task (one SELECT … IN per batch of tasks, never one per task), so each
    # task read, the cached project body and search hits included, carries them. Written with
    # Core statements by the services; the database's cascades remove them with the task.
    label_links: Mapped[list[TaskLabel]] = relationship(
        lazy="selectin", order_by="TaskLabel.label_id", viewonly=True
    )
    checklist: Mapped[list[ChecklistItem]] = relationship(
        lazy="selectin",
        order_by="[ChecklistItem.position, ChecklistItem.id]",
        viewonly=True,
    )

    @property
    def labels(self) -> list[uuid.UUID]:
        return [link.label_id for link in self.label_links]

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        one_of("status", TaskStatus),
        one_of("priority", TaskPriority),
        Index("ix_tasks_project_status_position", "project_id", "status", "position"),
        Index("ix_tasks_project_updated_at", "project_id", "updated_at"),
        Index("ix_tasks_import_id", "import_id"),
        Index("ix_tasks_due_date", "due_date"),  # the due-soon scan, across projects
    )


class Label(Base):
    """A project's label (contract §9). `name_key` is the name casefolded in Python: its unique
    index makes names unique per project ignoring case the same way on both backends (SQLite's
    `lower()` folds ASCII only, PostgreSQL's follows the locale)."""

    __tablename__ = "labels"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(32))
    name_key: Mapped[str] = mapped_column(String(128))
    color: Mapped[LabelColor] = mapped_column(String(8))

    __table_args__ = (
        one_of("color", LabelColor),
        Index("uq_labels_project_name_key", "project_id", "name_key", unique=True),
    )


class TaskLabel(Base):
    """A label on a task; goes with either."""

    __tablename__ = "task_labels"

    task_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    label_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("labels.id", ondelete="CASCADE"), primary_key=True
    )

    # The label filter and a label's deletion find its tasks without a scan.
    __table_args__ = (Index("ix_task_labels_label_id", "label_id"),)


class ChecklistItem(Base):
    """One item of a task's checklist (contract §9): a row each, so two people ticking two
    items at once write two rows and both stick."""

    __tablename__ = "checklist_items"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(500))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[float] = mapped_column(Float, default=0.0)

    __table_args__ = (Index("ix_checklist_items_task_position", "task_id", "position"),)


class Comment(Base):
    """A member's remark on a task (contract §8); goes with its task."""

    __tablename__ = "comments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    author_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship(lazy="joined")

    @property
    def edited(self) -> bool:
        return self.updated_at != self.created_at

    __table_args__ = (Index("ix_comments_task_created", "task_id", "created_at"),)


class ActivityEntry(Base):
    """One committed domain event of a project, written in the same transaction (contract §8).

    `task_id` is no foreign key and the actor's name is copied: the history outlives a
    deleted task or account.
    """

    __tablename__ = "activity_entries"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    task_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    actor_username: Mapped[str | None] = mapped_column(String(32), nullable=True)
    event: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (
        Index("ix_activity_project_at", "project_id", "at", "id"),
        Index("ix_activity_task_at", "task_id", "at", "id"),
    )


class Notification(Base):
    """Something that needs one user (contract §8), written in the transaction that caused it.

    `dedupe` makes "once" a unique constraint rather than a lock: a mention per comment, a
    due-soon per task and due date, whichever writer or worker gets there first.
    `email` is the state of its email: null (none wanted), pending, sending, sent, failed.
    """

    __tablename__ = "notifications"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    task_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tasks.id", ondelete="SET NULL"), nullable=True
    )
    kind: Mapped[NotificationKind] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    actor_username: Mapped[str | None] = mapped_column(String(32), nullable=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    dedupe: Mapped[str | None] = mapped_column(String(120), nullable=True)
    email: Mapped[str | None] = mapped_column(String(8), nullable=True)

    __table_args__ = (
        one_of("kind", NotificationKind),
        # The inbox, newest first, paged by (at, id).
        Index("ix_notifications_user_at", "user_id", "at", "id"),
        # The unread count reads only unread rows.
        Index(
            "ix_notifications_unread",
            "user_id",
            "project_id",
            postgresql_where=text("read_at IS NULL"),
            sqlite_where=text("read_at IS NULL"),
        ),
        # A deleted task or project finds its notifications without a scan.
        Index("ix_notifications_task_id", "task_id"),
        Index("ix_notifications_project_user", "project_id", "user_id"),
        Index("uq_notifications_dedupe", "dedupe", unique=True),
    )


class EmailDigest(Base):
    """One row per user and day whose digest is taken: the daily email goes out at most once."""

    __tablename__ = "email_digests"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExportJob(Base):
    __tablename__ = "export_jobs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    requested_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    format: Mapped[ExportFormat] = mapped_column(String(16))
    status: Mapped[ExportStatus] = mapped_column(String(16), default="PENDING")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    size_bytes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    file_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    webhook_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def download_url(self) -> str | None:
        """Where the whole file is fetched, once there is one (contract §3)."""
        return f"/api/exports/{self.id}/download" if self.status == "COMPLETED" else None

    __table_args__ = (
        one_of("format", ExportFormat),
        one_of("status", ExportStatus),
        Index("ix_export_jobs_project_created", "project_id", "created_at"),
        Index(
            "uq_export_jobs_idempotency",
            "requested_by",
            "project_id",
            "idempotency_key",
            unique=True,
        ),
        Index("ix_export_jobs_status", "status"),
    )


class ImportJob(Base):
    """A file being imported into a project (contract §10); its tasks commit all at once."""

    __tablename__ = "imports"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    format: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="PENDING")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    file_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        CheckConstraint("format in ('taskroom-json', 'csv', 'trello')", name="format"),
        CheckConstraint(
            "status in ('PENDING', 'PROCESSING', 'COMPLETED', 'FAILED')", name="status"
        ),
        Index("ix_imports_project_created", "project_id", "created_at"),
        Index("uq_imports_idempotency", "user_id", "idempotency_key", unique=True),
    )


class SshKey(Base):
    """A public key a user registered for `ssh` logins (the SSH front door)."""

    __tablename__ = "ssh_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    algorithm: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    public_key: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("uq_ssh_keys_user_fingerprint", "user_id", "fingerprint", unique=True),)


class ApiToken(Base):
    """A personal access token: only its sha256 is kept, the secret is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(8))
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (
        Index("uq_api_tokens_token_hash", "token_hash", unique=True),
        Index("ix_api_tokens_user_id", "user_id"),
    )


class SavedView(Base):
    """A user's named filter (contract §9): global, or for one of their projects. The query
    is the TUI's filter language, stored verbatim; the server never parses it."""

    __tablename__ = "saved_views"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    project_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(64))
    query: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_saved_views_user_created", "user_id", "created_at"),)


class IdempotencyRecord(Base):
    """A write sent with an `Idempotency-Key`: written in the write's own transaction, so a
    retry finds it exactly when the write happened (api/domain/idempotency.py)."""

    __tablename__ = "idempotency_keys"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))  # method, path and body
    response: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON; set before commit
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_idempotency_keys_created", "created_at"),)


__all__ = [
    "ActivityEntry",
    "ApiToken",
    "Base",
    "ChecklistItem",
    "Comment",
    "EmailDigest",
    "ExportJob",
    "IdempotencyRecord",
    "ImportJob",
    "Label",
    "Membership",
    "Notification",
    "Project",
    "SavedView",
    "SshKey",
    "Task",
    "TaskLabel",
    "User",
    "func",
    "utcnow",
]
