"""Demo 実施計画 of each demo municipality: the plan in force this fiscal year and last,
who runs each 事業, and yearly targets the statistics compare with (invented figures)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from cases.models import ImplementationPlan
from cases.statistics import services
from demo.staff import DEMO_TENANTS
from municipalities.models import Municipality, User
from portal.fiscal import fiscal_year_of

PLANS: dict[str, dict[str, Any]] = {
    "a": {
        "title": "第1期 重層的支援体制整備事業実施計画",
        "policies": (
            "1 属性や世代を問わず、断らずに受け止める相談支援\n"
            "2 社会とのつながりを取り戻す参加支援\n"
            "3 住民・企業・NPOがつながる地域づくり"
        ),
        "businesses": {
            "comprehensive": ("both", "地域包括支援センター（7か所）、くらし自立相談窓口"),
            "participation": ("contracted", "豊中市社会福祉協議会"),
            "community": ("both", "豊中市社会福祉協議会"),
            "outreach": ("contracted", "豊中市社会福祉協議会"),
            "multiagency": ("direct", ""),
        },
        "targets": {
            "consultations_received": 40,
            "consultations_logged": 200,
            "participation_people": 10,
            "participation_providers": 8,
            "community_places": 8,
            "community_participants": 400,
            "community_organisations": 15,
            "outreach_people": 10,
            "multiagency_meetings": 12,
            "support_meetings": 6,
            "plans_made": 12,
            "plans_decided": 10,
            "plans_closed": 5,
        },
    },
    "b": {
        "title": "松江市重層的支援体制整備事業実施計画",
        "policies": "誰ひとり取り残さない、つながり続ける支援",
        "businesses": {
            "comprehensive": ("direct", ""),
            "participation": ("direct", ""),
            "community": ("contracted", "松江市社会福祉協議会"),
            "outreach": ("direct", ""),
            "multiagency": ("direct", ""),
        },
        "targets": {"consultations_received": 30, "multiagency_meetings": 6, "plans_made": 8},
    },
}


def seed_plans(command: Any) -> None:
    """The plan of last fiscal year and this one, where a demo municipality has none."""
    year = fiscal_year_of(timezone.localdate())
    for key, spec in PLANS.items():
        code, _accounts = DEMO_TENANTS[key]
        municipality = Municipality.objects.get(code=code)
        if ImplementationPlan.objects.filter(municipality=municipality).exists():
            continue
        manager = User.objects.get(username=f"{key}-manager")
        for fiscal_year in (year - 1, year):
            services.implementation_plan_save(
                user=manager,
                municipality=municipality,
                fiscal_year=fiscal_year,
                data=services.PlanData(
                    title=spec["title"],
                    first_year=year - 1,
                    last_year=year + 1,
                    policies=spec["policies"],
                    businesses=dict(spec["businesses"]),
                    targets=dict(spec["targets"]),
                ),
            )
    command.stdout.write("Demo implementation plans: " + ", ".join(PLANS))
