"""Reads of the assessment, through the case's scoped layer (need to know included):
the assessment page, its print and the API reach an assessment only through its case."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from cases.assessment.maps import CaseMaps, case_maps
from cases.core.queries import case_get_for_user, case_scoped
from cases.models import Assessment, Case


def assessments_visible_to(user: Any) -> QuerySet[Assessment]:
    return (
        case_scoped(user, Assessment.objects.all())
        .select_related("recorded_by")
        .prefetch_related("agencies_present")
        .order_by("case", "-version")
    )


@dataclass
class AssessmentPage:
    case: Case
    maps: CaseMaps
    assessment: Assessment | None  # None: none recorded yet


def _version(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        raise Http404 from None


def assessment_page(user: Any, case_id: int, version: Any = None) -> AssessmentPage:
    """The case (404 for anyone who may not see it), what its drawings need, and the
    assessment of ``version`` (the latest when None; 404 for a version it does not
    have)."""
    case = case_get_for_user(user, case_id)
    maps = case_maps(case)
    wanted = _version(version)
    if wanted is None and not maps.versions:
        return AssessmentPage(case, maps, None)
    number = maps.versions[0].version if wanted is None else wanted
    assessment = (
        Assessment.objects.filter(case=case, version=number, municipality_id=case.municipality_id)
        .select_related("recorded_by")
        .prefetch_related("agencies_present")
        .first()
    )
    if assessment is None:
        raise Http404
    return AssessmentPage(case, maps, assessment)
