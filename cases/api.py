"""The API routes of ``cases``, package by package (``portal.api_urls`` registers them)."""

from __future__ import annotations

from cases.assessment.api import ROUTES as ASSESSMENT
from cases.collaboration.api import ROUTES as COLLABORATION
from cases.consultation.api import ROUTES as CONSULTATION
from cases.core.api import ROUTES as CORE
from cases.engine.api import ROUTES as ENGINE

_ORDER = (
    "persons", "cases", "consultations", "consents", "plans", "meetings", "referrals",
    "households", "flags", "agencies", "assessments",
)  # fmt: skip
_ALL = [*CORE, *CONSULTATION, *COLLABORATION, *ENGINE, *ASSESSMENT]
ROUTES = sorted(_ALL, key=lambda r: _ORDER.index(r[0]))
