"""The demo seed of `taskroom demo`: a user, a teammate and a project with varied tasks.

Lives in the api package because it writes through the models; it runs only on an empty
database, so a demo that is restarted keeps whatever the visitor did the last time.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from api.db.models import Membership, Project, Task, User, utcnow
from api.db.session import make_engine, make_sessionmaker
from api.security import hash_password

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-password"
TEAMMATE = "sam"

# (title, status, priority, assignee: "demo" | "sam" | None, due in N days or None)
DEMO_TASKS: list[tuple[str, str, str, str | None, int | None]] = [
    ("Write the README quick start", "todo", "high", "demo", 2),
    ("Pick a name for the release", "todo", "low", None, None),
    ("Design the export file layout", "todo", "medium", "sam", 6),
    ("Add a dark theme screenshot", "todo", "low", "demo", 10),
    ("Rate-limit the login route", "todo", "urgent", "sam", 1),
    ("Check 16-colour terminals", "todo", "medium", None, 7),
    ("Plan the beta announcement", "todo", "medium", "demo", 14),
    ("Triage open bug reports", "todo", "high", "sam", 3),
    ("Decide the backup policy", "todo", "low", None, 21),
    ("Survey early users", "todo", "medium", "demo", None),
    ("Write an SSH how-to", "todo", "low", "sam", None),
    ("Draft the privacy note", "todo", "medium", None, 12),
    ("Live cursors on the board", "in_progress", "high", "demo", 4),
    ("Webhook signature docs", "in_progress", "medium", "sam", 5),
    ("Reconnect with backoff", "in_progress", "urgent", "demo", 0),
    ("CSV export neutralises formulas", "in_progress", "high", "sam", 2),
    ("Migrate CI to two cores", "in_progress", "low", None, None),
    ("Profile the board at 5 000 tasks", "in_progress", "medium", "demo", 8),
    ("Presence in the header", "in_progress", "medium", "sam", 3),
    ("Keyboard help screen", "in_progress", "low", "demo", None),
    ("Set up PostgreSQL in CI", "done", "high", "sam", -3),
    ("Alembic baseline migration", "done", "medium", "demo", -5),
    ("Password hashing with Argon2", "done", "urgent", "sam", -8),
    ("Health endpoint", "done", "low", "demo", -10),
    ("Project roles: owner, editor, viewer", "done", "high", "demo", -6),
    ("Optimistic concurrency on tasks", "done", "high", "sam", -4),
    ("OpenAPI at /schema", "done", "medium", None, -9),
    ("Pick the TUI framework", "done", "medium", "demo", -12),
    ("Logo sketch", "done", "low", "sam", -2),
    ("First commit", "done", "low", "demo", -14),
]

DEMO_DESCRIPTION = "A tour of Taskroom: move cards with H/L, edit with enter, press ? for keys."


async def seed_if_empty(database_url: str) -> bool:
    """Seed the demo data when the database has no users; True when it did."""
    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            if await session.scalar(select(func.count()).select_from(User)):
                return False
            now = utcnow()
            today = now.date()
            users = {
                name: User(
                    username=name,
                    display_name=display,
                    password_hash=hash_password(DEMO_PASSWORD),
                    created_at=now,
                )
                for name, display in ((DEMO_USERNAME, "Demo User"), (TEAMMATE, "Sam Teammate"))
            }
            session.add_all(users.values())
            await session.flush()
            owner = users[DEMO_USERNAME]
            project = Project(
                name="Taskroom launch",
                description=DEMO_DESCRIPTION,
                owner_id=owner.id,
                created_at=now,
                updated_at=now,
            )
            session.add(project)
            await session.flush()
            session.add_all(
                [
                    Membership(project_id=project.id, user_id=owner.id, role="owner"),
                    Membership(project_id=project.id, user_id=users[TEAMMATE].id, role="editor"),
                ]
            )
            for index, (title, status, priority, assignee, due) in enumerate(DEMO_TASKS):
                session.add(
                    Task(
                        project_id=project.id,
                        title=title,
                        description="",
                        status=status,
                        priority=priority,
                        assignee_id=users[assignee].id if assignee else None,
                        due_date=today + dt.timedelta(days=due) if due is not None else None,
                        position=1024.0 * (index + 1),
                        created_at=now,
                        updated_at=now,
                        created_by=owner.id,
                        updated_by=owner.id,
                    )
                )
            await session.commit()
            return True
    finally:
        await engine.dispose()
