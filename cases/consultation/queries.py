"""Reads of 包括的相談支援: person search by kanji or kana, duplicate hints, the
caseworker's dashboard and one consultation."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import StrIndex
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from cases.collaboration.queries import referrals_visible_to
from cases.core.queries import (
    can_see_cases,
    case_condition,
    case_condition_by_row,
    case_scoped,
    cases_visible_to,
    person_condition,
    persons_visible_to,
    sees_whole_municipality,
)
from cases.core.text import search_key
from cases.models import (
    Case,
    CaseAgency,
    Consent,
    Consultation,
    ContactRoute,
    EmergencyAccess,
    Person,
    Referral,
)
from cases.programs import AGENCY, CONSULTATION
from municipalities.models import User
from municipalities.scoping import get_for_user_or_404

# What the search's list shows of a person (cases/person_search.html, ``person_row``);
# not their address, contacts or notes. Read as values (``FoundPerson``): fifty persons
# and their cases made as models cost more than the statement.
SEARCH_COLUMNS = ("pk", "name", "name_kana", "birth_date")


@dataclass(frozen=True, slots=True)
class FoundPerson:
    """A person as the name search lists them, with their open cases the searcher may
    see (each with its ``pk`` and ``number``)."""

    pk: int
    name: str
    name_kana: str
    birth_date: datetime.date | None
    open_case_list: list[SimpleNamespace]

    @property
    def age(self) -> int | None:
        return Person.age_of(self.birth_date)


def person_search(
    user: Any, query: str, birth_date: datetime.date | None = None, limit: int = 50
) -> list[FoundPerson]:
    """Persons whose name or kana contains the query in any script or width, with what
    the search's list shows (``SEARCH_COLUMNS``)."""
    condition = search_condition(query, birth_date)
    if condition is None:
        return []
    # Anonymised persons have no name to match (their search columns are empty too).
    qs = persons_visible_to(user).filter(condition, anonymised_at__isnull=True)
    rows = list(qs.order_by("search_kana", "pk").values_list(*SEARCH_COLUMNS)[:limit])
    if not rows:
        return []
    # Each person's open cases the searcher may see, to go straight to them.
    open_cases = (
        Case.objects.filter(case_condition(user), deleted_at__isnull=True)
        .filter(person_id__in=[row[0] for row in rows])
        .exclude(status=Case.Status.CLOSED)
        .order_by("-opened_on", "-pk")
        .values_list("pk", "number", "person_id")
    )
    cases: dict[int, list[SimpleNamespace]] = {}
    for pk, number, person_id in open_cases:
        cases.setdefault(person_id, []).append(SimpleNamespace(pk=pk, number=number))
    return [FoundPerson(*row, cases.get(row[0], [])) for row in rows]


# The shortest key a trigram index can serve (``cases/migrations/0007``).
TRIGRAM_KEY_LENGTH = 3


def search_condition(query: str, birth_date: datetime.date | None) -> Q | None:
    key = search_key(query)
    if not key and birth_date is None:
        return None
    condition = Q()
    if len(key) >= TRIGRAM_KEY_LENGTH:
        condition &= Q(search_name__contains=key) | Q(search_kana__contains=key)
    elif key:
        # A surname of two kanji has no trigram: the index would return every person of
        # the country, and PostgreSQL, estimating a few, took it over the municipality's
        # persons (630 ms at 1,000,000 cases). A substring test no index serves leaves it
        # the municipality's.
        condition &= Q(GreaterThan(StrIndex("search_name", Value(key)), 0)) | Q(
            GreaterThan(StrIndex("search_kana", Value(key)), 0)
        )
    if birth_date is not None:
        condition &= Q(birth_date=birth_date)
    return condition


def _held_elsewhere(user: Any, condition: Q | None) -> QuerySet[Person] | None:
    """Persons of the municipality matching ``condition`` that an agency's caseworker may
    not see (None for the office, who sees everyone, and for other roles)."""
    if condition is None or not can_see_cases(user) or sees_whole_municipality(user):
        return None
    qs = Person.objects.for_user(user).filter(
        condition, deleted_at__isnull=True, anonymised_at__isnull=True
    )
    return qs.exclude(person_condition(user))


def known_to_another_agency(user: Any, condition: Q | None) -> bool:
    """Whether a person matching ``condition`` is held by an agency the user is not on,
    and their consent in force allows saying so: the search and the intake then say
    "ask the 重層 office", never who it is."""
    held = _held_elsewhere(user, condition)
    if held is None:
        return False
    today = timezone.localdate()
    consenting = Consent.objects.filter(person_id=OuterRef("pk"), given_on__lte=today).filter(
        Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=today)
    )
    return held.filter(Exists(consenting)).exists()


def hidden_matches(user: Any, condition: Q | None, limit: int) -> list[Person]:
    """Persons matching ``condition`` the user may not see, whatever their consent: what
    an emergency look (生命・身体の保護) opens. At most ``limit``."""
    held = _held_elsewhere(user, condition)
    return [] if held is None else list(held.order_by("pk")[:limit])


def duplicate_condition(name: str, name_kana: str, birth_date: datetime.date | None) -> Q | None:
    name_key, kana_key = search_key(name), search_key(name_kana)
    condition = Q()
    if name_key:
        condition |= Q(search_name=name_key)
    if kana_key:
        condition |= Q(search_kana=kana_key)
    if birth_date is not None and kana_key:
        condition |= Q(birth_date=birth_date, search_kana__startswith=kana_key[:2])
    return condition or None


def person_duplicates(
    user: Any, *, name: str, name_kana: str, birth_date: datetime.date | None, limit: int = 10
) -> list[Person]:
    """Likely duplicates of a person about to be created: the same name or reading, or
    the same date of birth with a reading that starts alike."""
    condition = duplicate_condition(name, name_kana, birth_date)
    if condition is None:
        return []
    qs = persons_visible_to(user).filter(condition, anonymised_at__isnull=True)
    return list(qs.order_by("search_kana", "pk")[:limit])


DASHBOARD_REFERRALS = 20
DASHBOARD_FLAGS = 99
# The columns the dashboard's lists show (cases/dashboard.html, ``open_case_row``) and
# audit: its open cases are read as values (``OpenCase``), not as a case, person and
# route each.
DASHBOARD_CASE_COLUMNS = (
    "pk",
    "number",
    "status",
    "is_sensitive",
    "opened_on",
    "person__name",
    "route__name",
    "route__name_en",
)
_STATUS_LABELS = dict(Case.Status.choices)


@dataclass(frozen=True, slots=True)
class OpenCase:
    """One of the caseworker's open cases as the dashboard lists it."""

    pk: int
    number: str
    status: str
    is_sensitive: bool
    opened_on: datetime.date
    person_name: str
    route_name: str
    route_name_en: str

    @property
    def person(self) -> SimpleNamespace:
        return SimpleNamespace(name=self.person_name)

    @property
    def route(self) -> str:
        return ContactRoute.label_of(self.route_name, self.route_name_en)

    def get_status_display(self) -> str:
        return str(_STATUS_LABELS.get(self.status, self.status))


DASHBOARD_FOLLOW_UP_FIELDS = ("case_id", "follow_up_on", "case__number", "case__person__name")
DASHBOARD_REFERRAL_FIELDS = (
    "case_id",
    "from_program",
    "to_program",
    "acknowledge_by",
    "case__number",
    "case__person__name",
)


def dashboard(user: User) -> dict[str, Any]:
    today = timezone.localdate()
    cases = cases_visible_to(user)
    # Mine: the cases I am the caseworker of, and those I work at my agency as 関係機関
    # (one sub-select of two index reads, so the planner joins on the case's key).
    mine = (
        Case.objects.filter(assigned_to=user)
        .order_by()
        .values("pk")
        .union(CaseAgency.objects.filter(assigned_to=user).order_by().values("case_id"))
    )
    # What the list shows of each case (and its person and route), no more: a caseworker
    # can have a hundred open cases, each read whole with four related rows before.
    my_open = [
        OpenCase(*row)
        for row in cases.filter(pk__in=mine)
        .exclude(status=Case.Status.CLOSED)
        .order_by("-opened_on")
        .values_list(*DASHBOARD_CASE_COLUMNS)
    ]
    follow_ups = (
        list(
            Consultation.objects.for_user(user)
            .filter(case_condition_by_row(user, "case"))
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
            .select_related("case__person")
            .only(*DASHBOARD_FOLLOW_UP_FIELDS)
            .order_by("follow_up_on")
        )
        if can_see_cases(user)
        else []
    )
    # The oldest waiting referrals, one more than shown to tell that the inbox has more
    # (a large municipality can have thousands waiting; the inbox lists them all).
    waiting = list(
        referrals_visible_to(user, by_row=True)
        .filter(to_program__in=[CONSULTATION, AGENCY], status=Referral.Status.PROPOSED)
        .select_related(None)
        .select_related("case__person")
        .only(*DASHBOARD_REFERRAL_FIELDS)
        .order_by("acknowledge_by", "pk")[: DASHBOARD_REFERRALS + 1]
    )
    from cases.engine.queries import flag_queue

    # The office: emergency looks a manager has not read yet.
    emergency = (
        list(
            EmergencyAccess.objects.for_user(user)
            .filter(reviewed_at__isnull=True)
            .select_related("case", "case__person", "user")
            .order_by("-granted_at")[:DASHBOARD_REFERRALS]
        )
        if sees_whole_municipality(user)
        else []
    )
    return {
        "emergency_looks": emergency,
        # Counted up to one more than shown: "99+" needs no count of tens of thousands.
        "open_flags": flag_queue(user)[: DASHBOARD_FLAGS + 1].count(),
        "open_flags_more": DASHBOARD_FLAGS,
        "my_open_cases": my_open,
        "follow_ups_today": [c for c in follow_ups if c.follow_up_on == today],
        "follow_ups_overdue": [c for c in follow_ups if c.follow_up_on < today],
        "referrals_waiting": waiting[:DASHBOARD_REFERRALS],
        "referrals_more": len(waiting) > DASHBOARD_REFERRALS,
        "today": today,
    }


def consultation_get_for_user(user: Any, consultation_id: int) -> Consultation:
    qs = case_scoped(user, Consultation.objects.filter(case__deleted_at__isnull=True))
    return get_for_user_or_404(
        qs.select_related("case", "case__person", "method"), user, pk=consultation_id
    )
