"""`export:updated` in embedded mode: recorded through the API process's dispatcher, in order."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from litestar.testing import AsyncTestClient

from api import app as app_module
from api.db import migrate
from api.events import DomainEvent
from api.runtime import Runtime
from api.settings import Settings


async def test_in_process_export_records_each_status_change(
    tmp_path: Path,
) -> None:
    env = {
        "TASKROOM_DATA_DIR": str(tmp_path),
        "TASKROOM_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "TASKROOM_FAILPOINTS": "export.row_delay_ms=30",
    }
    settings = Settings.from_env(env)
    await asyncio.to_thread(migrate.upgrade, settings.database_url)
    seen: list[DomainEvent] = []

    async def capture(events: Sequence[DomainEvent]) -> None:
        seen.extend(e for e in events if e.name == "export:updated")

    async with AsyncTestClient(app_module.create_app(settings)) as client:
        runtime: Runtime = client.app.state.runtime
        runtime.dispatcher.register(capture)
        auth = await client.post(
            "/api/auth/register", json={"username": "eve", "password": "password-123"}
        )
        client.headers["Authorization"] = f"Bearer {auth.json()['access_token']}"
        project = (await client.post("/api/projects", json={"name": "Live"})).json()
        for i in range(60):
            await client.post(f"/api/projects/{project['id']}/tasks", json={"title": f"t{i}"})
        job = (
            await client.post(f"/api/projects/{project['id']}/exports", json={"format": "csv"})
        ).json()
        for _ in range(600):
            if any(e.data["status"] == "COMPLETED" for e in seen):
                break
            await asyncio.sleep(0.05)

    statuses = [e.data["status"] for e in seen]
    assert all(e.data["id"] == job["id"] and e.actor is None for e in seen)
    assert statuses[0] == "PENDING" and statuses[1] == "PROCESSING"
    assert statuses[-1] == "COMPLETED" and set(statuses) == {"PENDING", "PROCESSING", "COMPLETED"}
    progress = [e.data["progress"] for e in seen if e.data["status"] == "PROCESSING"]
    assert len(progress) >= 3 and progress == sorted(progress)  # ~1.8 s of rows
    assert seen[-1].data["download_url"] == f"/api/exports/{job['id']}/download"
