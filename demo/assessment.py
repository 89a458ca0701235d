"""The demo's assessment sheets: the 8050 household of Toyonaka (松岡 キヨ子 and her son)
assessed twice — a first sheet after the joint visit, a second once the son began to
talk — with the ties of its ecomap marked. Runs after every program's seeder, so that
the menus and places linked to the case are on the ecomap."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from cases.assessment import services
from cases.assessment.maps import case_maps
from cases.models import Case
from demo.staff import DEMO_TENANTS

PERSON = "松岡 キヨ子"

FIRST = {
    "days_ago": 140,
    "wishes": "「自分がいなくなった後の息子が心配。できるだけこの家で二人で暮らしたい」",
    "life_history": (
        "豊中市で生まれ育ち、結婚後みどり台に転居。夫は12年前に病気で死去。長男と二人暮らし。"
        "長男は高校卒業後に工場で数年勤めたが、退職後20年以上ほぼ自宅で過ごしている。"
    ),
    "domains": {
        "health": {
            "situation": "要支援2。膝の痛みで外出が難しい。高血圧で月1回通院。",
            "issues": "通院の付き添いがなく、受診が途切れがち。",
            "strengths": "服薬は自分で管理できている。",
        },
        "income_debt": {
            "situation": "本人の年金（月約12万円）で二人が暮らす。長男は無収入。",
            "issues": "本人亡き後の長男の生活費の見通しがない。",
            "strengths": "借金はない。",
        },
        "family_care": {
            "situation": "長男が夜間に買い物を担っている。",
            "issues": "長男の社会的孤立（8050）。",
            "strengths": "親子関係は穏やか。",
        },
    },
    "staff_present": "地域包括支援センター 北野、相談支援員",
    "supporters": [{"role": "民生委員", "name": "上田 敏子"}],
}
SECOND = {
    "days_ago": 60,
    "wishes": (
        "「デイサービスに行ってみたい。息子には自分のペースで外に出てほしい」"
        "（長男：「母の通院の付き添いが負担。話を聞いてもらえるなら来所してもよい」）"
    ),
    "domains": {
        **FIRST["domains"],
        "mental_health": {
            "situation": "長男は人と会うと緊張が強いが、電話では話せる。",
            "issues": "長男の受診歴なし。",
            "strengths": "長男から相談の電話をかけてきた。",
        },
        "social_ties": {
            "situation": "近所づきあいはほぼない。民生委員の訪問は受け入れている。",
            "issues": "長男の居場所がない。",
            "strengths": "民生委員との関係が良い。",
        },
    },
    "family_present": "長男（浩二）",
    "supporters": [
        {"role": "民生委員", "name": "上田 敏子"},
        {"role": "近所の住民", "name": "隣家の住民"},
    ],
}
MARKS = {"person:上田 敏子": "strong", "person:隣家の住民": "strained"}


def _case(code: str) -> Case | None:
    return (
        Case.objects.filter(municipality__code=code, person__name=PERSON)
        .select_related("assigned_to", "lead_agency")
        .first()
    )


def _record(case: Case, sheet: dict[str, Any], today: datetime.date) -> None:
    fields = {k: v for k, v in sheet.items() if k != "days_ago"}
    services.assessment_record(
        user=case.assigned_to,
        case=case,
        assessed_on=today - datetime.timedelta(days=sheet["days_ago"]),
        person_present=True,
        **{"life_history": FIRST["life_history"], **fields},
    )


def seed_assessments(command: Any) -> None:
    """Assess the 8050 household twice and mark its ecomap, unless already done."""
    case = _case(DEMO_TENANTS["a"][0])
    if case is None or case.assessments.exists() or not case.is_open:
        return
    today = timezone.localdate()
    _record(case, FIRST, today)
    _record(case, SECOND, today)
    maps = case_maps(case)
    marks = dict(MARKS)
    if case.lead_agency_id:
        marks[f"agency:{case.lead_agency_id}"] = "strong"
    for supporter in maps.supporters:
        if supporter.key.startswith("agency:") and supporter.key not in marks:
            marks[supporter.key] = "weak"  # the agencies that joined later
    services.relationship_marks_set(
        user=case.assigned_to,
        case=case,
        marks={k: v for k, v in marks.items() if k in maps.supporter_keys()},
        allowed=maps.supporter_keys(),
    )
    command.stdout.write("Demo assessments: 1 case, 2 versions")
