"""Wire schemas: the JSON shapes of contract §3 and §5 as msgspec structs.

This module imports nothing from Litestar or SQLAlchemy so that the TUI (and tests)
can decode server responses with the very same types the server encodes them with.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import msgspec

TaskStatus = Literal["todo", "in_progress", "done"]
TaskPriority = Literal["low", "medium", "high", "urgent"]
Role = Literal["owner", "editor", "viewer"]
MemberRole = Literal["editor", "viewer"]
ExportFormat = Literal["csv", "json", "markdown"]
ExportStatus = Literal["PENDING", "PROCESSING", "COMPLETED", "FAILED"]
ImportFormat = Literal["taskroom-json", "csv", "trello"]

TASK_STATUSES: tuple[TaskStatus, ...] = ("todo", "in_progress", "done")
TASK_PRIORITIES: tuple[TaskPriority, ...] = ("low", "medium", "high", "urgent")
TASK_SORTS = ("position", "-updated_at", "due_date", "priority")

# msgspec (like Litestar's query parameters) validates with `re.search`, where `$` also matches
# before a trailing newline: every pattern is anchored with `\A…\Z` so it holds the whole string.
# Text refuses what a terminal could take for a control (contract §7): C0 but the newline and tab
# of multi-line text, DEL, C1 and the Unicode line and paragraph separators. NUL among them, which
# PostgreSQL text cannot hold: the same input gets the same clear 400 on every backend.
_CONTROLS = r"\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029"
LINE = rf"\A[^\t\n{_CONTROLS}]*\Z"
MULTILINE = rf"\A[^{_CONTROLS}]*\Z"

Username = Annotated[str, msgspec.Meta(pattern=r"\A[a-z0-9_-]{3,32}\Z")]
Password = Annotated[str, msgspec.Meta(min_length=8, max_length=128)]
DisplayName = Annotated[str, msgspec.Meta(max_length=100, pattern=LINE)]
ProjectName = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=LINE)]
ProjectDescription = Annotated[str, msgspec.Meta(max_length=10_000, pattern=MULTILINE)]
TaskTitle = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=LINE)]
TaskDescription = Annotated[str, msgspec.Meta(max_length=20_000, pattern=MULTILINE)]
Version = Annotated[int, msgspec.Meta(ge=1)]
Position = Annotated[float, msgspec.Meta(ge=-1e12, le=1e12)]


class Struct(msgspec.Struct, kw_only=True):
    """Base for every wire struct; subclasses repeat kw_only so field order never matters."""


# --- accounts -------------------------------------------------------------------------


class User(Struct, kw_only=True):
    id: uuid.UUID
    username: str
    display_name: str
    created_at: dt.datetime


EmailNotifications = Literal["off", "instant", "daily"]
# An ASCII address (local part as RFC 5322's dot-atom characters, a dotted domain of LDH labels):
# nothing that could break a mail header or reach a terminal.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
Email = Annotated[
    str,
    msgspec.Meta(
        max_length=254,
        pattern=rf"\A[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]{{1,64}}@{_LABEL}(?:\.{_LABEL})+\Z",
    ),
]


class Me(User, kw_only=True):
    """`GET /api/me`: the caller, with what only they see (contract §8)."""

    email: str | None = None
    email_notifications: EmailNotifications = "off"


class MeUpdate(Struct, kw_only=True, forbid_unknown_fields=True):
    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=LINE)] | (
        msgspec.UnsetType
    ) = msgspec.UNSET
    email: Email | msgspec.UnsetType | None = msgspec.UNSET
    email_notifications: EmailNotifications | msgspec.UnsetType = msgspec.UNSET


class RegisterRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    username: Username
    password: Password
    display_name: DisplayName | None = None


class LoginRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(max_length=128, pattern=LINE)]
    password: Annotated[str, msgspec.Meta(max_length=128)]


class AuthResponse(Struct, kw_only=True):
    user: User
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class Actor(Struct, kw_only=True):
    id: uuid.UUID
    username: str


# --- projects -------------------------------------------------------------------------


class TaskCounts(Struct, kw_only=True):
    todo: int = 0
    in_progress: int = 0
    done: int = 0


class Project(Struct, kw_only=True):
    id: uuid.UUID
    name: str
    description: str
    owner_id: uuid.UUID
    role: Role | None = None
    task_counts: TaskCounts
    version: int
    updated_at: dt.datetime


class Member(Struct, kw_only=True):
    user_id: uuid.UUID
    username: str
    display_name: str
    role: Role


# --- labels and checklists (contract §9) ---------------------------------------------

LabelColor = Literal["red", "orange", "yellow", "green", "teal", "blue", "purple", "pink", "gray"]
LabelName = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=LINE)]
ChecklistText = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=LINE)]
CHECKLIST_MAX_ITEMS = 100
LABELS_MAX = 100  # per project, and so per task
LabelIds = Annotated[list[uuid.UUID], msgspec.Meta(max_length=LABELS_MAX)]


class Label(Struct, kw_only=True):
    id: uuid.UUID
    project_id: uuid.UUID
    name: str
    color: LabelColor


class LabelCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    name: LabelName
    color: LabelColor = "gray"


class LabelUpdate(Struct, kw_only=True, forbid_unknown_fields=True):
    name: LabelName | msgspec.UnsetType = msgspec.UNSET
    color: LabelColor | msgspec.UnsetType = msgspec.UNSET


class ChecklistItem(Struct, kw_only=True):
    id: uuid.UUID
    text: str
    done: bool
    position: float


class ChecklistItemCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    text: ChecklistText
    done: bool = False
    position: Position | None = None


class ChecklistItemUpdate(Struct, kw_only=True, forbid_unknown_fields=True):
    text: ChecklistText | msgspec.UnsetType = msgspec.UNSET
    done: bool | msgspec.UnsetType = msgspec.UNSET
    position: Position | msgspec.UnsetType = msgspec.UNSET


class Task(Struct, kw_only=True):
    id: uuid.UUID
    project_id: uuid.UUID
    title: str
    description: str
    status: TaskStatus
    priority: TaskPriority
    assignee_id: uuid.UUID | None
    due_date: dt.date | None
    position: float
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: uuid.UUID | None
    updated_by: uuid.UUID | None
    comment_count: int = 0
    labels: list[uuid.UUID] = msgspec.field(default_factory=list)
    checklist: list[ChecklistItem] = msgspec.field(default_factory=list)


class ProjectDetail(Project, kw_only=True):
    members: list[Member]
    tasks: list[Task]
    labels: list[Label] = msgspec.field(default_factory=list)


class ProjectCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    name: ProjectName
    description: ProjectDescription = ""


class ProjectUpdate(Struct, kw_only=True, forbid_unknown_fields=True):
    name: ProjectName | msgspec.UnsetType = msgspec.UNSET
    description: ProjectDescription | msgspec.UnsetType = msgspec.UNSET
    version: Version | msgspec.UnsetType = msgspec.UNSET


class MemberAdd(Struct, kw_only=True, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=LINE)]
    role: MemberRole


class MemberUpdate(Struct, kw_only=True, forbid_unknown_fields=True):
    role: MemberRole


# --- tasks ----------------------------------------------------------------------------


class TaskCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    title: TaskTitle
    description: TaskDescription = ""
    status: TaskStatus = "todo"
    priority: TaskPriority = "medium"
    assignee_id: uuid.UUID | None = None
    due_date: dt.date | None = None
    position: Position | None = None
    labels: LabelIds = msgspec.field(default_factory=list)


class TaskUpdate(Struct, kw_only=True, forbid_unknown_fields=True):
    """A partial update: fields left UNSET are untouched, `null` clears a nullable field."""

    title: TaskTitle | msgspec.UnsetType = msgspec.UNSET
    description: TaskDescription | msgspec.UnsetType = msgspec.UNSET
    status: TaskStatus | msgspec.UnsetType = msgspec.UNSET
    priority: TaskPriority | msgspec.UnsetType = msgspec.UNSET
    assignee_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    due_date: dt.date | msgspec.UnsetType | None = msgspec.UNSET
    position: Position | msgspec.UnsetType = msgspec.UNSET
    labels: LabelIds | msgspec.UnsetType = msgspec.UNSET  # the whole set: replaces the task's
    version: Version | msgspec.UnsetType = msgspec.UNSET


class TaskPage(Struct, kw_only=True):
    items: list[Task]
    total: int


BULK_MAX_TASKS = 500


class BulkSet(Struct, kw_only=True, forbid_unknown_fields=True):
    """What a bulk change sets on every task; UNSET fields stay as they are."""

    status: TaskStatus | msgspec.UnsetType = msgspec.UNSET
    priority: TaskPriority | msgspec.UnsetType = msgspec.UNSET
    assignee_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    due_date: dt.date | msgspec.UnsetType | None = msgspec.UNSET
    add_labels: LabelIds = msgspec.field(default_factory=list)
    remove_labels: LabelIds = msgspec.field(default_factory=list)


class BulkRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    """`POST /api/projects/{id}/tasks/bulk`: `set` or `delete: true`, on 1 to 500 of its tasks."""

    task_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=BULK_MAX_TASKS)]
    set: BulkSet | None = None
    delete: bool = False


class BulkUpdated(Struct, kw_only=True):
    tasks: list[Task]


class BulkDeleted(Struct, kw_only=True):
    deleted: int


# --- search and saved views (contract §9) ---------------------------------------------

SEARCH_MAX_CHARS = 200


class SearchHit(Struct, kw_only=True):
    task: Task
    project: ProjectRef
    # A one-line piece of the description (else the title) around the first match, each
    # matching word between « and », "…" where it was cut.
    snippet: str


class SearchPage(Struct, kw_only=True):
    items: list[SearchHit]
    total: int


class SavedView(Struct, kw_only=True):
    id: uuid.UUID
    name: str
    project_id: uuid.UUID | None
    query: str
    created_at: dt.datetime


class SavedViewCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=LINE)]
    project_id: uuid.UUID | None = None
    query: Annotated[str, msgspec.Meta(max_length=1000, pattern=LINE)]


# --- comments (contract §8) ---------------------------------------------------------

CommentText = Annotated[str, msgspec.Meta(min_length=1, max_length=10_000, pattern=MULTILINE)]


class CommentAuthor(Struct, kw_only=True):
    id: uuid.UUID
    username: str
    display_name: str


class Comment(Struct, kw_only=True):
    id: uuid.UUID
    task_id: uuid.UUID
    # null once the author's account is gone
    author: CommentAuthor | None
    body: str
    created_at: dt.datetime
    updated_at: dt.datetime
    edited: bool


class CommentCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    body: CommentText


class CommentUpdate(Struct, kw_only=True, forbid_unknown_fields=True):
    body: CommentText


# --- activity (contract §8) ---------------------------------------------------------


class ActivityItem(Struct, kw_only=True):
    id: uuid.UUID
    at: dt.datetime
    actor: Actor | None
    event: str
    task_id: uuid.UUID | None
    summary: str
    changes: dict[str, list[Any]]


class ActivityPage(Struct, kw_only=True):
    items: list[ActivityItem]
    next: uuid.UUID | None


# --- notifications (contract §8) -----------------------------------------------------

NotificationKind = Literal["assigned", "mentioned", "commented", "due_soon"]


class ProjectRef(Struct, kw_only=True):
    id: uuid.UUID
    name: str


class TaskRef(Struct, kw_only=True):
    id: uuid.UUID
    title: str


class Notification(Struct, kw_only=True):
    id: uuid.UUID
    kind: NotificationKind
    project: ProjectRef
    task: TaskRef | None  # null once the task is deleted
    actor: Actor | None  # null for due_soon, or once the actor's account is gone
    at: dt.datetime
    read: bool


class NotificationPage(Struct, kw_only=True):
    items: list[Notification]
    next: uuid.UUID | None
    unread: int


class MarkRead(Struct, kw_only=True, forbid_unknown_fields=True):
    """`{ids: [...]}` or `{all: true}`; ids that are not the caller's are ignored."""

    ids: Annotated[list[uuid.UUID], msgspec.Meta(max_length=500)] = msgspec.field(
        default_factory=list
    )
    all: bool = False


# --- exports --------------------------------------------------------------------------


class ExportCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    format: ExportFormat
    webhook_url: Annotated[str, msgspec.Meta(max_length=2048, pattern=LINE)] | None = None


class ExportJob(Struct, kw_only=True):
    id: uuid.UUID
    project_id: uuid.UUID
    format: ExportFormat
    status: ExportStatus
    attempts: int
    progress: float
    error: str | None
    size_bytes: int | None
    sha256: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    download_url: str | None


class ExportLink(Struct, kw_only=True):
    """A link that serves the export's file without a login until `expires_at`."""

    url: str  # a path on this server, with the token in its query
    expires_at: dt.datetime


# --- imports (contract §10) -------------------------------------------------------------


class ImportProblem(Struct, kw_only=True):
    """Why a row cannot be imported: `row` is the CSV line (header = 1) or the card's number."""

    row: int
    field: str | None
    message: str


class ImportReport(Struct, kw_only=True):
    """What an import creates (or would, for a dry run), leaves out, and why it cannot."""

    format: ImportFormat
    created: int
    skipped: int
    errors: list[ImportProblem]
    warnings: list[str]


class ImportJob(ImportReport, kw_only=True):
    id: uuid.UUID
    project_id: uuid.UUID
    status: ExportStatus
    progress: float
    created_at: dt.datetime
    finished_at: dt.datetime | None


# --- ssh keys -------------------------------------------------------------------------


class SshKey(Struct, kw_only=True):
    id: uuid.UUID
    name: str
    algorithm: str
    fingerprint: str
    public_key: str
    created_at: dt.datetime


class SshKeyCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    """One public key as OpenSSH writes it (`ssh-ed25519 AAAA… comment`, a `.pub` file)."""

    public_key: Annotated[str, msgspec.Meta(min_length=1, max_length=16_384)]
    name: Annotated[str, msgspec.Meta(max_length=100, pattern=LINE)] | None = None


class SshKeyOwnerRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    """The SSH gateway asks who may log in as `username` with this (already proven) key."""

    username: Annotated[str, msgspec.Meta(max_length=128, pattern=LINE)]
    public_key: Annotated[str, msgspec.Meta(min_length=1, max_length=16_384)]


class ApiToken(Struct, kw_only=True):
    id: uuid.UUID
    name: str
    scope: Literal["read", "write"]
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None


class ApiTokenCreated(ApiToken, kw_only=True):
    """The one answer that carries the secret: it is never shown again."""

    token: str


class ApiTokenCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=LINE)]
    scope: Literal["read", "write"]
    expires_in_days: Annotated[int, msgspec.Meta(ge=1, le=365)] | None = None


# --- misc -----------------------------------------------------------------------------


class Health(Struct, kw_only=True):
    status: Literal["ok", "degraded"]
    database: str
    redis: Literal["ok", "down", "disabled"]
    version: str


class ErrorBody(Struct, kw_only=True):
    status_code: int
    detail: str
    extra: Any = None


# --- websocket frames (contract §5) -----------------------------------------------------

EventName = Literal[
    "project:created",
    "task:created",
    "task:updated",
    "task:deleted",
    "project:updated",
    "project:deleted",
    "member:added",
    "member:removed",
    "export:updated",
    "import:updated",
    "comment:created",
    "comment:updated",
    "comment:deleted",
    "label:created",
    "label:updated",
    "label:deleted",
]


class RoomEvent(Struct, kw_only=True, tag="event", tag_field="type"):
    room: str
    event: EventName
    data: dict[str, Any]
    actor: Actor | None
    cursor: str
    ts: dt.datetime


class Subscribed(Struct, kw_only=True, tag="subscribed", tag_field="type"):
    room: str
    cursor: str | None
    presence: list[Actor]


class Presence(Struct, kw_only=True, tag="presence", tag_field="type"):
    room: str
    users: list[Actor]


class Typing(Struct, kw_only=True, tag="typing", tag_field="type"):
    room: str
    task_id: uuid.UUID | None
    user: Actor
    state: Literal["start", "stop"]


class Resync(Struct, kw_only=True, tag="resync", tag_field="type"):
    room: str


class Pong(Struct, kw_only=True, tag="pong", tag_field="type"):
    pass


class ErrorFrame(Struct, kw_only=True, tag="error", tag_field="type"):
    code: str
    detail: str = ""
    room: str | None = None


class NotificationFrame(Struct, kw_only=True, tag="notification", tag_field="type"):
    """Sent to every socket of the notified user, subscribed to a room or not (contract §8)."""

    data: Notification
    unread: int


class UnreadFrame(Struct, kw_only=True, tag="unread", tag_field="type"):
    """The user's unread count changed elsewhere (read on another device, a project left)."""

    count: int


class MeFrame(Struct, kw_only=True, tag="me", tag_field="type"):
    """A change to the user's own world, to every socket of that user without subscribing:
    a project shared with them or their role in it (`member:added`, data = the member), them
    removed (`member:removed`), a project of theirs created, renamed (`project:updated`,
    data = the project) or deleted (`project:deleted`, data = `{id}`)."""

    event: EventName
    project_id: uuid.UUID
    data: dict[str, Any]


ServerFrame = (
    RoomEvent
    | Subscribed
    | Presence
    | Typing
    | Resync
    | Pong
    | ErrorFrame
    | NotificationFrame
    | UnreadFrame
    | MeFrame
)


def room_of(project_id: uuid.UUID | str) -> str:
    """The room name of a project (contract §5)."""
    return f"project:{project_id}"


# Client → server frames (contract §5).

RoomName = Annotated[str, msgspec.Meta(max_length=100)]


class Subscribe(Struct, kw_only=True, tag="subscribe", tag_field="type"):
    room: RoomName
    since: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class Unsubscribe(Struct, kw_only=True, tag="unsubscribe", tag_field="type"):
    room: RoomName


class Ping(Struct, kw_only=True, tag="ping", tag_field="type"):
    pass


class SetTyping(Struct, kw_only=True, tag="typing", tag_field="type"):
    room: RoomName
    task_id: uuid.UUID | None = None
    state: Literal["start", "stop"]


ClientFrame = Subscribe | Unsubscribe | Ping | SetTyping
