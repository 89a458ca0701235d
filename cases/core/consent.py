"""The rule that gates sharing a case with an agency (DESIGN §9): the person's consent
in force naming that agency, or a 支援会議 (社会福祉法 第106条の6) that discussed the case
with the agency attending, bound to secrecy. Reads only; the services that share call it
and record the basis."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, CaseAgency, Consent, Meeting, SupportAgency
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


def in_force(day: datetime.date) -> Q:
    """A consent given by ``day`` and not withdrawn by then (withdrawal stops sharing from
    that day on)."""
    return Q(given_on__lte=day) & (Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=day))


def meeting_consents(day: datetime.date) -> QuerySet[Consent]:
    """Consents that let a case be discussed at a 重層的支援会議 on ``day``: the person's own
    (本人同意), covering the meeting, in force."""
    return Consent.objects.filter(
        in_force(day),
        covers_multiagency_meeting=True,
        legal_basis=Consent.LegalBasis.CONSENT,
    )


def cases_with_meeting_consent(cases: Sequence[Case], day: datetime.date) -> set[int]:
    """The ids of ``cases`` whose person's consent covers a 重層的支援会議 on ``day``. One
    query whatever the number of cases."""
    by_person: dict[int, list[Case]] = {}
    for case in cases:
        by_person.setdefault(case.person_id, []).append(case)
    covered: set[int] = set()
    rows = meeting_consents(day).filter(person_id__in=by_person).values_list("person_id", "case_id")
    for person_id, consent_case in rows:
        covered |= {c.pk for c in by_person[person_id] if consent_case in (None, c.pk)}
    return covered


def covered_pairs(
    cases: Sequence[Case], agencies: Sequence[SupportAgency], day: datetime.date
) -> set[tuple[int, int]]:
    """The (case id, agency id) pairs where the agency may hear the case on ``day``: it
    leads it or is on it, or a consent in force names it and covers the case. Two
    queries whatever the numbers of cases and agencies."""
    case_ids = [c.pk for c in cases]
    agency_ids = [a.pk for a in agencies]
    pairs = {(c.pk, c.lead_agency_id) for c in cases if c.lead_agency_id is not None}
    pairs |= set(
        CaseAgency.objects.filter(case_id__in=case_ids, agency_id__in=agency_ids).values_list(
            "case_id", "agency_id"
        )
    )
    by_person: dict[int, list[Case]] = {}
    for case in cases:
        by_person.setdefault(case.person_id, []).append(case)
    named = Consent.agencies.through.objects.filter(
        supportagency_id__in=agency_ids,
        consent__person_id__in=by_person,
        consent__given_on__lte=day,
    ).filter(Q(consent__withdrawn_on__isnull=True) | Q(consent__withdrawn_on__gt=day))
    for person_id, consent_case, agency_id in named.values_list(
        "consent__person_id", "consent__case_id", "supportagency_id"
    ):
        pairs |= {(c.pk, agency_id) for c in by_person[person_id] if consent_case in (None, c.pk)}
    return pairs


def consent_covering(case: Case, agency: SupportAgency, day: datetime.date) -> Consent | None:
    """The person's consent in force on ``day`` that names ``agency`` and covers this
    case (a consent without a case covers all of the person's cases). Whatever its legal
    basis (本人同意, 共同利用, 法令), sharing reaches only the agencies it names."""
    return (
        Consent.objects.filter(in_force(day), person_id=case.person_id, agencies=agency)
        .filter(Q(case__isnull=True) | Q(case_id=case.pk))
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
    return (
        case.lead_agency_id == agency.pk
        or CaseAgency.objects.filter(case_id=case.pk, agency_id=agency.pk).exists()
    )
