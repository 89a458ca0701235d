"""What the 多機関協働 browser journey found on the way from the assessment to the plan:
the first plan starts from the assessment (the national form's 本人の意向 and 課題 come
from it), every field of the plan form has a label, and the plan page names the
主担当 among the roles."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.assessment import services as assessment_services
from cases.collaboration import services as collaboration_services
from cases.core import services as core_services
from cases.models import ContactRoute, IssueCategory
from tests.worlds import master

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def new_case(personas):
    user = personas.caseworker_a
    person = core_services.person_create(
        user=user, municipality=personas.municipality_a, name="森田 文子", name_kana="モリタ フミコ"
    )
    return core_services.case_open(
        user=user,
        person=person,
        route=master(ContactRoute, "self"),
        categories=[master(IssueCategory, "care"), master(IssueCategory, "income")],
        assigned_to=user,
    )


def assess(personas, case, wishes="「この家で暮らし続けたい」"):
    return assessment_services.assessment_record(
        user=personas.caseworker_a,
        case=case,
        assessed_on=TODAY(),
        wishes=wishes,
        life_history="",
        domains={
            # Out of the sheet's order on purpose: the plan lists them in its order.
            "income_debt": {"situation": "年金のみ", "issues": "家計の見直し\n長男の就労"},
            "health": {"situation": "要支援1", "issues": " 介護保険サービスの利用調整 "},
            "housing": {"situation": "持家", "issues": ""},
        },
    )


def textarea(html: str, name: str) -> str:
    found = re.search(rf'<textarea name="{name}"[^>]*>(.*?)</textarea>', html, re.S)
    assert found, name
    return found.group(1).strip()


def test_the_first_plan_starts_from_the_assessments_wishes_and_issues(client, personas):
    case = new_case(personas)
    assess(personas, case, wishes="一回目")
    assess(personas, case)  # the latest version is the one the plan starts from
    client.force_login(personas.caseworker_a)
    html = client.get(reverse("cases:plan_add", args=[case.pk])).content.decode()
    assert textarea(html, "wishes") == "「この家で暮らし続けたい」"
    assert textarea(html, "issues").splitlines() == [
        "介護保険サービスの利用調整",
        "家計の見直し",
        "長男の就労",
    ]


def test_a_new_plan_version_starts_from_the_previous_plan_not_the_assessment(client, personas):
    case = new_case(personas)
    assess(personas, case)
    collaboration_services.plan_create(
        user=personas.caseworker_a,
        case=case,
        goals="生活の安定",
        review_on=TODAY() + datetime.timedelta(days=90),
        actions=[(None, "家計相談")],
        form=collaboration_services.PlanItems(wishes="プランに書いた意向", issues="プランの課題"),
    )
    client.force_login(personas.caseworker_a)
    html = client.get(reverse("cases:plan_add", args=[case.pk])).content.decode()
    assert textarea(html, "wishes") == "プランに書いた意向"
    assert textarea(html, "issues") == "プランの課題"


def test_without_an_assessment_the_first_plan_starts_empty(client, personas):
    case = new_case(personas)
    client.force_login(personas.caseworker_a)
    html = client.get(reverse("cases:plan_add", args=[case.pk])).content.decode()
    assert textarea(html, "wishes") == ""
    assert textarea(html, "issues") == ""


def test_every_role_row_of_the_plan_form_has_a_label(client, personas):
    """axe found the agency and action of each role row without a label."""
    case = new_case(personas)
    client.force_login(personas.caseworker_a)
    html = client.get(reverse("cases:plan_add", args=[case.pk])).content.decode()
    for i in range(5):
        for part in ("agency", "text"):
            assert f'<label for="id_action_{i}_{part}"' in html
    assert "役割1：担当" in html
    assert "役割5：内容" in html


def test_the_plan_page_marks_the_lead_agency_among_the_roles(client, personas, world_a):
    plan = collaboration_services.plan_create(
        user=personas.caseworker_a,
        case=world_a.case,
        goals="介護サービスの調整",
        review_on=TODAY() + datetime.timedelta(days=90),
        actions=[(world_a.agency, "ケアマネジメント"), (None, "家計相談")],
        lead_agency=world_a.agency,
    )
    client.force_login(personas.caseworker_a)
    html = client.get(reverse("cases:plan_detail", args=[plan.pk])).content.decode()
    rows = re.findall(r"<tr><td>(.*?)</td>", html, re.S)
    (lead,) = [r for r in rows if world_a.agency.name in r]
    assert "主担当機関" in lead
    assert html.count('<span class="badge primary">主担当機関</span>') == 1
