"""共通基盤 (the shared core): the person, household and case every program points at,
their history, consent and the master data, with the case page that shows it all."""

from __future__ import annotations

from portal.lazy import reexport

# What other apps use, and the module it lives in (imported on first use).
_EXPORTS = {
    "case_staff_required": "pages",
    "CASE_ROLES": "queries",
    "CASE_OPENING_ROLES": "queries",
    "case_event_append": "services",
    "person_create": "services",
    "person_update": "services",
    "case_open": "services",
    "case_update": "services",
    "case_change_status": "services",
    "allowed_transitions": "services",
    "household_create": "services",
    "household_add_member": "services",
    "consent_record": "services",
    "consent_withdraw": "services",
    "valid_consent_for": "services",
    "agency_of": "queries",
    "consent_covering": "consent",
    "sharing_basis": "consent",
    "case_agency_add": "sharing",
    "case_lead_hand_over": "sharing",
    "case_agency_remove": "sharing",
    "case_agency_assign": "sharing",
    "agencies_staff": "sharing",
    "case_from_reference": "picker",
    "case_choices": "picker",
    "can_manage_agencies": "sharing",
    "emergency_look": "sharing",
    "can_see_cases": "queries",
    "case_condition": "queries",
    "case_scoped": "queries",
    "sees_whole_municipality": "queries",
    "OFFICE_ROLES": "queries",
    "cases_visible_to": "queries",
    "case_get_for_user": "queries",
    "persons_visible_to": "queries",
    "person_get_for_user": "queries",
    "TimelineEntry": "casepage",
    "case_page": "casepage",
    "RowKind": "timeline",
    "Row": "timeline",
    "as_text": "timeline",
    "newest": "timeline",
    "at_hour": "timeline",
    "user_fields": "timeline",
    "user_from": "timeline",
    "PersonForm": "forms",
}
__all__ = sorted(_EXPORTS)
__getattr__ = reexport(__name__, _EXPORTS)
