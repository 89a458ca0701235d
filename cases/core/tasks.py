"""Celery tasks of the shared core: the daily anonymisation of expired records."""

from __future__ import annotations

from celery import shared_task

from portal.tasks import RETRY, task_date


@shared_task(name="cases.anonymise_expired", time_limit=3600, soft_time_limit=3500, **RETRY)
def anonymise_expired(as_of: str | None = None) -> dict[str, int]:
    """Daily (Celery beat): anonymise persons past their municipality's retention period.
    Idempotent: already anonymised persons are skipped, one transaction per person."""
    from cases.core.retention import anonymise_expired as run

    return {result.code: len(result.persons) for result in run(as_of=task_date(as_of))}
