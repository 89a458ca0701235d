"""つなぎの仕組み (the referral engine): rules that find cases where one program should
bring in another, the flags they raise, their evaluation and tasks, and the flag pages."""

from __future__ import annotations

from portal.lazy import reexport

# What other apps use, and the module it lives in (imported on first use).
_EXPORTS = {
    "Rule": "rules",
    "case_rows": "rules",
    "has_category": "rules",
    "has_row": "rules",
    "open_cases": "rules",
    "years_before": "rules",
    "evaluate": "flags",
    "resolve_subject": "flags",
    "rule_settings": "flags",
}
__all__ = sorted(_EXPORTS)
__getattr__ = reexport(__name__, _EXPORTS)
