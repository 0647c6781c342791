"""Export job rows to wire structs and to their `export:updated` events."""

from __future__ import annotations

import msgspec

from api.db.models import ExportJob
from api.events import DomainEvent
from api.wire import ExportJob as ExportJobOut


def job_out(job: ExportJob) -> ExportJobOut:
    return msgspec.convert(job, ExportJobOut, from_attributes=True)


def job_event(job: ExportJob) -> DomainEvent:
    """`export:updated` with the job as data; the system, not a user, is the actor."""
    return DomainEvent(
        name="export:updated",
        project_id=job.project_id,
        data=msgspec.to_builtins(job_out(job)),
        actor=None,
    )
