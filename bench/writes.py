"""The write path: a consultation saved and an intake recorded through their pages —
POST to redirect, with the audit write and the enqueue of the case's re-evaluation.

The re-evaluation itself runs on a worker after commit, not in the request: without a
broker Celery would run it inside the request, so the measure records the enqueue
instead of running the task (what a broker's publish costs, ≈ a millisecond, is not
in these figures). Each measured request really saves: the data set gains the intakes
of each run. The consultations saved on the measured case are deleted afterwards, so that
the case page measures the same case at every run (they made it grow by twenty a run)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone


@contextmanager
def enqueue_recorded() -> Iterator[list]:
    """``evaluate_case.apply_async`` records the case instead of running the task."""
    from cases.engine import tasks

    sent: list = []
    original = tasks.evaluate_case.apply_async
    tasks.evaluate_case.apply_async = lambda args=None, **kwargs: sent.append(args)
    try:
        yield sent
    finally:
        tasks.evaluate_case.apply_async = original


def _stats(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    median = ordered[len(ordered) // 2]
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median_ms": round(median * 1000, 2), "p95_ms": round(p95 * 1000, 2)}


def _measure(client: Client, url: str, data_for: Any, repeat: int) -> dict[str, Any]:
    # The statements of one request, rolled back (so the count is of a real save).
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        response = client.post(url, data_for(-1))
        transaction.set_rollback(True)
    if response.status_code != 302:
        raise RuntimeError(f"POST {url}: HTTP {response.status_code}")
    queries = len(captured.captured_queries)
    times = []
    with enqueue_recorded() as sent:
        for n in range(repeat):
            start = time.perf_counter()
            response = client.post(url, data_for(n))
            times.append(time.perf_counter() - start)
            if response.status_code != 302:
                raise RuntimeError(f"POST {url}: HTTP {response.status_code}")
    return {
        "url": url,
        "requests": repeat,
        **_stats(times),
        "queries": queries,
        "evaluations_enqueued": len(sent),
    }


def writes(client: Client, case: Any, repeat: int = 20) -> dict[str, Any]:
    """Median and p95 of a consultation saved on ``case`` and of an intake of a new
    person, by the logged-in ``client``."""
    from cases.models import Consultation, ConsultationMethod, ContactRoute

    mid = case.municipality_id
    method = ConsultationMethod.available_to(mid).first()
    route = ContactRoute.available_to(mid).first()
    now = timezone.localtime().replace(second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M")

    def consultation(n: int) -> dict[str, Any]:
        return {"occurred_at": now, "method": method.pk, "summary": f"電話で近況を確認（{n}）"}

    def intake(n: int) -> dict[str, Any]:
        return {
            "person-name": f"計測 {time.time_ns()}",
            "person-name_kana": "ケイソク",
            "occurred_at": now,
            "method": method.pk,
            "route": route.pk,
            "summary": "来所。生活費の相談。",
            "not_a_duplicate": "on",
        }

    before = Consultation.objects.filter(case=case).order_by("-pk").values("pk")[:1]
    last = before[0]["pk"] if before else 0
    saved = _measure(
        client, reverse("cases:consultation_add", args=[case.pk]), consultation, repeat
    )
    Consultation.objects.filter(case=case, pk__gt=last).delete()
    return {
        "save a consultation": saved,
        "intake": _measure(client, reverse("cases:intake"), intake, repeat),
    }
