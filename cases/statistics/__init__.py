"""統計 (statistics): the fiscal-year figures and national indicators; every program
adds its sections and indicators through ``cases.registry``."""

from __future__ import annotations

from portal.lazy import reexport

# What other apps use, and the module it lives in (imported on first use).
_EXPORTS = {
    "Indicator": "queries",
    "Parts": "queries",
    "Period": "queries",
    "Row": "queries",
    "Rows": "queries",
    "Table": "queries",
    "batched": "queries",
    "indicator_key": "queries",
    "municipality_statistics": "queries",
    "part": "queries",
    "per_municipality_part": "queries",
    "run_parts": "queries",
    "scoped": "queries",
    "sum_by_municipality": "queries",
}
__all__ = sorted(_EXPORTS)
__getattr__ = reexport(__name__, _EXPORTS)
