"""Tenant-scoped reads of consultation support: the only way pages and the API reach
persons, cases and what is recorded about them.

Caseworkers and managers see everything of their own municipality. Coordinators and
community workers see only referrals to (or from) their program, with the person's
name and contact and the referral's reason. System administrators see nothing.
Anything else is a 404.
"""

from __future__ import annotations

import datetime
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
    Flag,
    Household,
    HouseholdMember,
    Meeting,
    MeetingAttendee,
    MeetingCase,
    Person,
    PlanAction,
    Program,
    Referral,
    SupportAgency,
    SupportPlan,
)
from cases.registry import timeline_providers
from cases.text import search_key
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
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def case_page(user: Any, case_id: int, case: Case | None = None) -> dict[str, Any]:
    """Everything the case page shows, in a fixed number of queries. ``case``: the case
    already read through ``case_get_for_user`` (saves one query)."""
    if case is None or case.pk != case_id:
        case = case_get_for_user(user, case_id)
    categories = list(
        CaseCategory.objects.filter(case=case)
        .select_related("category")
        .order_by("-is_primary", "category__sort_order")
    )
    consultations = list(
        Consultation.objects.filter(case=case)
        .select_related("method", "staff")
        .order_by("-occurred_at", "-pk")
    )
    plans = list(
        SupportPlan.objects.filter(case=case)
        .select_related("decided_at_meeting", "lead_agency", "created_by")
        .prefetch_related(Prefetch("actions", queryset=PlanAction.objects.select_related("agency")))
        .order_by("-version")
    )
    meeting_items = list(
        MeetingCase.objects.filter(case=case)
        .select_related("meeting", "plan")
        .order_by("-meeting__held_on")
    )
    referrals = list(
        Referral.objects.filter(case=case)
        .select_related("to_agency", "from_agency", "created_by", "responded_by")
        .order_by("-created_at")
    )
    members = []
    if case.household_id:
        members = list(
            HouseholdMember.objects.filter(household_id=case.household_id, left_at__isnull=True)
            .select_related("person")
            .order_by("pk")
        )
    consents = list(
        Consent.objects.filter(person_id=case.person_id)
        .filter(Q(case__isnull=True) | Q(case=case))
        .prefetch_related("agencies")
        .order_by("-given_on")
    )
    agencies = list(case.agencies.all())
    status_events = list(
        CaseEvent.objects.filter(case=case, kind="status_changed")
        .select_related("actor")
        .order_by("at")
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
    for provider in timeline_providers():
        timeline.extend(provider(case))
    timeline.sort(key=lambda t: t.at, reverse=True)

    flags = list(
        Flag.objects.filter(case=case, resolved_at__isnull=True)
        .exclude(state=Flag.State.DISMISSED)
        .order_by("raised_at")
    )
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
