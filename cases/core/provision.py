"""情報提供書: a case's record printed for another agency, on paper or as a PDF from the
browser — for the agencies whose staff are not on the portal, and for meetings.

It is a hand-over like any other (DESIGN §9): the person's consent in force must name
the agency and cover the case, or a 支援会議 the agency attended must be its basis
(``cases.core.consent.sharing_basis``). The document says which, and the purpose and
scope the person agreed to; it leaves out the address and phone of a sensitive case
(DV, abuse). Each one is written to the case's history and audited as an export."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.core.consent import SharingBasis, sharing_basis
from cases.core.services import case_event_append
from cases.core.sharing import can_manage_agencies
from cases.models import Case, CaseCategory, Consultation, Meeting, SupportAgency, SupportPlan
from municipalities.audit import audit_write
from municipalities.models import AuditEvent, User
from municipalities.scoping import active_membership, same_municipality
from portal.errors import CaseRuleError
from portal.fiscal import reiwa_date

PERSON, ISSUES, CONSULTATIONS, PLAN = "person", "issues", "consultations", "plan"
SECTIONS = (PERSON, ISSUES, CONSULTATIONS, PLAN)
# Consultations since this many days ago unless the caseworker chooses another day.
DEFAULT_SINCE_DAYS = 90
MOST_CONSULTATIONS = 50


@dataclass
class ProvisionDocument:
    """What the printed 情報提供書 shows."""

    case: Case
    agency: SupportAgency
    basis: SharingBasis
    provided_on: datetime.date
    provided_by: User
    from_organisation: str
    sections: tuple[str, ...]
    since: datetime.date | None
    issues: list[CaseCategory] = field(default_factory=list)
    consultations: list[Consultation] = field(default_factory=list)
    more_consultations: bool = False
    plan: SupportPlan | None = None
    contact_withheld: bool = False

    @property
    def provided_on_label(self) -> str:
        """The date as an official document writes it (令和N年M月D日)."""
        return reiwa_date(self.provided_on)


def _check(user: User, case: Case, agency: SupportAgency, sections: tuple[str, ...]) -> None:
    if not can_manage_agencies(user, case):
        raise CaseRuleError(
            _("Only the lead agency, the case's caseworker or the office can provide the record.")
        )
    same_municipality(case.municipality_id, agency)
    if not agency.is_active:
        raise CaseRuleError(_("This agency is no longer active."), "agency")
    if not sections or not set(sections) <= set(SECTIONS):
        raise CaseRuleError(_("Choose what to provide."), "sections")


@transaction.atomic
def case_provide(
    *,
    user: User,
    case: Case,
    agency: SupportAgency,
    sections: tuple[str, ...],
    meeting: Meeting | None = None,
    since: datetime.date | None = None,
    request: Any = None,
) -> ProvisionDocument:
    """The 情報提供書 of ``case`` for ``agency``, after checking the basis for sharing
    (refused with ``CaseRuleError`` naming what is missing), recorded and audited."""
    _check(user, case, agency, sections)
    today = timezone.localdate()
    if since is not None and since > today:
        raise CaseRuleError(_("The date cannot be in the future."), "since")
    basis = sharing_basis(case, agency, day=today, meeting=meeting)
    document = ProvisionDocument(
        case=case,
        agency=agency,
        basis=basis,
        provided_on=today,
        provided_by=user,
        from_organisation=str(active_membership(user).organisation),
        sections=tuple(s for s in SECTIONS if s in sections),
        since=since if CONSULTATIONS in sections else None,
        contact_withheld=case.is_sensitive,
    )
    _fill(document)
    detail: dict[str, Any] = {
        "what": "information provision",
        "agency": agency.pk,
        "sections": list(document.sections),
        **basis.as_detail(),
    }
    if document.since is not None:
        detail["since"] = document.since.isoformat()
    case_event_append(case, user, "information_provided", **detail)
    audit_write(
        user=user,
        municipality_id=case.municipality_id,
        action=AuditEvent.Action.EXPORT,
        obj=case,
        case_id=case.pk,
        person_id=case.person_id,
        detail=detail,
        request=request,
    )
    return document


def _fill(document: ProvisionDocument) -> None:
    case = document.case
    if ISSUES in document.sections:
        document.issues = list(
            case.case_categories.select_related("category").order_by(
                "-is_primary", "category__sort_order", "pk"
            )
        )
    if CONSULTATIONS in document.sections:
        qs = case.consultations.filter(deleted_at__isnull=True).select_related("method")
        if document.since is not None:
            qs = qs.filter(occurred_at__date__gte=document.since)
        rows = list(qs.order_by("occurred_at", "pk")[: MOST_CONSULTATIONS + 1])
        document.more_consultations = len(rows) > MOST_CONSULTATIONS
        document.consultations = rows[:MOST_CONSULTATIONS]
    if PLAN in document.sections:
        document.plan = (
            case.plans.exclude(status=SupportPlan.Status.SUPERSEDED)
            .select_related("lead_agency")
            .order_by("-version")
            .first()
        )
