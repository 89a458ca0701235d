"""The cross-program case model: persons, households, cases and everything recorded
about them. Participation and community records point here; they never copy
personal data.

Every row carries ``municipality`` (``municipalities.scoping.TenantModel``); pages and
the API reach these rows only through the scoped queries of each package.
One module per part of the program; everything is re-exported here, so
``from cases.models import Case`` is the way to name a model.
"""

from __future__ import annotations

from cases.models.assessment import Assessment, RelationshipMark
from cases.models.case import (
    Case,
    CaseAgency,
    CaseCategory,
    CaseEvent,
    Consent,
    Consultation,
    EmergencyAccess,
)
from cases.models.collaboration import (
    Meeting,
    MeetingAttendee,
    MeetingCase,
    PlanAction,
    PlanEvaluation,
    Referral,
    SupportPlan,
)
from cases.models.engine import Flag, RuleSetting
from cases.models.master import (
    ConsultationMethod,
    ContactRoute,
    Field,
    IssueCategory,
    MasterData,
    SupportAgency,
    master_data_constraints,
)
from cases.models.people import Household, HouseholdMember, Person, Relationship
from cases.models.statistics import ImplementationPlan, IndicatorTarget, PlanBusiness
from municipalities.scoping import TenantModel

__all__ = [
    "Assessment",
    "Case",
    "CaseAgency",
    "CaseCategory",
    "CaseEvent",
    "Consent",
    "Consultation",
    "ConsultationMethod",
    "ContactRoute",
    "EmergencyAccess",
    "Field",
    "Flag",
    "Household",
    "HouseholdMember",
    "ImplementationPlan",
    "IndicatorTarget",
    "IssueCategory",
    "MasterData",
    "Meeting",
    "MeetingAttendee",
    "MeetingCase",
    "Person",
    "PlanAction",
    "PlanBusiness",
    "PlanEvaluation",
    "Referral",
    "Relationship",
    "RelationshipMark",
    "RuleSetting",
    "SupportAgency",
    "SupportPlan",
    "TenantModel",
    "master_data_constraints",
]
