"""Who is on a case, and the rule that gates sharing it (DESIGN §9).

A case has one 主担当機関 (``Case.lead_agency``, its caseworker ``Case.assigned_to``) and
any number of 関係機関 (``Case.agencies``, each with the member of its staff who works the
case there, ``CaseAgency.assigned_to``); their staff see the case
(``cases.core.queries``). Putting an agency on a case shares the person's record with it,
so it needs a basis:

- the person's consent in force on the day, naming that agency and covering the case
  (``consent_covering``); or
- a 支援会議 (社会福祉法 第106条の6) where the case was discussed and the agency attended,
  bound to secrecy — the law's way to share before the person consents. What was
  shared is recorded against that meeting.

Without either, the service refuses and says what is missing. Every change is written
to the case's history and the audit log.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.core.consent import SharingBasis, agency_on_case, sharing_basis
from cases.core.queries import OFFICE_ROLES
from cases.core.services import case_event_append
from cases.models import Case, CaseAgency, EmergencyAccess, Meeting, SupportAgency
from municipalities.audit import audit_change
from municipalities.models import AuditEvent, User
from municipalities.scoping import active_membership, require_role, same_municipality
from portal.errors import CaseRuleError

from .queries import CASE_ROLES


def can_manage_agencies(user: User, case: Case) -> bool:
    """The 重層 office, the case's caseworker and the lead agency's staff decide who is
    on a case."""
    membership = active_membership(user)
    if membership is None or membership.municipality_id != case.municipality_id:
        return False
    if membership.role in OFFICE_ROLES or case.assigned_to_id == user.pk:
        return True
    lead = case.lead_agency
    return lead is not None and lead.organisation_id == membership.organisation_id


def _require_manager_of(user: User, case: Case) -> None:
    require_role(user, *CASE_ROLES)
    if not can_manage_agencies(user, case):
        raise CaseRuleError(
            _("Only the lead agency, the case's caseworker or the office can change this.")
        )


@transaction.atomic
def case_agency_add(
    *, user: User, case: Case, agency: SupportAgency, meeting: Meeting | None = None
) -> SharingBasis:
    """Put an agency on the case as 関係機関, on the basis of consent or a 支援会議."""
    _require_manager_of(user, case)
    same_municipality(case.municipality_id, agency, meeting)
    if not agency.is_active:
        raise CaseRuleError(_("This agency is no longer active."), "agency")
    if agency_on_case(case, agency):
        raise CaseRuleError(_("%(agency)s is already on this case.") % {"agency": agency.name})
    basis = sharing_basis(case, agency, meeting=meeting)
    case.agencies.add(agency, through_defaults={"municipality_id": case.municipality_id})
    case_event_append(case, user, "agency_added", agency=agency.pk, **basis.as_detail())
    audit_change(
        user,
        AuditEvent.Action.UPDATE,
        case,
        case=case,
        agency_added=agency.pk,
        **basis.as_detail(),
    )
    return basis


@transaction.atomic
def case_lead_hand_over(
    *, user: User, case: Case, agency: SupportAgency, meeting: Meeting | None = None
) -> Case:
    """Hand the lead (主担当) to another agency. The previous lead stays on the case as a
    関係機関. An agency not yet on the case needs a basis for sharing, as when added."""
    _require_manager_of(user, case)
    same_municipality(case.municipality_id, agency, meeting)
    if case.lead_agency_id == agency.pk:
        raise CaseRuleError(_("%(agency)s already leads this case.") % {"agency": agency.name})
    if not agency.is_active:
        raise CaseRuleError(_("This agency is no longer active."), "agency")
    detail: dict[str, Any] = {}
    if not case.agencies.filter(pk=agency.pk).exists():
        detail = sharing_basis(case, agency, meeting=meeting).as_detail()
    previous = case.lead_agency
    case.lead_agency = agency
    case.save(update_fields=["lead_agency", "updated_at"])
    case.agencies.remove(agency)
    if previous is not None:
        case.agencies.add(previous, through_defaults={"municipality_id": case.municipality_id})
    case_event_append(
        case,
        user,
        "lead_handed_over",
        agency=agency.pk,
        previous=previous.pk if previous else None,
        **detail,
    )
    audit_change(
        user,
        AuditEvent.Action.UPDATE,
        case,
        case=case,
        lead_agency=agency.pk,
        previous_lead=previous.pk if previous else None,
        **detail,
    )
    return case


@transaction.atomic
def case_agency_remove(*, user: User, case: Case, agency: SupportAgency, reason: str) -> Case:
    """Take an agency off the case (its staff no longer see it). The lead is handed
    over first, never removed."""
    _require_manager_of(user, case)
    if case.lead_agency_id == agency.pk:
        raise CaseRuleError(
            _("The lead agency cannot be removed: hand the lead to another agency first.")
        )
    if not case.agencies.filter(pk=agency.pk).exists():
        raise CaseRuleError(_("%(agency)s is not on this case.") % {"agency": agency.name})
    if not reason.strip():
        raise CaseRuleError(_("Give the reason."), "reason")
    case.agencies.remove(agency)
    case_event_append(case, user, "agency_removed", agency=agency.pk, reason=reason.strip())
    audit_change(
        user,
        AuditEvent.Action.UPDATE,
        case,
        case=case,
        agency_removed=agency.pk,
    )
    return case


def agencies_staff(agencies: list[SupportAgency]):
    """The active caseworkers of the agencies' organisations: who may work a case there
    (each annotated with ``organisation_id``). One query."""
    organisations = [a.organisation_id for a in agencies if a.organisation_id is not None]
    if not organisations:
        return User.objects.none()
    return (
        User.objects.filter(
            is_active=True,
            memberships__is_active=True,
            memberships__organisation_id__in=organisations,
            memberships__municipality_id=agencies[0].municipality_id,
            memberships__role__in=CASE_ROLES,
        )
        .annotate(organisation_id=F("memberships__organisation_id"))
        .order_by("last_name", "first_name", "username")
    )


def can_assign_in(user: User, case: Case, agency: SupportAgency) -> bool:
    """Who works the case inside an agency is for that agency's staff (or the office)."""
    membership = active_membership(user)
    if membership is None or membership.municipality_id != case.municipality_id:
        return False
    if membership.role in OFFICE_ROLES:
        return True
    return (
        agency.organisation_id is not None and agency.organisation_id == membership.organisation_id
    )


@transaction.atomic
def case_agency_assign(
    *, user: User, case: Case, agency: SupportAgency, staff: User | None
) -> CaseAgency:
    """Name the member of an agency's staff who works the case there (None: nobody)."""
    require_role(user, *CASE_ROLES)
    same_municipality(case.municipality_id, agency)
    link = CaseAgency.objects.select_for_update().filter(case=case, agency=agency).first()
    if link is None:
        raise CaseRuleError(_("%(agency)s is not on this case.") % {"agency": agency.name})
    if not can_assign_in(user, case, agency):
        raise CaseRuleError(
            _("Only the staff of %(agency)s or the office choose who works the case there.")
            % {"agency": agency.name}
        )
    if staff is not None and not agencies_staff([agency]).filter(pk=staff.pk).exists():
        raise CaseRuleError(
            _("%(name)s is not a caseworker of %(agency)s.")
            % {"name": str(staff), "agency": agency.name},
            "staff",
        )
    if link.assigned_to_id == (staff.pk if staff else None):
        return link
    previous = link.assigned_to_id
    link.assigned_to = staff
    link.save(update_fields=["assigned_to"])
    detail = {"agency": agency.pk, "staff": staff.pk if staff else None, "previous": previous}
    case_event_append(case, user, "agency_staff_assigned", **detail)
    audit_change(user, AuditEvent.Action.UPDATE, case, case=case, **detail)
    return link


EMERGENCY_MAX_PERSONS = 5


@transaction.atomic
def emergency_look(*, user: User, persons: list, reason: str) -> list[EmergencyAccess]:
    """緊急時の閲覧: open the cases of ``persons`` (not otherwise visible) to the user for
    a day, to protect someone's life or body, with a written reason. Each look is
    audited and waits on the office's dashboard for a manager."""
    require_role(user, *CASE_ROLES)
    reason = reason.strip()
    if len(reason) < 10:
        raise CaseRuleError(
            _("Write why this cannot wait (at least 10 characters): whose life or body is "
              "at risk, and what you need to know."),
            "reason",
        )  # fmt: skip
    if not persons:
        raise CaseRuleError(_("Nobody to open."))
    if len(persons) > EMERGENCY_MAX_PERSONS:
        raise CaseRuleError(
            _("The search matches more than %(n)d persons: add the date of birth or the full name.")
            % {"n": EMERGENCY_MAX_PERSONS},
            "q",
        )
    membership = active_membership(user)
    now = timezone.now()
    looks = []
    for case in Case.objects.filter(
        person__in=persons, municipality_id=membership.municipality_id, deleted_at__isnull=True
    ):
        look = EmergencyAccess.objects.create(
            municipality_id=case.municipality_id,
            case=case,
            user=user,
            reason=reason,
            granted_at=now,
            expires_at=now + datetime.timedelta(hours=EmergencyAccess.HOURS),
        )
        audit_change(
            user,
            AuditEvent.Action.VIEW,
            case,
            case=case,
            emergency=look.pk,
            reason=reason,
        )
        looks.append(look)
    return looks


@transaction.atomic
def emergency_look_review(*, user: User, look: EmergencyAccess) -> EmergencyAccess:
    """A manager has read the reason of an emergency look (it leaves the dashboard)."""
    require_role(user, *OFFICE_ROLES)
    if look.reviewed_at is not None:
        raise CaseRuleError(_("This emergency look has already been reviewed."))
    look.reviewed_by = user
    look.reviewed_at = timezone.now()
    look.save(update_fields=["reviewed_by", "reviewed_at"])
    audit_change(user, AuditEvent.Action.UPDATE, look, case_id=look.case_id, reviewed=True)
    return look
