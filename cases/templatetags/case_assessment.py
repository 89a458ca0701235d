"""The assessment card of the case page: the versions of the sheet, the genogram and the
ecomap, read in one statement (``cases.assessment.maps``). The case page reads the case
through the scoped layer and audits the view before it renders this."""

from __future__ import annotations

from typing import Any

from django import template

from cases.assessment.drawing import ecomap_svg, genogram_svg
from cases.assessment.maps import case_maps

register = template.Library()


@register.inclusion_tag("cases/_assessment_card.html")
def assessment_card(case: Any) -> dict[str, Any]:
    maps = case_maps(case)
    return {
        "case": case,
        "versions": maps.versions,
        "genogram": genogram_svg(maps),
        "ecomap": ecomap_svg(maps),
    }
