"""Tenant-scoped reads of the shared core: the only way pages and the API reach persons,
cases and what is recorded about them.

Need to know (DESIGN §9). The municipality's 重層 office — managers and the 多機関協働
team — sees every case of its municipality. Caseworkers work for an agency (their
organisation's ``SupportAgency``) and see the cases that agency is on, as 主担当機関
(``Case.lead_agency``) or as 関係機関 (``Case.agencies``), the cases they opened or are
assigned to, and the persons they registered. Coordinators and community workers see
only referrals to (or from) their program (``cases.collaboration``). System
administrators see nothing. Anything else is the same 404 as a missing record.

Visibility is a condition in the query (a join or a sub-select), never a filter in
Python, so a page costs the same number of queries whoever reads it."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from cases.models import (
    Case,
    CaseAgency,
    CaseEvent,
    Consent,
    EmergencyAccess,
    Household,
    HouseholdMember,
    Person,
    SupportAgency,
)
from municipalities.models import AuditEvent, Role
from municipalities.scoping import active_membership, get_for_user_or_404, has_role

# Who sees the whole municipality (the 重層 office) and who works on cases at all.
OFFICE_ROLES = (Role.MANAGER, Role.MULTIAGENCY)
CASE_ROLES = (Role.CASEWORKER, *OFFICE_ROLES)


def can_see_cases(user: Any) -> bool:
    return has_role(user, *CASE_ROLES)


def sees_whole_municipality(user: Any) -> bool:
    return has_role(user, *OFFICE_ROLES)


def visible_case_ids(user: Any) -> QuerySet:
    """The ids of the cases a caseworker may see, as a sub-select (not evaluated)."""
    return _agency_cases(user).values("pk")


def _agency_cases(user: Any) -> QuerySet[Case]:
    return Case.objects.filter(_agency_condition(user))


def _agency_condition(user: Any, case: str = "") -> Q:
    """The cases of the user's agency, or theirs, for a caseworker (not the office).
    ``case`` is the path from the queried model to its case ("" for Case itself)."""
    membership = active_membership(user)
    if membership is None:
        return Q(pk__in=[])
    prefix = f"{case}__" if case else ""
    on_case = CaseAgency.objects.filter(agency__organisation_id=membership.organisation_id).values(
        "case_id"
    )
    emergency = EmergencyAccess.objects.filter(
        user_id=user.pk, expires_at__gt=timezone.now()
    ).values("case_id")
    return (
        Q(**{f"{prefix}lead_agency__organisation_id": membership.organisation_id})
        | Q(**{f"{prefix}pk__in": on_case})
        | Q(**{f"{prefix}pk__in": emergency})
        | Q(**{f"{prefix}assigned_to_id": user.pk})
        | Q(**{f"{prefix}created_by_id": user.pk})
    )


def agency_of(user: Any) -> SupportAgency | None:
    """The agency the user works in: their organisation's, if it is one."""
    membership = active_membership(user)
    if membership is None:
        return None
    return SupportAgency.objects.filter(
        organisation_id=membership.organisation_id, is_active=True
    ).first()


def case_condition(user: Any, case: str = "") -> Q:
    """The condition on a query of ``case``-related rows (``case`` the path to the case,
    "" for Case) that keeps what the user may see inside their municipality."""
    if sees_whole_municipality(user):
        return Q()
    return _agency_condition(user, case)


def case_scoped(user: Any, qs: QuerySet, case: str = "case") -> QuerySet:
    """Rows reached through a case: the user's municipality, and for an agency's staff
    only the cases their agency is on."""
    if not can_see_cases(user):
        return qs.none()
    return qs.for_user(user).filter(case_condition(user, case))


def person_condition(user: Any, person: str = "") -> Q:
    """Persons an agency's staff may see: those of a case they see, the other members of
    those cases' households, and persons they registered themselves."""
    if sees_whole_municipality(user):
        return Q()
    key = f"{person}_id" if person else "pk"
    cases = _agency_cases(user)
    in_households = HouseholdMember.objects.filter(
        household_id__in=cases.exclude(household_id=None).values("household_id")
    ).values("person_id")
    registered = {f"{person}__created_by_id" if person else "created_by_id": user.pk}
    return (
        Q(**{f"{key}__in": cases.values("person_id")})
        | Q(**{f"{key}__in": in_households})
        | Q(**registered)
    )


def case_roles_only(user: Any, qs: QuerySet) -> QuerySet:
    """Rows of the municipality that are not about one person (meetings, households …):
    case roles only. Callers add the need-to-know condition of their rows."""
    return qs.for_user(user) if can_see_cases(user) else qs.none()


def persons_visible_to(user: Any) -> QuerySet[Person]:
    qs = case_roles_only(user, Person.objects.filter(deleted_at__isnull=True))
    return qs.filter(person_condition(user)) if can_see_cases(user) else qs


def person_get_for_user(user: Any, person_id: int) -> Person:
    return get_for_user_or_404(persons_visible_to(user), user, pk=person_id)


def person_page(user: Any, person_id: int) -> dict[str, Any]:
    person = person_get_for_user(user, person_id)
    cases = list(
        person.cases.filter(case_condition(user), deleted_at__isnull=True)
        .select_related("route", "assigned_to")
        .order_by("-opened_on")
    )
    consents = list(person.consents.prefetch_related("agencies").order_by("-given_on"))
    return {"person": person, "cases": cases, "consents": consents}


def cases_visible_to(user: Any) -> QuerySet[Case]:
    qs = case_scoped(user, Case.objects.filter(deleted_at__isnull=True), case="")
    return qs.select_related("person", "route", "assigned_to", "lead_agency")


def can_see_case(user: Any, case_id: int) -> bool:
    return cases_visible_to(user).filter(pk=case_id).exists()


def case_get_for_user(user: Any, case_id: int) -> Case:
    return get_for_user_or_404(cases_visible_to(user), user, pk=case_id)


def consent_get_for_user(user: Any, consent_id: int) -> Consent:
    qs = case_roles_only(user, Consent.objects.filter(person_condition(user, "person")))
    qs = qs.select_related("person", "case")
    return get_for_user_or_404(qs, user, pk=consent_id)


def household_member_get_for_user(user: Any, member_id: int) -> HouseholdMember:
    qs = case_roles_only(user, HouseholdMember.objects.filter(_household_condition(user)))
    qs = qs.select_related("person", "household")
    return get_for_user_or_404(qs, user, pk=member_id)


def _household_condition(user: Any, household: str = "household") -> Q:
    if sees_whole_municipality(user):
        return Q()
    cases = _agency_cases(user).exclude(household_id=None)
    key = f"{household}_id" if household else "pk"
    return Q(**{f"{key}__in": cases.values("household_id")})


def households_visible_to(user: Any) -> QuerySet[Household]:
    qs = case_roles_only(user, Household.objects.all())
    return qs.filter(_household_condition(user, "")) if can_see_cases(user) else qs


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
