"""包括的相談支援 (comprehensive consultation): the consultations caseworkers log, the
intake that opens a case, person search and the caseworker's dashboard."""

from __future__ import annotations

from portal.lazy import reexport

# What other apps use, and the module it lives in (imported on first use).
_EXPORTS = {
    "ConsultationData": "services",
    "consultation_log": "services",
    "consultation_amend": "services",
    "consultation_withdraw": "services",
    "intake_record": "services",
    "person_search": "queries",
    "person_duplicates": "queries",
}
__all__ = sorted(_EXPORTS)
__getattr__ = reexport(__name__, _EXPORTS)
