"""The rule that gates sharing a case with an agency (DESIGN §9): the person's consent
in force naming that agency, or a 支援会議 (社会福祉法 第106条の6) that discussed the case
with the agency attending, bound to secrecy. Reads only; the services that share call it
and record the basis."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, Consent, Meeting, SupportAgency
from portal.errors import CaseRuleError


@dataclass(frozen=True)
class SharingBasis:
    """Why an agency may see a case: a consent or a 支援会議 (exactly one is set)."""

    consent: Consent | None = None
    meeting: Meeting | None = None

    def as_detail(self) -> dict[str, Any]:
        if self.consent is not None:
            return {"basis": "consent", "consent": self.consent.pk}
        return {"basis": "support_meeting", "meeting": self.meeting.pk}


def consent_covering(case: Case, agency: SupportAgency, day: datetime.date) -> Consent | None:
    """The person's consent in force on ``day`` that names ``agency`` and covers this
    case (a consent without a case covers all of the person's cases). Whatever its legal
    basis (本人同意, 共同利用, 法令), sharing reaches only the agencies it names."""
    return (
        Consent.objects.filter(
            person_id=case.person_id,
            agencies=agency,
            given_on__lte=day,
        )
        .filter(Q(case__isnull=True) | Q(case_id=case.pk))
        .filter(Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=day))
        .order_by("-given_on", "-pk")
        .first()
    )


def sharing_basis(
    case: Case,
    agency: SupportAgency,
    *,
    day: datetime.date | None = None,
    meeting: Meeting | None = None,
    field: str = "agency",
) -> SharingBasis:
    """The basis for sharing the case with ``agency``, or ``CaseRuleError`` naming what
    is missing. With ``meeting``, that 支援会議 must be the basis."""
    day = day or timezone.localdate()
    if meeting is not None:
        if not _discussed(meeting, case, agency):
            raise CaseRuleError(
                _(
                    "%(agency)s did not attend the support meeting that discussed case "
                    "%(case)s bound to secrecy; it cannot be the basis for sharing."
                )
                % {"agency": agency.name, "case": case.number},
                field,
            )
        return SharingBasis(meeting=meeting)
    consent = consent_covering(case, agency, day)
    if consent is not None:
        return SharingBasis(consent=consent)
    raise CaseRuleError(
        _(
            "No consent of the person in force names %(agency)s for case %(case)s. Record "
            "the person's consent naming this agency, or share it under a support meeting "
            "(art. 106-6) it attended."
        )
        % {"agency": agency.name, "case": case.number},
        field,
    )


def _discussed(meeting: Meeting, case: Case, agency: SupportAgency) -> bool:
    return (
        meeting.kind == Meeting.Kind.SUPPORT
        and meeting.case_items.filter(case=case).exists()
        and meeting.attendees.filter(agency=agency, secrecy_acknowledged=True).exists()
    )


def agency_on_case(case: Case, agency: SupportAgency) -> bool:
    """The agency leads the case or is one of its agencies involved: it already sees it."""
    return case.lead_agency_id == agency.pk or case.agencies.filter(pk=agency.pk).exists()
