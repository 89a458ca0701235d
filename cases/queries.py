"""Tenant-scoped reads of consultation support: the only way pages and the API reach
persons, cases and what is recorded about them.

Caseworkers and managers see everything of their own municipality. Coordinators and
community workers see only referrals to (or from) their program, with the person's
name and contact and the referral's reason. System administrators see nothing.
Anything else is a 404.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from cases.models import (
    Case,
    CaseCategory,
    CaseEvent,
    Consent,
    Consultation,
    ConsultationMethod,
    Flag,
    Household,
    HouseholdMember,
    IssueCategory,
    Meeting,
    MeetingAttendee,
    MeetingCase,
    Person,
    Program,
    Referral,
    SupportAgency,
    SupportPlan,
)
from cases.registry import timeline_providers
from cases.text import search_key
from cases.timeline import (
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
from municipalities.models import AuditEvent, Role, User
from municipalities.scoping import get_for_user_or_404, has_role

CASE_ROLES = (Role.CASEWORKER, Role.MANAGER)
PROGRAM_OF_ROLE = {
    Role.COORDINATOR: Program.PARTICIPATION,
    Role.COMMUNITY_WORKER: Program.COMMUNITY,
}


def can_see_cases(user: Any) -> bool:
    return has_role(user, *CASE_ROLES)


def _case_roles_only(user: Any, qs: QuerySet) -> QuerySet:
    return qs.for_user(user) if can_see_cases(user) else qs.none()


# --- persons -----------------------------------------------------------------------


def persons_visible_to(user: Any) -> QuerySet[Person]:
    return _case_roles_only(user, Person.objects.filter(deleted_at__isnull=True))


def person_get_for_user(user: Any, person_id: int) -> Person:
    return get_for_user_or_404(persons_visible_to(user), user, pk=person_id)


def person_search(
    user: Any, query: str, birth_date: datetime.date | None = None, limit: int = 50
) -> list[Person]:
    """Persons whose name or kana contains the query in any script or width."""
    key = search_key(query)
    if not key and birth_date is None:
        return []
    # Anonymised persons have no name to match (their search columns are empty too).
    qs = persons_visible_to(user).filter(anonymised_at__isnull=True)
    if key:
        qs = qs.filter(Q(search_name__contains=key) | Q(search_kana__contains=key))
    if birth_date is not None:
        qs = qs.filter(birth_date=birth_date)
    open_cases = Count("cases", filter=~Q(cases__status=Case.Status.CLOSED))
    return list(qs.annotate(open_cases=open_cases).order_by("search_kana", "pk")[:limit])


def person_duplicates(
    user: Any, *, name: str, name_kana: str, birth_date: datetime.date | None, limit: int = 10
) -> list[Person]:
    """Likely duplicates of a person about to be created: the same name or reading, or
    the same date of birth with a reading that starts alike."""
    name_key, kana_key = search_key(name), search_key(name_kana)
    condition = Q()
    if name_key:
        condition |= Q(search_name=name_key)
    if kana_key:
        condition |= Q(search_kana=kana_key)
    if birth_date is not None and kana_key:
        condition |= Q(birth_date=birth_date, search_kana__startswith=kana_key[:2])
    if not condition:
        return []
    qs = persons_visible_to(user).filter(condition, anonymised_at__isnull=True)
    return list(qs.order_by("search_kana", "pk")[:limit])


def person_page(user: Any, person_id: int) -> dict[str, Any]:
    person = person_get_for_user(user, person_id)
    cases = list(
        person.cases.filter(deleted_at__isnull=True)
        .select_related("route", "assigned_to")
        .order_by("-opened_on")
    )
    consents = list(person.consents.prefetch_related("agencies").order_by("-given_on"))
    return {"person": person, "cases": cases, "consents": consents}


# --- cases -------------------------------------------------------------------------


def cases_visible_to(user: Any) -> QuerySet[Case]:
    return _case_roles_only(user, Case.objects.filter(deleted_at__isnull=True)).select_related(
        "person", "route", "assigned_to"
    )


def case_get_for_user(user: Any, case_id: int) -> Case:
    return get_for_user_or_404(cases_visible_to(user), user, pk=case_id)


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
    """The case page's own kinds of rows (see ``cases.timeline``); ``limit``: most rows
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


# --- dashboard ---------------------------------------------------------------------


DASHBOARD_REFERRALS = 20


def dashboard(user: User) -> dict[str, Any]:
    today = timezone.localdate()
    cases = cases_visible_to(user)
    my_open = list(
        cases.filter(assigned_to=user).exclude(status=Case.Status.CLOSED).order_by("-opened_on")
    )
    follow_ups = (
        list(
            Consultation.objects.for_user(user)
            .filter(
                follow_up_on__lte=today,
                follow_up_done_at__isnull=True,
                deleted_at__isnull=True,
                case__deleted_at__isnull=True,
            )
            # The user's open cases by id (already read above) rather than a join on
            # the assignee: the planner then reads those cases' consultations and the
            # user's own by index instead of hashing every open case in the database.
            .filter(Q(case_id__in=[c.pk for c in my_open]) | Q(staff=user))
            .exclude(case__status=Case.Status.CLOSED)
            .select_related("case", "case__person")
            .order_by("follow_up_on")
        )
        if can_see_cases(user)
        else []
    )
    # The oldest waiting referrals, one more than shown to tell that the inbox has more
    # (a large municipality can have thousands waiting; the inbox lists them all).
    waiting = list(
        referrals_visible_to(user)
        .filter(
            to_program__in=[Program.CONSULTATION, Program.AGENCY], status=Referral.Status.PROPOSED
        )
        .order_by("acknowledge_by", "pk")[: DASHBOARD_REFERRALS + 1]
    )
    from cases.flags import flag_queue

    return {
        "open_flags": flag_queue(user).count(),
        "my_open_cases": my_open,
        "follow_ups_today": [c for c in follow_ups if c.follow_up_on == today],
        "follow_ups_overdue": [c for c in follow_ups if c.follow_up_on < today],
        "referrals_waiting": waiting[:DASHBOARD_REFERRALS],
        "referrals_more": len(waiting) > DASHBOARD_REFERRALS,
        "today": today,
    }


# --- referrals ---------------------------------------------------------------------


def referrals_visible_to(user: Any) -> QuerySet[Referral]:
    qs = (
        Referral.objects.for_user(user)
        .filter(case__deleted_at__isnull=True)
        .select_related("case", "case__person", "to_agency", "from_agency", "created_by")
    )
    if can_see_cases(user):
        return qs
    for role, program in PROGRAM_OF_ROLE.items():
        if has_role(user, role):
            return qs.filter(Q(to_program=program) | Q(from_program=program))
    return qs.none()


def referral_get_for_user(user: Any, referral_id: int) -> Referral:
    return get_for_user_or_404(referrals_visible_to(user), user, pk=referral_id)


def referral_inbox(user: Any, program: str) -> list[Referral]:
    return list(
        referrals_visible_to(user)
        .filter(to_program=program)
        .order_by(
            # Unanswered first, then by deadline.
            "-status",
            "acknowledge_by",
        )
    )


# --- other records -----------------------------------------------------------------


def consultation_get_for_user(user: Any, consultation_id: int) -> Consultation:
    qs = _case_roles_only(user, Consultation.objects.filter(case__deleted_at__isnull=True))
    return get_for_user_or_404(
        qs.select_related("case", "case__person", "method"), user, pk=consultation_id
    )


def consent_get_for_user(user: Any, consent_id: int) -> Consent:
    qs = _case_roles_only(user, Consent.objects.all()).select_related("person", "case")
    return get_for_user_or_404(qs, user, pk=consent_id)


def plan_get_for_user(user: Any, plan_id: int) -> SupportPlan:
    qs = _case_roles_only(user, SupportPlan.objects.filter(case__deleted_at__isnull=True))
    qs = qs.select_related("case", "case__person", "decided_at_meeting", "lead_agency")
    return get_for_user_or_404(qs.prefetch_related("actions__agency"), user, pk=plan_id)


def meetings_visible_to(user: Any) -> QuerySet[Meeting]:
    return _case_roles_only(user, Meeting.objects.all())


def meeting_get_for_user(user: Any, meeting_id: int) -> Meeting:
    qs = meetings_visible_to(user).prefetch_related(
        Prefetch("attendees", queryset=MeetingAttendee.objects.select_related("agency")),
        Prefetch(
            "case_items",
            queryset=MeetingCase.objects.select_related("case", "case__person", "plan"),
        ),
    )
    return get_for_user_or_404(qs, user, pk=meeting_id)


def household_member_get_for_user(user: Any, member_id: int) -> HouseholdMember:
    qs = _case_roles_only(user, HouseholdMember.objects.select_related("person", "household"))
    return get_for_user_or_404(qs, user, pk=member_id)


def households_visible_to(user: Any) -> QuerySet[Household]:
    return _case_roles_only(user, Household.objects.all())


def agencies_visible_to(user: Any) -> QuerySet[SupportAgency]:
    """Agencies are not personal data: every staff member of the municipality sees them."""
    return SupportAgency.objects.for_user(user).filter(is_active=True)


def case_audit_trail(user: Any, case_id: int) -> tuple[Case, list[AuditEvent], list[CaseEvent]]:
    """Managers only: who viewed and changed the case, and its history."""
    if not has_role(user, Role.MANAGER):
        raise Http404
    case = case_get_for_user(user, case_id)
    audit = list(
        AuditEvent.objects.for_user(user)
        .filter(Q(case_id=case.pk) | Q(person_id=case.person_id))
        .select_related("user")
        .order_by("-at", "-pk")[:500]
    )
    events = list(case.events.select_related("actor").order_by("-at", "-pk"))
    return case, audit, events
