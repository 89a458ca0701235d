"""Tasks of the portal itself."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="portal.roster_summary", time_limit=30, soft_time_limit=20)
def roster_summary(fiscal_year: int) -> dict[str, int]:
    """Counts of one fiscal year's roster by kind: lets operators check that a worker
    reaches the same database as the web process."""
    from django.db.models import Count

    from municipalities.models import ProgramParticipation

    rows = (
        ProgramParticipation.objects.filter(fiscal_year=fiscal_year)
        .values("kind")
        .annotate(n=Count("pk"))
    )
    return {row["kind"]: row["n"] for row in rows}
