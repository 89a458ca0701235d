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
import functools
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
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
# Who may record a person and open a case: case staff, and an outreach worker handing a
# person they reached over to consultation (アウトリーチ → つなぎ).
CASE_OPENING_ROLES = (*CASE_ROLES, Role.OUTREACH)


def can_see_cases(user: Any) -> bool:
    return has_role(user, *CASE_ROLES)


def sees_whole_municipality(user: Any) -> bool:
    return has_role(user, *OFFICE_ROLES)


def visible_case_ids(user: Any) -> QuerySet | RawSQL:
    """The ids of the cases a caseworker may see, as a sub-select (not evaluated): the
    union of five index reads — led by their agency, their agency involved, an
    emergency look in force, assigned to them, opened by them — which PostgreSQL hashes
    once for the query that uses it.

    The statement is compiled once per user (``_visible_case_ids_sql``: a pure function
    of the ids it is given) and the time now put in its place; a list page uses it in
    several of its queries."""
    membership = active_membership(user)
    if membership is None:
        return Case.objects.none().values("pk")
    sql, params = _visible_case_ids_sql(
        connections[DEFAULT_DB_ALIAS].vendor,
        membership.organisation_id,
        membership.municipality_id,
        user.pk,
    )
    now = connections[DEFAULT_DB_ALIAS].ops.adapt_datetimefield_value(timezone.now())
    # The ORM's own statement, every value a parameter.
    return RawSQL(sql, tuple(now if p is _NOW else p for p in params))  # noqa: S611


# Stands for the time now in the compiled statement (a moment no row is stamped with).
_NOW_MARK = datetime.datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=datetime.UTC)
_NOW = object()


@functools.lru_cache(maxsize=4096)
def _visible_case_ids_sql(
    vendor: str, organisation_id: int, municipality_id: int, user_id: int
) -> tuple[str, tuple[Any, ...]]:
    """The statement of ``visible_case_ids`` for these ids, with ``_NOW`` where the time
    now goes. Everything it depends on is in its arguments, so the cache can never give
    one user's statement to another."""
    agencies = SupportAgency.objects.filter(organisation_id=organisation_id)
    mine = Case.objects.filter(municipality_id=municipality_id).order_by()
    parts = [
        # An agency is of one municipality: read by (lead_agency, id) alone.
        Case.objects.filter(lead_agency_id__in=agencies.values("pk")).order_by().values("pk"),
        CaseAgency.objects.filter(agency_id__in=agencies.values("pk")).order_by().values("case_id"),
        EmergencyAccess.objects.filter(user_id=user_id, expires_at__gt=_NOW_MARK)
        .order_by()
        .values("case_id"),
        mine.filter(assigned_to_id=user_id).values("pk"),
        mine.filter(created_by_id=user_id).values("pk"),
    ]
    union = parts[0].union(*parts[1:], all=True)
    sql, params = union.query.get_compiler(DEFAULT_DB_ALIAS).as_sql()
    mark = connections[DEFAULT_DB_ALIAS].ops.adapt_datetimefield_value(_NOW_MARK)
    if [p == mark for p in params].count(True) != 1:
        raise AssertionError("the time now must be in the statement once")
    return sql, tuple(_NOW if p == mark else p for p in params)


def _agency_condition(user: Any, case: str = "") -> Q:
    """The cases of the user's agency, or theirs, for a caseworker (not the office).
    ``case`` is the path from the queried model to its case ("" for Case itself).

    Each part is read by index for the row at hand (``EXISTS`` on the case's id), so a
    search or a list pays for the rows it looks at, not for every case the agency holds:
    PostgreSQL hashes a sub-select only while it fits in memory, and an agency of a
    large city holds tens of thousands of cases."""
    membership = active_membership(user)
    if membership is None:
        return Q(pk__in=[])
    prefix = f"{case}__" if case else ""
    case_id = OuterRef(f"{case}_id" if case else "pk")
    agencies = SupportAgency.objects.filter(organisation_id=membership.organisation_id)
    on_case = CaseAgency.objects.filter(case_id=case_id, agency_id__in=agencies.values("pk"))
    emergency = EmergencyAccess.objects.filter(
        case_id=case_id, user_id=user.pk, expires_at__gt=timezone.now()
    )
    return (
        Q(**{f"{prefix}lead_agency_id__in": agencies.values("pk")})
        | Q(Exists(on_case))
        | Q(Exists(emergency))
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
    "" for Case) that keeps what the user may see inside their municipality. Rows of
    other kinds (flags, consultations, plans …) name their case among the visible cases
    of the municipality: one sub-select, hashed once per query, so that a list or a count
    does not join every case of the country."""
    if sees_whole_municipality(user):
        return Q()
    if not case:
        return _agency_condition(user)
    return Q(**{f"{case}_id__in": visible_case_ids(user)})


def case_scoped(user: Any, qs: QuerySet, case: str = "case") -> QuerySet:
    """Rows reached through a case: the user's municipality, and for an agency's staff
    only the cases their agency is on."""
    if not can_see_cases(user):
        return qs.none()
    return qs.for_user(user).filter(case_condition(user, case))


def person_condition(user: Any, person: str = "") -> Q:
    """Persons an agency's staff may see: those of a case they see, the other members of
    those cases' households, and persons they registered themselves. ``EXISTS`` on the
    person's id, read by index for each person the query looks at."""
    if sees_whole_municipality(user):
        return Q()
    key = OuterRef(f"{person}_id" if person else "pk")
    visible = Case.objects.filter(_agency_condition(user))
    in_household = HouseholdMember.objects.filter(person_id=key).filter(
        Exists(visible.filter(household_id=OuterRef("household_id")))
    )
    registered = {f"{person}__created_by_id" if person else "created_by_id": user.pk}
    return Q(Exists(visible.filter(person_id=key))) | Q(Exists(in_household)) | Q(**registered)


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
