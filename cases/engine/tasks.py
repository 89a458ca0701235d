"""Celery tasks of the referral engine. Thin: take ids, re-fetch, call ``cases.engine.flags``.

All are idempotent (the engine's inserts are ON CONFLICT DO NOTHING and its updates
converge), so they run with ``acks_late`` and are retried with backoff on database or
broker errors."""

from __future__ import annotations

import logging

from celery import shared_task

from cases.engine import flags
from portal.tasks import RETRY, task_date

logger = logging.getLogger(__name__)


@shared_task(name="cases.scan_all", time_limit=300, soft_time_limit=240, **RETRY)
def scan_all(as_of: str | None = None) -> int:
    """Fan out one scan per municipality that has cases (Celery beat calls this)."""
    from cases.models import Case

    ids = list(Case.objects.values_list("municipality_id", flat=True).distinct().order_by())
    for municipality_id in ids:
        scan_municipality.delay(municipality_id, as_of)
    return len(ids)


# 300 s: the whole national scan of 1,000,000 cases takes about a minute (bench/README.md),
# one municipality a small part of it. The limit bounds the broker's visibility timeout.
@shared_task(name="cases.scan_municipality", time_limit=300, soft_time_limit=240, **RETRY)
def scan_municipality(municipality_id: int, as_of: str | None = None) -> dict[str, int]:
    from municipalities.models import Municipality

    if not Municipality.objects.filter(pk=municipality_id).exists():
        return {}
    outcomes = flags.evaluate(municipality_id, task_date(as_of))
    return {code: o.raised for code, o in outcomes.items()}


@shared_task(name="cases.evaluate_case", time_limit=60, soft_time_limit=50, **RETRY)
def evaluate_case(case_id: int, as_of: str | None = None) -> dict[str, int]:
    from cases.models import Case

    case = Case.objects.filter(pk=case_id).values("municipality_id").first()
    if case is None:
        return {}
    outcomes = flags.evaluate(case["municipality_id"], task_date(as_of), case_ids=[case_id])
    return {code: o.raised for code, o in outcomes.items()}
