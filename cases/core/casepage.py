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
    RowKind,
    as_text,
    at_hour,
    case_rows,
    newest,
    read_rows,
    user_columns,
    user_from,
)
from cases.models import (
    Case,
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


def _consultation(row: dict[str, Any]) -> Consultation:
    c = Consultation(
        pk=row["pk"],
        occurred_at=row["at"],
        deleted_at=row["at2"],
        follow_up_done_at=row["at3"],
        follow_up_on=row["day"],
        summary=row["t3"] or "",
        visitor_name=row["t4"] or "",
        visitor_relationship=row["t5"] or "",
    )
    c.method = ConsultationMethod(pk=row["num"], name=row["t1"] or "", name_en=row["t2"] or "")
    c.staff = user_from(row, "ref", 6)
    return c


def _plan(row: dict[str, Any]) -> SupportPlan:
    plan = SupportPlan(
        pk=row["pk"],
        version=row["num"],
        created_on=row["day"],
        review_on=row["day2"],
        status=row["t1"],
        goals=row["t2"] or "",
    )
    plan.decided_at_meeting = (
        Meeting(pk=row["ref"], held_on=row["day3"], title=row["t3"] or "")
        if row["ref"] is not None
        else None
    )
    return plan


def _meeting_item(row: dict[str, Any]) -> MeetingCase:
    item = MeetingCase(pk=row["pk"], decision=row["t3"], note=row["t4"] or "")
    item.meeting = Meeting(pk=row["ref"], held_on=row["day"], kind=row["t1"], title=row["t2"])
    return item


def _referral(row: dict[str, Any]) -> Referral:
    referral = Referral(
        pk=row["pk"],
        created_at=row["at"],
        from_program=row["t1"],
        to_program=row["t2"],
        status=row["t3"],
        reason=row["t4"] or "",
    )
    referral.to_agency = (
        SupportAgency(pk=row["ref"], name=row["t5"] or "") if row["ref"] is not None else None
    )
    return referral


def _status_event(row: dict[str, Any]) -> CaseEvent:
    data = row["t1"]
    event = CaseEvent(
        pk=row["pk"], kind="status_changed", at=row["at"], data=json.loads(data) if data else {}
    )
    event.actor = user_from(row, "ref", 2)
    return event


def _member(row: dict[str, Any]) -> HouseholdMember:
    member = HouseholdMember(
        pk=row["pk"],
        household_id=row["num"],
        relationship=row["t2"],
        is_carer=bool(row["yes"]),
        needs_care=bool(row["yes2"]),
    )
    member.person = Person(pk=row["ref"], name=row["t1"] or "", birth_date=row["day"])
    return member


def _flag(row: dict[str, Any]) -> Flag:
    return Flag(
        pk=row["pk"],
        rule=row["t1"],
        state=row["t2"],
        raised_at=row["at"],
        snoozed_until=row["day"],
    )


def _category(row: dict[str, Any]) -> CaseCategory:
    item = CaseCategory(pk=row["pk"], is_primary=bool(row["yes"]))
    item.category = IssueCategory(
        pk=row["ref"], name=row["t1"] or "", name_en=row["t2"] or "", sort_order=row["num"]
    )
    return item


def _agency(row: dict[str, Any]) -> SupportAgency:
    return SupportAgency(pk=row["ref"], name=row["t1"] or "", field=row["t2"] or "")


def _case_row_kinds(case: Case, limit: int | None) -> list[RowKind]:
    """The case page's own kinds of rows (see ``cases.core.timeline``); ``limit``: most rows
    of a growing timeline kind (None: all)."""
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
    rows = [
        (
            "consultation",
            consultations,
            _consultation,
            {
                "at": "occurred_at",
                "at2": "deleted_at",
                "at3": "follow_up_done_at",
                "day": "follow_up_on",
                "num": "method_id",
                "ref": "staff_id",
                "t1": "method__name",
                "t2": "method__name_en",
                "t3": "summary",
                "t4": "visitor_name",
                "t5": "visitor_relationship",
                **user_columns("staff", 6),
            },
        ),
        (
            "plan",
            SupportPlan.objects.filter(case=case, **mine),
            _plan,
            {
                "num": "version",
                "day": "created_on",
                "day2": "review_on",
                "t1": "status",
                "t2": "goals",
                "ref": "decided_at_meeting_id",
                "day3": "decided_at_meeting__held_on",
                "t3": "decided_at_meeting__title",
            },
        ),
        (
            "meeting",
            MeetingCase.objects.filter(case=case, **mine),
            _meeting_item,
            {
                "ref": "meeting_id",
                "day": "meeting__held_on",
                "t1": "meeting__kind",
                "t2": "meeting__title",
                "t3": "decision",
                "t4": "note",
            },
        ),
        (
            "referral",
            Referral.objects.filter(case=case, **mine),
            _referral,
            {
                "at": "created_at",
                "t1": "from_program",
                "t2": "to_program",
                "t3": "status",
                "t4": "reason",
                "ref": "to_agency_id",
                "t5": "to_agency__name",
            },
        ),
        (
            "status",
            status_events,
            _status_event,
            {"at": "at", "t1": as_text("data"), "ref": "actor_id", **user_columns("actor", 2)},
        ),
        (
            "member",
            members,
            _member,
            {
                "num": "household_id",
                "ref": "person_id",
                "t1": "person__name",
                "day": "person__birth_date",
                "t2": "relationship",
                "yes": "is_carer",
                "yes2": "needs_care",
            },
        ),
        (
            "flag",
            flags,
            _flag,
            {"t1": "rule", "t2": "state", "at": "raised_at", "day": "snoozed_until"},
        ),
        (
            "category",
            CaseCategory.objects.filter(case=case, **mine),
            _category,
            {
                "yes": "is_primary",
                "ref": "category_id",
                "t1": "category__name",
                "t2": "category__name_en",
                "num": "category__sort_order",
            },
        ),
        (
            "agency",
            Case.agencies.through.objects.filter(case_id=case.pk),
            _agency,
            {"ref": "supportagency_id", "t1": "supportagency__name", "t2": "supportagency__field"},
        ),
    ]
    kinds = []
    for key, qs, build, columns in rows:
        columns.setdefault("pk", "pk")
        kinds.append(RowKind(key, case_rows(qs, key, **columns), build))
    return kinds


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
    kinds = _case_row_kinds(case, limit)
    own = {k.key for k in kinds}
    for provider in timeline_providers():
        kinds.extend(provider(case, limit))
    rows = read_rows(kinds)

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

    timeline: list[TimelineEntry] = []
    for c in consultations:
        timeline.append(
            TimelineEntry(
                at=c.occurred_at, kind="consultation", title=str(c.method), body=c.summary, obj=c
            )
        )
    for p in plans:
        timeline.append(
            TimelineEntry(
                at=_as_datetime(p.created_on),
                kind="plan",
                title=f"v{p.version}",
                body=p.goals,
                obj=p,
            )
        )
    for m in meeting_items:
        timeline.append(
            TimelineEntry(
                at=_as_datetime(m.meeting.held_on),
                kind="meeting",
                title=m.meeting.title,
                body=m.note,
                obj=m,
            )
        )
    for r in referrals:
        timeline.append(
            TimelineEntry(
                at=r.created_at,
                kind="referral",
                title=r.get_to_program_display(),
                body=r.reason,
                obj=r,
            )
        )
    for e in status_events:
        labels = [
            str(Case.Status(v).label) if v in Case.Status.values else str(v)
            for v in (e.data.get("before"), e.data.get("after"))
        ]
        timeline.append(
            TimelineEntry(at=e.at, kind="status", title=" → ".join(labels), obj=e, meta=e.data)
        )
    for key, entries in rows.items():
        if key not in own:
            timeline.extend(entries)
    timeline.sort(key=lambda t: t.at, reverse=True)
    timeline_older = False
    if timeline_page is not None:
        shown_from = (timeline_page - 1) * TIMELINE_PAGE
        timeline_older = len(timeline) > shown_from + TIMELINE_PAGE
        timeline = timeline[shown_from : shown_from + TIMELINE_PAGE]

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
        "agencies": agencies,
        "timeline": timeline,
        "timeline_page": timeline_page,
        "timeline_older": timeline_older,
        "missing_for_reporting": missing_for_national_reporting(case, categories),
    }


NATIONAL_REPORTING_FIELDS = ("name_kana", "sex", "birth_date", "route", "categories", "primary")


def missing_for_national_reporting(case: Case, categories: list[CaseCategory]) -> list[str]:
    """Names of intake items reported to the national government that are empty."""
    person = case.person
    missing = []
    if not person.name_kana:
        missing.append("name_kana")
    if person.sex == Person.Sex.UNRECORDED:
        missing.append("sex")
    if person.birth_date is None:
        missing.append("birth_date")
    if not categories:
        missing.append("categories")
    elif not any(c.is_primary for c in categories):
        missing.append("primary")
    return missing
