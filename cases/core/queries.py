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

import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404

from cases.core.compiled import NOW_MARK, OUTER_MARK, compiled_exists, compiled_subselect
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
from municipalities.models import AuditEvent, Role, User
from municipalities.scoping import active_membership, get_for_user_or_404, has_role

# Who sees the whole municipality (the 重層 office) and who works on cases at all.
OFFICE_ROLES = (Role.MANAGER, Role.MULTIAGENCY)
CASE_ROLES = (Role.CASEWORKER, *OFFICE_ROLES)
# Who may record a person and open a case: case staff, and an outreach worker handing a
# person they reached over to consultation (アウトリーチ → つなぎ).
CASE_OPENING_ROLES = (*CASE_ROLES, Role.OUTREACH)
# What a case read leaves unread of its caseworker, who is shown by name only.
CASEWORKER_UNREAD = User.unnamed_fields("assigned_to")


def can_see_cases(user: Any) -> bool:
    return has_role(user, *CASE_ROLES)


def sees_whole_municipality(user: Any) -> bool:
    return has_role(user, *OFFICE_ROLES)


def visible_case_ids(user: Any) -> QuerySet | RawSQL:
    """The ids of the cases a caseworker may see, as a sub-select (not evaluated): the
    union of five index reads — led by their agency, their agency involved, an
    emergency look in force, assigned to them, opened by them — which PostgreSQL hashes
    once for the query that uses it. Compiled once per user's ids
    (``cases.core.compiled``); a list page uses it in several of its queries."""
    membership = active_membership(user)
    if membership is None:
        return Case.objects.none().values("pk")
    return case_ids_visible_to(membership.organisation_id, membership.municipality_id, user.pk)


def case_ids_visible_to(organisation_id: int | None, municipality_id: int, user_id: int) -> RawSQL:
    """``visible_case_ids`` of a caseworker by their ids (for statements compiled once
    per user's ids, which read nothing but their arguments)."""
    return compiled_subselect(
        _visible_case_ids, organisation_id, municipality_id, user_id, NOW_MARK
    )


def _visible_case_ids(
    organisation_id: int, municipality_id: int, user_id: int, now: datetime.datetime
) -> QuerySet:
    agencies = _agencies(organisation_id)
    mine = Case.objects.filter(municipality_id=municipality_id).order_by()
    parts = [
        # An agency is of one municipality: read by (lead_agency, id) alone.
        Case.objects.filter(lead_agency_id__in=agencies).order_by().values("pk"),
        CaseAgency.objects.filter(agency_id__in=agencies).order_by().values("case_id"),
        EmergencyAccess.objects.filter(user_id=user_id, expires_at__gt=now)
        .order_by()
        .values("case_id"),
        mine.filter(assigned_to_id=user_id).values("pk"),
        mine.filter(created_by_id=user_id).values("pk"),
    ]
    return parts[0].union(*parts[1:], all=True)


def _agency_condition(user: Any, case: str = "") -> Q:
    """The cases (rows of Case, or rows whose case is at ``case``) of the user's agency,
    or theirs, for a caseworker (not the office).

    Each part is read by index for the row at hand (``EXISTS`` on the case's id), so a
    search or a list pays for the rows it looks at, not for every case the agency holds:
    PostgreSQL hashes a sub-select only while it fits in memory, and an agency of a
    large city holds tens of thousands of cases. Its sub-selects are compiled once per
    user's ids (``cases.core.compiled``)."""
    membership = active_membership(user)
    if membership is None:
        return Q(pk__in=[])
    organisation_id, user_id = membership.organisation_id, user.pk
    path, key = (f"{case}__", f"{case}_id") if case else ("", "pk")
    return (
        Q(**{f"{path}lead_agency_id__in": compiled_subselect(_agencies, organisation_id)})
        | Q(compiled_exists(_agency_on_case, key, organisation_id, OUTER_MARK))
        | Q(compiled_exists(_emergency_look, key, user_id, NOW_MARK, OUTER_MARK))
        | Q(**{f"{path}assigned_to_id": user_id})
        | Q(**{f"{path}created_by_id": user_id})
    )


# The statements compiled once per user's ids: each reads nothing but its arguments.


def _agencies(organisation_id: int) -> QuerySet:
    return SupportAgency.objects.filter(organisation_id=organisation_id).order_by().values("pk")


def _agency_on_case(organisation_id: int, case_id: int) -> QuerySet:
    return CaseAgency.objects.filter(case_id=case_id, agency_id__in=_agencies(organisation_id))


def _emergency_look(user_id: int, now: datetime.datetime, case_id: int) -> QuerySet:
    return EmergencyAccess.objects.filter(case_id=case_id, user_id=user_id, expires_at__gt=now)


def _agency_q(organisation_id: int, user_id: int, now: datetime.datetime) -> Q:
    """``_agency_condition`` as the ORM writes it, inside the statements below."""
    case_id = OuterRef("pk")
    return (
        Q(lead_agency_id__in=_agencies(organisation_id))
        | Q(Exists(_agency_on_case(organisation_id, case_id)))
        | Q(Exists(_emergency_look(user_id, now, case_id)))
        | Q(assigned_to_id=user_id)
        | Q(created_by_id=user_id)
    )


def _cases_of_person(
    organisation_id: int, user_id: int, now: datetime.datetime, person_id: int
) -> QuerySet:
    return Case.objects.filter(_agency_q(organisation_id, user_id, now), person_id=person_id)


def _households_of_person(
    organisation_id: int, user_id: int, now: datetime.datetime, person_id: int
) -> QuerySet:
    visible = Case.objects.filter(_agency_q(organisation_id, user_id, now))
    return HouseholdMember.objects.filter(person_id=person_id).filter(
        Exists(visible.filter(household_id=OuterRef("household_id")))
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
    "" for Case) that keeps what the user may see inside their municipality. Rows of
    other kinds (flags, consultations, plans …) name their case among the visible cases
    of the municipality: one sub-select, hashed once per query, so that a list or a count
    does not join every case of the country."""
    if sees_whole_municipality(user):
        return Q()
    if not case:
        return _agency_condition(user)
    return Q(**{f"{case}_id__in": visible_case_ids(user)})


def case_condition_by_row(user: Any, case: str) -> Q:
    """``case_condition`` on rows whose case is at ``case``, checked row by row by index
    (``EXISTS`` on the row's case) rather than against every case the agency may see:
    for a query of a few rows, such as the dashboard's follow-ups, where hashing the
    cases of a large agency (thirty thousand at 1,000,000 cases) was most of its time."""
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
    those cases' households, and persons they registered themselves. ``EXISTS`` on the
    person's id, read by index for each person the query looks at; compiled once per
    user's ids (``cases.core.compiled``)."""
    if sees_whole_municipality(user):
        return Q()
    membership = active_membership(user)
    if membership is None:
        return Q(pk__in=[])
    key = f"{person}_id" if person else "pk"
    ids = (membership.organisation_id, user.pk, NOW_MARK, OUTER_MARK)
    registered = {f"{person}__created_by_id" if person else "created_by_id": user.pk}
    return (
        Q(compiled_exists(_cases_of_person, key, *ids))
        | Q(compiled_exists(_households_of_person, key, *ids))
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
    return qs.select_related("person", "route", "assigned_to", "lead_agency").defer(
        *CASEWORKER_UNREAD
    )


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
    key = OuterRef(f"{household}_id" if household else "pk")
    return Q(Exists(Case.objects.filter(_agency_condition(user), household_id=key)))


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
