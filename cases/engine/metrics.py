"""The referral engine's figures for the monitoring system (``/metrics``): open flags by
rule, over every municipality, counted when the page is scraped."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily

from cases.models import Flag
from cases.registry import all_rules


def open_flag_counts() -> Iterator[GaugeMetricFamily]:
    """One aggregate query (``SELECT rule, COUNT(*) … WHERE state = 'open' AND resolved_at
    IS NULL GROUP BY rule``); every registered rule is reported, 0 when it has none."""
    counts = dict(
        Flag.objects.filter(state=Flag.State.OPEN, resolved_at__isnull=True)
        .values_list("rule")
        .annotate(n=Count("pk"))
        .order_by()
    )
    gauge = GaugeMetricFamily(
        "portal_open_flags", "Open flags by referral rule, all municipalities.", labels=["rule"]
    )
    for rule in sorted({rule.code for rule in all_rules()} | set(counts)):
        gauge.add_metric([rule], counts.get(rule, 0))
    yield gauge
