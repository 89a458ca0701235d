"""The demo's 評価シート: the plan decided for 浅野 大輝 (ひきこもり, 参加支援) of Toyonaka,
evaluated goal by goal by his caseworker three weeks into it, before the next
重層的支援会議 (not attached to a meeting's review)."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from cases.collaboration import services
from cases.models import SupportPlan
from demo.staff import DEMO_TENANTS

PERSON = "浅野 大輝"
DAYS_AGO = 2
ENTRIES = (
    (
        "生活リズムを整える",
        "partly",
        "起床は9時前後で安定してきた。夜更かしの日が週2回ほど残るため、寝る前の過ごし方を"
        "本人と一緒に考える。",
    ),
    (
        "短時間の作業体験から社会参加を始める",
        "achieved",
        "データ入力の作業体験に週1回、3回続けて参加できた。週2回に増やすかを本人と相談する。",
    ),
    (
        "母親が一人で抱え込まずに相談できる",
        "partly",
        "母親は月1回の面談に来ている。父親とは話し合えていないため、次回は両親そろっての"
        "面談を提案する。",
    ),
)


def seed_evaluations(command: Any) -> None:
    """Evaluate the decided plan of the demo's ひきこもり case, unless already done."""
    plan = (
        SupportPlan.objects.filter(
            municipality__code=DEMO_TENANTS["a"][0],
            case__person__name=PERSON,
            status=SupportPlan.Status.DECIDED,
        )
        .select_related("case__assigned_to")
        .order_by("-version")
        .first()
    )
    if plan is None or plan.evaluations.exists():
        return
    services.plan_evaluate(
        user=plan.case.assigned_to,
        plan=plan,
        entries=[services.EvaluationEntry(*entry) for entry in ENTRIES],
        evaluated_on=timezone.localdate() - datetime.timedelta(days=DAYS_AGO),
    )
    command.stdout.write(f"Demo evaluations: 1 plan, {len(ENTRIES)} goals")
