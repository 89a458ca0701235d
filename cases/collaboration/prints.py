"""A4 prints of 多機関協働: the support plan as the national プラン兼事業等利用申込書, the
minutes of a meeting and a 評価シート. Each reads through the same scoped query as its
page (404 for anyone without need to know) and is audited as an export."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from cases.collaboration import queries
from cases.core.pages import case_staff_required
from cases.models import PlanEvaluation, SupportPlan
from municipalities.audit import audit_write
from municipalities.models import AuditEvent
from municipalities.scoping import active_membership
from portal.fiscal import reiwa_date
from portal.prints import pdf_response, render_pdf


def _reiwa(day: datetime.date | None) -> str:
    return reiwa_date(day) if day else ""


def _print(
    request: HttpRequest, template: str, context: dict[str, Any], filename: str
) -> HttpResponse:
    """The PDF of ``template``; the municipality in its header is the reader's, the
    only one whose records the scoped read let through (read with the membership, no
    query)."""
    context.update(
        municipality=active_membership(request.user).municipality,
        printed_on=reiwa_date(timezone.localdate()),
    )
    return pdf_response(render_pdf(template, context, request), filename)


def _audit_export(request: HttpRequest, obj: Any, what: str, **detail: Any) -> None:
    case = getattr(obj, "case", None)
    audit_write(
        user=request.user,
        municipality_id=obj.municipality_id,
        action=AuditEvent.Action.EXPORT,
        obj=obj,
        case_id=case.pk if case else None,
        person_id=case.person_id if case else None,
        detail={"what": what, **detail},
        request=request,
    )


def _plan_context(plan: SupportPlan) -> dict[str, Any]:
    person = plan.case.person
    return {
        "plan": plan,
        "case": plan.case,
        "person": person,
        "birth_date": _reiwa(person.birth_date),
        "age": person.age_on(plan.created_on),
        "created_on": _reiwa(plan.created_on),
        "period_from": _reiwa(plan.period_from),
        "period_to": _reiwa(plan.period_to),
        "review_on": _reiwa(plan.review_on),
        "agreed_on": _reiwa(plan.agreed_on),
        "decided_on": _reiwa(plan.decided_at_meeting.held_on if plan.decided_at_meeting else None),
    }


@case_staff_required
def plan_print(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The plan as the national form (プラン兼事業等利用申込書), with a blank box for the
    person's signature."""
    plan = queries.plan_get_for_user(request.user, plan_id)
    response = _print(
        request,
        "cases/plan_print.html",
        _plan_context(plan),
        f"plan-{plan.case.number}-v{plan.version}.pdf",
    )
    _audit_export(request, plan, "plan print", plan_version=plan.version)
    return response


@case_staff_required
def plan_evaluation_print(request: HttpRequest, plan_id: int, evaluation_id: int) -> HttpResponse:
    """One 評価シート of the plan: the goals evaluated together, goal by goal."""
    plan = queries.plan_get_for_user(request.user, plan_id)
    sheet = queries.evaluation_sheet_get(plan, evaluation_id)
    review = sheet.review
    context = _plan_context(plan)
    context.update(
        sheet=sheet,
        achievements=PlanEvaluation.Achievement.choices,
        evaluated_on=reiwa_date(sheet.evaluated_on),
        review_held_on=_reiwa(review.meeting.held_on if review else None),
        next_review_on=_reiwa(review.next_review_on if review else None),
    )
    response = _print(
        request,
        "cases/plan_evaluation_print.html",
        context,
        f"evaluation-{plan.case.number}-v{plan.version}-{sheet.evaluated_on:%Y%m%d}.pdf",
    )
    _audit_export(
        request,
        plan,
        "evaluation print",
        plan_version=plan.version,
        evaluations=[row.pk for row in sheet.rows],
    )
    return response


@case_staff_required
def meeting_print(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """The minutes: attendees, the agenda's cases the reader may see with the decision
    for each (the others are left out, as on the meeting's page), the minutes' text."""
    meeting = queries.meeting_get_for_user(request.user, meeting_id)
    items = list(meeting.case_items.all())
    context = {
        "meeting": meeting,
        "items": [(item, _reiwa(item.next_review_on)) for item in items],
        "held_on": reiwa_date(meeting.held_on),
    }
    response = _print(
        request,
        "cases/meeting_print.html",
        context,
        f"minutes-{meeting.held_on:%Y%m%d}-{meeting.pk}.pdf",
    )
    _audit_export(request, meeting, "minutes print", cases=[item.case_id for item in items])
    return response
