"""Celery tasks of the shared core: the daily anonymisation of expired records."""

from __future__ import annotations

from celery import shared_task

from portal.tasks import RETRY, task_date


@shared_task(name="cases.anonymise_expired", time_limit=300, soft_time_limit=240, **RETRY)
def anonymise_expired(as_of: str | None = None) -> int:
    """Daily (Celery beat): fan out one anonymisation per municipality with closed cases."""
    from cases.core.retention import municipalities_with_closed_cases

    ids = list(municipalities_with_closed_cases().values_list("pk", flat=True))
    for municipality_id in ids:
        anonymise_municipality.delay(municipality_id, as_of)
    return len(ids)


@shared_task(name="cases.anonymise_municipality", time_limit=300, soft_time_limit=240, **RETRY)
def anonymise_municipality(municipality_id: int, as_of: str | None = None) -> dict[str, int]:
    """Anonymise one municipality's persons past its retention period. Idempotent: already
    anonymised persons are skipped, and each person is committed on its own, so a run
    stopped by its time limit (a first run over years of backlog, at about 24 persons a
    second: bench/README.md) leaves the rest to the next day's run."""
    from cases.core.retention import anonymise_expired as run
    from municipalities.models import Municipality

    code = Municipality.objects.filter(pk=municipality_id).values_list("code", flat=True).first()
    if code is None:
        return {}
    results = run(as_of=task_date(as_of), municipality_code=code)
    return {result.code: len(result.persons) for result in results}
