"""Reads of the referral engine: the flags a user may see, their queue, one flag."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from cases.core.compiled import TODAY_MARK, compiled_rows
from cases.core.queries import OFFICE_ROLES, case_ids_visible_to
from cases.models import Flag, SupportAgency
from cases.registry import all_rules
from municipalities.models import Role, User
from municipalities.scoping import active_membership


def flags_visible_to(user: Any) -> QuerySet[Flag]:
    """Unresolved flags of the user's municipality for their role or assigned to them,
    and for a caseworker those of the rules meant for the case's lead agency
    (``Rule.lead_agency``) about cases their agency leads; the office sees all. Snoozed
    flags come back on their date."""
    ids = _flag_ids(user)
    if ids is None:
        return Flag.objects.none()
    return _visible_flags(*ids)


def _flag_ids(user: Any) -> tuple[Any, ...] | None:
    """What of the user decides which flags they see: their municipality, role, id and
    organisation, and the rules meant for the lead agency; None for nobody's flags."""
    membership = active_membership(user)
    if membership is None or getattr(user, "is_system_admin", False):
        return None
    codes = tuple(rule.code for rule in all_rules() if rule.lead_agency)
    return (membership.municipality_id, membership.role, user.pk, membership.organisation_id, codes)


def _visible_flags(
    municipality_id: int,
    role: str,
    user_id: int,
    organisation_id: int | None,
    lead_codes: tuple[str, ...],
) -> QuerySet[Flag]:
    """``flags_visible_to`` by the user's ids: reads nothing but its arguments, so that
    the queue's statement can be compiled once per user's ids."""
    qs = Flag.objects.filter(municipality_id=municipality_id, resolved_at__isnull=True)
    if role not in OFFICE_ROLES:
        qs = qs.filter(
            Q(audience=role)
            | Q(assigned_to_id=user_id)
            | _lead_agency(role, organisation_id, lead_codes)
        )
    if role == Role.CASEWORKER:
        # Need to know: a flag about a case shows only to those who see the case.
        cases = case_ids_visible_to(organisation_id, municipality_id, user_id)
        qs = qs.filter(Q(case__isnull=True) | Q(case_id__in=cases))
    return qs


def _lead_agency(role: str, organisation_id: int | None, codes: tuple[str, ...]) -> Q:
    """Flags of the rules meant for the lead agency, about the cases the caseworker's
    agency leads (nothing for other roles or staff of no agency)."""
    if role != Role.CASEWORKER or organisation_id is None or not codes:
        return Q(pk__in=[])
    agencies = SupportAgency.objects.filter(organisation_id=organisation_id)
    return Q(rule__in=codes, case__lead_agency_id__in=agencies.values("pk"))


def _in_queue(flags: QuerySet[Flag], today: datetime.date) -> QuerySet[Flag]:
    """The open flags and those back from a snooze by ``today``, oldest first."""
    return flags.filter(
        Q(state=Flag.State.OPEN) | Q(state=Flag.State.SNOOZED, snoozed_until__lte=today)
    ).order_by("raised_at", "pk")


def flag_queue(user: Any, *, today: datetime.date | None = None) -> QuerySet[Flag]:
    return _in_queue(flags_visible_to(user), today or timezone.localdate()).select_related(
        "case", "case__person", "case__assigned_to", "assigned_to"
    )


# The flag queue's rows: what it shows of a flag, its case, person and caseworker
# (cases/templates/cases/flag_queue.html, ``cases.templatetags.flag_badges``), read as
# values. Fifty flags read as models, each with its case, person and staff account, cost
# more in Python than the statement did, and more again to build.
FLAG_QUEUE_COLUMNS = (
    "pk",
    "rule",
    "state",
    "detail",
    "raised_at",
    "case_id",
    "subject_type",
    "subject_id",
    "case__number",
    "case__person__name",
    "case__assigned_to_id",
    *(f"case__assigned_to__{name}" for name in User.NAME_FIELDS),
)


@dataclass(frozen=True, slots=True)
class QueuedCase:
    """A flag's case as the queue shows it: its number, its person's name and its
    caseworker."""

    number: str
    person: SimpleNamespace  # .name
    assigned_to_id: int | None
    names: tuple[str, ...]  # the caseworker's User.NAME_FIELDS

    @property
    def assigned_to(self) -> User | None:
        """The caseworker, for ``str()``."""
        return User.from_names(self.assigned_to_id, self.names)


@dataclass(frozen=True, slots=True)
class QueuedFlag:
    """A flag as the queue shows it: the fields of ``Flag`` the queue reads, and its
    ``rule_title`` and ``subject`` as a flag has them."""

    pk: int
    rule: str
    state: str
    detail: dict[str, Any]
    raised_at: datetime.datetime
    case_id: int | None
    subject_type: str
    subject_id: int | None
    case: QueuedCase | None

    rule_title = property(Flag.rule_title.fget)
    subject = property(Flag.subject.fget)


def _queued(row: tuple[Any, ...]) -> QueuedFlag:
    (pk, rule, state, detail, raised_at, case_id, subject_type, subject_id) = row[:8]
    number, person_name, assigned_to_id, *names = row[8:]
    case = None
    if case_id is not None:
        case = QueuedCase(
            number, SimpleNamespace(name=person_name), assigned_to_id, tuple(n or "" for n in names)
        )
    return QueuedFlag(pk, rule, state, detail, raised_at, case_id, subject_type, subject_id, case)


def flag_queue_page(user: Any, start: int, size: int) -> list[QueuedFlag]:
    """``size`` flags of the user's queue from ``start``, with what the queue shows. Its
    statement is compiled once per user's ids and page (``compiled_rows``): building and
    compiling it took half as long as PostgreSQL took to run it."""
    ids = _flag_ids(user)
    if ids is None:
        return []
    return [_queued(row) for row in compiled_rows(_queue_page, *ids, TODAY_MARK, start, size)]


def _queue_page(*args: Any) -> QuerySet[Flag]:
    """A page of ``flag_queue`` by the user's ids (``_visible_flags``), today's date, the
    first row and the number of rows."""
    *ids, today, start, size = args
    flags = _in_queue(_visible_flags(*ids), today)
    return flags.values_list(*FLAG_QUEUE_COLUMNS)[start : start + size]


def flag_get_for_user(user: Any, flag_id: int) -> Flag:
    from django.http import Http404

    flag = flags_visible_to(user).select_related("case", "case__person").filter(pk=flag_id).first()
    if flag is None:
        raise Http404
    return flag
