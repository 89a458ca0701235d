"""Tasks of the roster and the audit log. Task names keep their ``portal.`` prefix:
they are what beat schedules and queued messages name."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="portal.roster_summary", time_limit=30, soft_time_limit=20, ignore_result=False)
def roster_summary(fiscal_year: int) -> dict[str, int]:
    """Counts of one fiscal year's roster by kind: lets operators check that a worker
    reaches the same database as the web process (the one task whose result is kept)."""
    from django.db.models import Count

    from municipalities.models import ProgramParticipation

    rows = (
        ProgramParticipation.objects.filter(fiscal_year=fiscal_year)
        .values("kind")
        .annotate(n=Count("pk"))
    )
    return {row["kind"]: row["n"] for row in rows}


# The name is from when this task chained the events; beat schedules and queued messages
# name it, so it stays.
@shared_task(name="portal.seal_audit", time_limit=120, soft_time_limit=100, acks_late=True)
def seal_audit() -> int:
    """Write a signed checkpoint of every audit chain that grew since its last one, out of
    the database (idempotent: a chain that did not grow gets none). The number written."""
    from municipalities.audit_chain import checkpoints_write

    return len(checkpoints_write())
