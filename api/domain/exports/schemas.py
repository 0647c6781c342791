"""Export job rows to wire structs and to their `export:updated` events."""

from __future__ import annotations

import msgspec

from api.db.models import ExportJob
from api.events import DomainEvent
from api.wire import ExportJob as ExportJobOut


def job_out(job: ExportJob) -> ExportJobOut:
    return ExportJobOut(
        id=job.id,
        project_id=job.project_id,
        format=job.format,  # type: ignore[arg-type]
        status=job.status,  # type: ignore[arg-type]
        attempts=job.attempts,
        progress=job.progress,
        error=job.error,
        size_bytes=job.size_bytes,
        sha256=job.sha256,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        download_url=f"/api/exports/{job.id}/download" if job.status == "COMPLETED" else None,
    )


def job_event(job: ExportJob) -> DomainEvent:
    """`export:updated` with the job as data; the system, not a user, is the actor."""
    return DomainEvent(
        name="export:updated",
        project_id=job.project_id,
        data=msgspec.to_builtins(job_out(job)),
        actor=None,
    )
