"""Tenant-scoped reads of the shared core: the only way pages and the API reach persons,
cases and what is recorded about them.

Caseworkers and managers see everything of their own municipality. Coordinators and
community workers see only referrals to (or from) their program (``cases.collaboration``).
System administrators see nothing. Anything else is a 404."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from cases.models import Case, CaseEvent, Consent, Household, HouseholdMember, Person
from municipalities.models import AuditEvent, Role
from municipalities.scoping import get_for_user_or_404, has_role

CASE_ROLES = (Role.CASEWORKER, Role.MANAGER)


def can_see_cases(user: Any) -> bool:
    return has_role(user, *CASE_ROLES)


def case_roles_only(user: Any, qs: QuerySet) -> QuerySet:
    return qs.for_user(user) if can_see_cases(user) else qs.none()


def persons_visible_to(user: Any) -> QuerySet[Person]:
    return case_roles_only(user, Person.objects.filter(deleted_at__isnull=True))


def person_get_for_user(user: Any, person_id: int) -> Person:
    return get_for_user_or_404(persons_visible_to(user), user, pk=person_id)


def person_page(user: Any, person_id: int) -> dict[str, Any]:
    person = person_get_for_user(user, person_id)
    cases = list(
        person.cases.filter(deleted_at__isnull=True)
        .select_related("route", "assigned_to")
        .order_by("-opened_on")
    )
    consents = list(person.consents.prefetch_related("agencies").order_by("-given_on"))
    return {"person": person, "cases": cases, "consents": consents}


def cases_visible_to(user: Any) -> QuerySet[Case]:
    return case_roles_only(user, Case.objects.filter(deleted_at__isnull=True)).select_related(
        "person", "route", "assigned_to"
    )


def case_get_for_user(user: Any, case_id: int) -> Case:
    return get_for_user_or_404(cases_visible_to(user), user, pk=case_id)


def consent_get_for_user(user: Any, consent_id: int) -> Consent:
    qs = case_roles_only(user, Consent.objects.all()).select_related("person", "case")
    return get_for_user_or_404(qs, user, pk=consent_id)


def household_member_get_for_user(user: Any, member_id: int) -> HouseholdMember:
    qs = case_roles_only(user, HouseholdMember.objects.select_related("person", "household"))
    return get_for_user_or_404(qs, user, pk=member_id)


def households_visible_to(user: Any) -> QuerySet[Household]:
    return case_roles_only(user, Household.objects.all())


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
