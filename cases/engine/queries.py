"""Reads of the referral engine: the flags a user may see, their queue, one flag."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from cases.core.queries import OFFICE_ROLES, case_condition
from cases.models import Flag, SupportAgency
from cases.registry import all_rules
from municipalities.models import Role, User
from municipalities.scoping import active_membership


def flags_visible_to(user: Any) -> QuerySet[Flag]:
    """Unresolved flags of the user's municipality for their role or assigned to them,
    and for a caseworker those of the rules meant for the case's lead agency
    (``Rule.lead_agency``) about cases their agency leads; the office sees all. Snoozed
    flags come back on their date."""
    membership = active_membership(user)
    if membership is None or getattr(user, "is_system_admin", False):
        return Flag.objects.none()
    qs = Flag.objects.filter(municipality_id=membership.municipality_id, resolved_at__isnull=True)
    if membership.role not in OFFICE_ROLES:
        qs = qs.filter(Q(audience=membership.role) | Q(assigned_to=user) | _lead_agency(membership))
    if membership.role == Role.CASEWORKER:
        # Need to know: a flag about a case shows only to those who see the case.
        qs = qs.filter(Q(case__isnull=True) | case_condition(user, "case"))
    return qs


def _lead_agency(membership: Any) -> Q:
    """Flags of the rules meant for the lead agency, about the cases the caseworker's
    agency leads (nothing for other roles or staff of no agency)."""
    codes = [rule.code for rule in all_rules() if rule.lead_agency]
    if membership.role != Role.CASEWORKER or membership.organisation_id is None or not codes:
        return Q(pk__in=[])
    agencies = SupportAgency.objects.filter(organisation_id=membership.organisation_id)
    return Q(rule__in=codes, case__lead_agency_id__in=agencies.values("pk"))


def flag_queue(user: Any, *, today: datetime.date | None = None) -> QuerySet[Flag]:
    today = today or timezone.localdate()
    return (
        flags_visible_to(user)
        .filter(Q(state=Flag.State.OPEN) | Q(state=Flag.State.SNOOZED, snoozed_until__lte=today))
        .select_related("case", "case__person", "case__assigned_to", "assigned_to")
        .order_by("raised_at", "pk")
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
        if self.assigned_to_id is None:
            return None
        return User(pk=self.assigned_to_id, **dict(zip(User.NAME_FIELDS, self.names, strict=True)))


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
    """``size`` flags of the user's queue from ``start``, with what the queue shows."""
    rows = flag_queue(user).values_list(*FLAG_QUEUE_COLUMNS)[start : start + size]
    return [_queued(row) for row in rows]


def flag_get_for_user(user: Any, flag_id: int) -> Flag:
    from django.http import Http404

    flag = flags_visible_to(user).select_related("case", "case__person").filter(pk=flag_id).first()
    if flag is None:
        raise Http404
    return flag
