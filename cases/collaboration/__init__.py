"""多機関協働 (multi-agency collaboration): support plans, the 重層的支援会議 and 支援会議,
referrals between programs and agencies, and the agencies themselves."""

from __future__ import annotations

from portal.lazy import reexport

# What other apps use, and the module it lives in (imported on first use).
_EXPORTS = {
    "referral_can_answer": "services",
    "AttendeeData": "services",
    "MeetingItemData": "services",
    "agency_create": "services",
    "can_respond": "services",
    "meeting_record": "services",
    "plan_create": "services",
    "referral_complete": "services",
    "referral_create": "services",
    "referral_respond": "services",
    "PlanItems": "plans",
    "EvaluationEntry": "plans",
    "plan_evaluate": "plans",
    "participation_plan": "plans",
    "require_participation_plan": "plans",
    "referral_get_for_user": "queries",
    "referral_inbox": "queries",
    "referrals_visible_to": "queries",
    "agencies_visible_to": "queries",
}
__all__ = sorted(_EXPORTS)
__getattr__ = reexport(__name__, _EXPORTS)
