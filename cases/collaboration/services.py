"""Writes of 多機関協働: support plans, meetings and their decisions, referrals between
programs and agencies, and the register of agencies."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

# Plans and meetings have their own modules; their writes are re-exported here.
from cases.collaboration.meetings import (
    PLAN_DECISIONS as PLAN_DECISIONS,
)
from cases.collaboration.meetings import (
    AttendeeData as AttendeeData,
)
from cases.collaboration.meetings import (
    MeetingItemData as MeetingItemData,
)
from cases.collaboration.meetings import (
    meeting_record as meeting_record,
)
from cases.collaboration.meetings import (
    plan_for_decision as plan_for_decision,
)
from cases.collaboration.plans import (
    EvaluationEntry as EvaluationEntry,
)
from cases.collaboration.plans import (
    PlanItems as PlanItems,
)
from cases.collaboration.plans import (
    participation_plan as participation_plan,
)
from cases.collaboration.plans import (
    plan_create as plan_create,
)
from cases.collaboration.plans import (
    plan_evaluate as plan_evaluate,
)
from cases.collaboration.plans import (
    plan_reviews as plan_reviews,
)
from cases.collaboration.plans import (
    require_participation_plan as require_participation_plan,
)
from cases.core.consent import (
    agency_on_case,
    sharing_basis,
)
from cases.core.queries import CASE_ROLES, OFFICE_ROLES
from cases.core.services import case_event_append
from cases.models import (
    Case,
    Referral,
    SupportAgency,
)
from cases.programs import AGENCY
from cases.registry import get_program, receiving_roles
from municipalities.audit import audit_change
from municipalities.models import AuditEvent, Municipality, Organisation, User
from municipalities.scoping import active_membership, require_role, same_municipality
from portal.errors import CaseRuleError

REFERRAL_ACKNOWLEDGE_DAYS = 3


@transaction.atomic
def referral_create(
    *,
    user: User,
    case: Case,
    from_program: str,
    to_program: str,
    reason: str,
    to_agency: SupportAgency | None = None,
    from_agency: SupportAgency | None = None,
    acknowledge_within_days: int = REFERRAL_ACKNOWLEDGE_DAYS,
) -> Referral:
    if get_program(from_program) is None or get_program(to_program) is None:
        raise CaseRuleError(_("Unknown program."), "to_program")
    if from_program == to_program and to_program != AGENCY:
        raise CaseRuleError(_("A referral goes to another program."), "to_program")
    if to_program == AGENCY and to_agency is None:
        raise CaseRuleError(_("Choose the receiving agency."), "to_agency")
    if not reason.strip():
        raise CaseRuleError(_("Give the reason for the referral."), "reason")
    if not case.is_open:
        raise CaseRuleError(_("A closed case cannot be referred. Reopen it first."))
    same_municipality(case.municipality_id, to_agency, from_agency)
    open_same = Referral.objects.filter(
        case=case,
        to_program=to_program,
        to_agency=to_agency,
        status__in=[Referral.Status.PROPOSED, Referral.Status.ACCEPTED],
    )
    if open_same.exists():
        raise CaseRuleError(
            _("This case already has an open referral to the same destination."), "to_program"
        )
    basis: dict[str, Any] = {}
    if to_agency is not None and not agency_on_case(case, to_agency):
        # A referral shows the person to the receiving agency: it needs the consent.
        basis = sharing_basis(case, to_agency, field="to_agency").as_detail()
    referral = Referral.objects.create(
        municipality_id=case.municipality_id,
        case=case,
        from_program=from_program,
        from_agency=from_agency,
        to_program=to_program,
        to_agency=to_agency,
        reason=reason.strip(),
        acknowledge_by=timezone.localdate() + datetime.timedelta(days=acknowledge_within_days),
        created_by=user,
    )
    case_event_append(case, user, "referral_created", referral=referral.pk, to=to_program, **basis)
    audit_change(
        user,
        AuditEvent.Action.CREATE,
        referral,
        case_id=case.pk,
        person_id=case.person_id,
        **basis,
    )
    return referral


def referral_can_answer(referral: Referral) -> bool:
    """The receiving side can still accept or decline the referral."""
    return referral.status == Referral.Status.PROPOSED


def referral_can_complete(referral: Referral) -> bool:
    """The receiving side can mark the referral completed."""
    return referral.status == Referral.Status.ACCEPTED


def can_respond(user: User, referral: Referral) -> bool:
    """The receiving side answers: staff of the receiving program, and for a referral to
    an agency whose staff are on the portal, that agency's staff or the 重層 office."""
    membership = active_membership(user)
    if (
        membership is None
        or membership.municipality_id != referral.municipality_id
        or membership.role not in receiving_roles(referral.to_program)
    ):
        return False
    agency = referral.to_agency
    if agency is None or agency.organisation_id is None or membership.role in OFFICE_ROLES:
        return True
    return membership.organisation_id == agency.organisation_id


@transaction.atomic
def referral_respond(*, user: User, referral: Referral, accept: bool, note: str = "") -> Referral:
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if not can_respond(user, referral):
        raise CaseRuleError(_("Only the receiving side can answer this referral."))
    if not referral_can_answer(referral):
        raise CaseRuleError(_("This referral has already been answered."))
    if not accept and not note.strip():
        raise CaseRuleError(_("Give the reason for declining."), "note")
    referral.status = Referral.Status.ACCEPTED if accept else Referral.Status.DECLINED
    referral.responded_by = user
    referral.responded_at = timezone.now()
    referral.response_note = note.strip()
    referral.save()
    if (
        accept
        and referral.to_agency is not None
        and not agency_on_case(referral.case, referral.to_agency)
    ):
        # The agency that took the referral is on the case from now on (関係機関).
        referral.case.agencies.add(
            referral.to_agency, through_defaults={"municipality_id": referral.case.municipality_id}
        )
    case_event_append(
        referral.case, user, "referral_answered", referral=referral.pk, status=referral.status
    )
    audit_change(user, AuditEvent.Action.UPDATE, referral, case_id=referral.case_id)
    return referral


@transaction.atomic
def referral_complete(*, user: User, referral: Referral, note: str = "") -> Referral:
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if not can_respond(user, referral):
        raise CaseRuleError(_("Only the receiving side can answer this referral."))
    if not referral_can_complete(referral):
        raise CaseRuleError(_("Only an accepted referral can be completed."))
    referral.status = Referral.Status.COMPLETED
    referral.completed_at = timezone.now()
    if note.strip():
        referral.response_note = note.strip()
    referral.save()
    case_event_append(referral.case, user, "referral_completed", referral=referral.pk)
    audit_change(user, AuditEvent.Action.UPDATE, referral, case_id=referral.case_id)
    return referral


@transaction.atomic
def agency_create(
    *,
    user: User,
    municipality: Municipality,
    name: str,
    field: str,
    kind: str = "",
    contact: str = "",
    organisation: Organisation | None = None,
) -> SupportAgency:
    """Register an agency; with ``organisation``, that organisation's staff are its staff
    on the portal (they see the cases the agency is on)."""
    require_role(user, *CASE_ROLES)
    if SupportAgency.objects.filter(municipality=municipality, name=name.strip()).exists():
        raise CaseRuleError(_("An agency with this name already exists."), "name")
    same_municipality(municipality.pk, organisation)
    if (
        organisation is not None
        and SupportAgency.objects.filter(organisation=organisation).exists()
    ):
        raise CaseRuleError(_("This organisation already runs another agency."), "organisation")
    agency = SupportAgency.objects.create(
        municipality=municipality,
        name=name.strip(),
        field=field,
        kind=kind,
        contact=contact,
        organisation=organisation,
    )
    audit_change(
        user, AuditEvent.Action.CREATE, agency, organisation=getattr(organisation, "pk", None)
    )
    return agency
