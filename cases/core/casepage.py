"""The case page: everything it shows read in a fixed number of queries, the timeline
of every program merged, and the intake items still missing for national reporting."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone

from cases.core.queries import case_get_for_user
from cases.core.timeline import (
    TIMELINE_PAGE,
    Row,
    RowKind,
    as_text,
    at_hour,
    newest,
    read_case_rows,
    user_fields,
    user_from,
)
from cases.models import (
    Case,
    CaseAgency,
    CaseCategory,
    CaseEvent,
    Consent,
    Consultation,
    ConsultationMethod,
    Flag,
    HouseholdMember,
    IssueCategory,
    Meeting,
    MeetingCase,
    Person,
    Referral,
    SupportAgency,
    SupportPlan,
)
from cases.registry import timeline_providers


@dataclass
class TimelineEntry:
    at: datetime.datetime
    kind: str  # consultation | plan | meeting | referral | event | program-specific
    title: str
    body: str = ""
    url: str = ""
    obj: Any = None
    meta: dict[str, Any] = field(default_factory=dict)


def _as_datetime(day: datetime.date) -> datetime.datetime:
    return at_hour(day, 12)


def _consultation(row: Row) -> Consultation:
    c = Consultation(
        pk=row.pk,
        occurred_at=row.occurred_at,
        deleted_at=row.deleted_at,
        follow_up_done_at=row.follow_up_done_at,
        follow_up_on=row.follow_up_on,
        summary=row.summary or "",
        visitor_name=row.visitor_name or "",
        visitor_relationship=row.visitor_relationship or "",
    )
    c.method = ConsultationMethod(
        pk=row.method_id, name=row.method_name or "", name_en=row.method_name_en or ""
    )
    c.staff = user_from(row, "staff")
    return c


def _plan(row: Row) -> SupportPlan:
    plan = SupportPlan(
        pk=row.pk,
        version=row.version,
        created_on=row.created_on,
        review_on=row.review_on,
        status=row.status,
        goals=row.goals or "",
        uses_participation=bool(row.uses_participation),
        uses_outreach=bool(row.uses_outreach),
    )
    plan.lead_agency = SupportAgency(name=row.lead_agency_name) if row.lead_agency_name else None
    plan.decided_at_meeting = (
        Meeting(pk=row.meeting_id, held_on=row.meeting_held_on, title=row.meeting_title or "")
        if row.meeting_id is not None
        else None
    )
    return plan


def _meeting_item(row: Row) -> MeetingCase:
    item = MeetingCase(pk=row.pk, decision=row.decision, note=row.note or "")
    item.meeting = Meeting(
        pk=row.meeting_id, held_on=row.held_on, kind=row.meeting_kind, title=row.title
    )
    return item


def _referral(row: Row) -> Referral:
    referral = Referral(
        pk=row.pk,
        created_at=row.created_at,
        from_program=row.from_program,
        to_program=row.to_program,
        status=row.status,
        reason=row.reason or "",
    )
    referral.to_agency = (
        SupportAgency(pk=row.agency_id, name=row.agency_name or "")
        if row.agency_id is not None
        else None
    )
    return referral


def _status_event(row: Row) -> CaseEvent:
    event = CaseEvent(
        pk=row.pk,
        kind="status_changed",
        at=row.at,
        data=json.loads(row.data) if row.data else {},
    )
    event.actor = user_from(row, "actor")
    return event


def _member(row: Row) -> HouseholdMember:
    member = HouseholdMember(
        pk=row.pk,
        household_id=row.household_id,
        relationship=row.relationship,
        is_carer=bool(row.is_carer),
        needs_care=bool(row.needs_care),
    )
    member.person = Person(pk=row.person_id, name=row.name or "", birth_date=row.birth_date)
    return member


def _flag(row: Row) -> Flag:
    return Flag(
        pk=row.pk,
        rule=row.rule,
        state=row.state,
        raised_at=row.raised_at,
        snoozed_until=row.snoozed_until,
    )


def _category(row: Row) -> CaseCategory:
    item = CaseCategory(pk=row.pk, is_primary=bool(row.is_primary))
    item.category = IssueCategory(
        pk=row.category_id,
        name=row.name or "",
        name_en=row.name_en or "",
        sort_order=row.sort_order,
    )
    return item


def _agency(row: Row) -> SupportAgency:
    return SupportAgency(pk=row.agency_id, name=row.name or "", field=row.field or "")


# The keys of the case page's own kinds of rows; the programs' kinds are added to the
# timeline as they are.
OWN_KINDS = frozenset(
    {
        "consultation", "plan", "meeting", "referral", "status", "member", "flag",
        "category", "agency",
    }
)  # fmt: skip


def _case_row_kinds(case: Case, limit: int | None) -> list[RowKind]:
    """The case page's own kinds of rows (see ``cases.core.timeline``), ``OWN_KINDS``;
    ``limit``: most rows of a growing timeline kind (None: all)."""
    mine = {"municipality_id": case.municipality_id}
    consultations = newest(Consultation.objects.filter(case=case, **mine), "occurred_at", limit)
    status_events = newest(
        CaseEvent.objects.filter(case=case, kind="status_changed", **mine), "at", limit
    )
    members = HouseholdMember.objects.none()
    if case.household_id:
        members = HouseholdMember.objects.filter(
            household_id=case.household_id, left_at__isnull=True, **mine
        )
    flags = Flag.objects.filter(case=case, resolved_at__isnull=True, **mine).exclude(
        state=Flag.State.DISMISSED
    )
    return [
        RowKind(
            "consultation",
            consultations,
            {
                "occurred_at": "occurred_at",
                "deleted_at": "deleted_at",
                "follow_up_done_at": "follow_up_done_at",
                "follow_up_on": "follow_up_on",
                "staff_id": "staff_id",
                "method_id": "method_id",
                "method_name": "method__name",
                "method_name_en": "method__name_en",
                "summary": "summary",
                "visitor_name": "visitor_name",
                "visitor_relationship": "visitor_relationship",
                **user_fields("staff"),
            },
            _consultation,
        ),
        RowKind(
            "plan",
            SupportPlan.objects.filter(case=case, **mine),
            {
                "meeting_id": "decided_at_meeting_id",
                "version": "version",
                "created_on": "created_on",
                "review_on": "review_on",
                "status": "status",
                "goals": "goals",
                "uses_participation": "uses_participation",
                "uses_outreach": "uses_outreach",
                "lead_agency_name": "lead_agency__name",
                "meeting_held_on": "decided_at_meeting__held_on",
                "meeting_title": "decided_at_meeting__title",
            },
            _plan,
        ),
        RowKind(
            "meeting",
            MeetingCase.objects.filter(case=case, **mine),
            {
                "meeting_id": "meeting_id",
                "held_on": "meeting__held_on",
                "meeting_kind": "meeting__kind",
                "title": "meeting__title",
                "decision": "decision",
                "note": "note",
            },
            _meeting_item,
        ),
        RowKind(
            "referral",
            Referral.objects.filter(case=case, **mine),
            {
                "created_at": "created_at",
                "from_program": "from_program",
                "to_program": "to_program",
                "status": "status",
                "reason": "reason",
                "agency_id": "to_agency_id",
                "agency_name": "to_agency__name",
            },
            _referral,
        ),
        RowKind(
            "status",
            status_events,
            {
                "at": "at",
                "data": as_text("data"),
                "actor_id": "actor_id",
                **user_fields("actor"),
            },
            _status_event,
        ),
        RowKind(
            "member",
            members,
            {
                "person_id": "person_id",
                "household_id": "household_id",
                "name": "person__name",
                "birth_date": "person__birth_date",
                "relationship": "relationship",
                "is_carer": "is_carer",
                "needs_care": "needs_care",
            },
            _member,
        ),
        RowKind(
            "flag",
            flags,
            {
                "rule": "rule",
                "state": "state",
                "raised_at": "raised_at",
                "snoozed_until": "snoozed_until",
            },
            _flag,
        ),
        RowKind(
            "category",
            CaseCategory.objects.filter(case=case, **mine),
            {
                "is_primary": "is_primary",
                "category_id": "category_id",
                "name": "category__name",
                "name_en": "category__name_en",
                "sort_order": "category__sort_order",
            },
            _category,
        ),
        RowKind(
            "agency",
            CaseAgency.objects.filter(case_id=case.pk),
            {
                "agency_id": "agency_id",
                "name": "agency__name",
                "field": "agency__field",
            },
            _agency,
        ),
    ]


def _own_timeline(
    consultations: list[Consultation],
    plans: list[SupportPlan],
    meeting_items: list[MeetingCase],
    referrals: list[Referral],
    status_events: list[CaseEvent],
) -> list[TimelineEntry]:
    """The timeline entries of the consultation pillar's own rows."""
    timeline = [
        TimelineEntry(
            at=c.occurred_at, kind="consultation", title=str(c.method), body=c.summary, obj=c
        )
        for c in consultations
    ]
    timeline += [
        TimelineEntry(
            at=_as_datetime(p.created_on), kind="plan", title=f"v{p.version}", body=p.goals, obj=p
        )
        for p in plans
    ]
    timeline += [
        TimelineEntry(
            at=_as_datetime(m.meeting.held_on),
            kind="meeting",
            title=m.meeting.title,
            body=m.note,
            obj=m,
        )
        for m in meeting_items
    ]
    timeline += [
        TimelineEntry(
            at=r.created_at,
            kind="referral",
            title=r.get_to_program_display(),
            body=r.reason,
            obj=r,
        )
        for r in referrals
    ]
    for e in status_events:
        labels = [
            str(Case.Status(v).label) if v in Case.Status.values else str(v)
            for v in (e.data.get("before"), e.data.get("after"))
        ]
        timeline.append(
            TimelineEntry(at=e.at, kind="status", title=" → ".join(labels), obj=e, meta=e.data)
        )
    return timeline


def _timeline_page(
    timeline: list[TimelineEntry], page: int | None
) -> tuple[list[TimelineEntry], bool]:
    """One page of the (sorted) timeline and whether older entries follow; all of it
    when ``page`` is None."""
    if page is None:
        return timeline, False
    shown_from = (page - 1) * TIMELINE_PAGE
    older = len(timeline) > shown_from + TIMELINE_PAGE
    return timeline[shown_from : shown_from + TIMELINE_PAGE], older


def case_page(
    user: Any, case_id: int, case: Case | None = None, *, timeline_page: int | None = 1
) -> dict[str, Any]:
    """Everything the case page shows, in a fixed number of queries. ``case``: the case
    already read through ``case_get_for_user`` (saves one query). ``timeline_page``:
    which page of ``TIMELINE_PAGE`` timeline entries, newest first (None: the whole
    timeline, for the export)."""
    if case is None or case.pk != case_id:
        case = case_get_for_user(user, case_id)
    if timeline_page is not None:
        timeline_page = max(1, timeline_page)
    # One page more than shown tells whether there are older entries.
    limit = None if timeline_page is None else timeline_page * TIMELINE_PAGE + 1

    def kinds_of(case: Case) -> list[RowKind]:
        kinds = _case_row_kinds(case, limit)
        for provider in timeline_providers():
            kinds.extend(provider(case, limit))
        return kinds

    rows = read_case_rows(case, kinds_of, ("case page", limit))

    categories = sorted(
        rows["category"], key=lambda c: (not c.is_primary, c.category.sort_order, c.pk)
    )
    consultations = sorted(rows["consultation"], key=lambda c: (c.occurred_at, c.pk), reverse=True)
    plans = sorted(rows["plan"], key=lambda p: p.version, reverse=True)
    meeting_items = sorted(rows["meeting"], key=lambda m: (m.meeting.held_on, m.pk), reverse=True)
    referrals = sorted(rows["referral"], key=lambda r: (r.created_at, r.pk), reverse=True)
    members = sorted(rows["member"], key=lambda m: m.pk)
    status_events = sorted(rows["status"], key=lambda e: (e.at, e.pk))
    flags = sorted(rows["flag"], key=lambda f: (f.raised_at, f.pk))
    agencies = sorted(rows["agency"], key=lambda a: (a.field, a.name, a.pk))
    consents = list(
        Consent.objects.filter(person_id=case.person_id)
        .filter(Q(case__isnull=True) | Q(case=case))
        .prefetch_related("agencies")
        .order_by("-given_on")
    )

    timeline = _own_timeline(consultations, plans, meeting_items, referrals, status_events)
    for key, entries in rows.items():
        if key not in OWN_KINDS:
            timeline.extend(entries)  # what the programs add
    timeline.sort(key=lambda t: t.at, reverse=True)
    timeline, timeline_older = _timeline_page(timeline, timeline_page)

    today = timezone.localdate()
    return {
        "case": case,
        "flags": flags,
        "categories": categories,
        "consultations": consultations,
        "plans": plans,
        "meeting_items": meeting_items,
        "referrals": referrals,
        "members": members,
        "consents": consents,
        "valid_consents": [c for c in consents if c.is_valid_on(today)],
        # Shown at the top to everyone on the case: nothing more is shared on them.
        "withdrawn_consents": [c for c in consents if c.withdrawn_on is not None],
        "agencies": agencies,
        "timeline": timeline,
        "timeline_page": timeline_page,
        "timeline_older": timeline_older,
        "missing_for_reporting": missing_for_national_reporting(case, categories),
    }


# The intake items reported to the national government (the source is named beside
# ``cases.consultation.views.NATIONAL_INTAKE_FIELDS``); ふりがな is not one of them.
NATIONAL_REPORTING_FIELDS = ("sex", "birth_date", "route", "categories", "primary")


def missing_for_national_reporting(case: Case, categories: list[CaseCategory]) -> list[str]:
    """Names of intake items reported to the national government that are empty."""
    person = case.person
    missing = []
    if person.sex == Person.Sex.UNRECORDED:
        missing.append("sex")
    if person.birth_date is None:
        missing.append("birth_date")
    if not categories:
        missing.append("categories")
    elif not any(c.is_primary for c in categories):
        missing.append("primary")
    return missing
