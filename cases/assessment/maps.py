"""What the genogram and the ecomap of a case are drawn from, read in one statement
(``cases.core.timeline.read_case_rows``): the household's members, the agencies on the case,
the supporters the programs link to it (``cases.registry.supporter_providers``), the
latest assessment's named supporters and deceased members, its versions and the
caseworker's marks on the relationships."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.core.timeline import Row, RowKind, as_text, read_case_rows
from cases.models import Assessment, Case, CaseAgency, HouseholdMember, RelationshipMark
from cases.registry import Supporter, supporter_providers


@dataclass
class Member:
    person_id: int
    name: str
    relationship: str
    relationship_label: str
    sex: str
    birth_date: datetime.date | None
    is_self: bool = False
    deceased: bool = False
    is_carer: bool = False
    needs_care: bool = False

    def age_on(self, day: datetime.date) -> int | None:
        b = self.birth_date
        if b is None:
            return None
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


@dataclass
class Version:
    pk: int
    version: int
    assessed_on: datetime.date


@dataclass
class CaseMaps:
    """Everything the two drawings and the assessment card of the case page need."""

    case: Case
    members: list[Member] = field(default_factory=list)
    supporters: list[Supporter] = field(default_factory=list)
    marks: dict[str, str] = field(default_factory=dict)
    versions: list[Version] = field(default_factory=list)

    @property
    def centre_label(self) -> str:
        return self.case.person.name

    def supporter_keys(self) -> list[str]:
        return [s.key for s in self.supporters]


def _member(row: Row) -> Member:
    from cases.models import Relationship

    return Member(
        person_id=row.person_id,
        name=row.name or "",
        relationship=row.relationship,
        relationship_label=str(Relationship(row.relationship).label)
        if row.relationship in Relationship.values
        else row.relationship,
        sex=row.sex or "",
        birth_date=row.birth_date,
        is_carer=bool(row.is_carer),
        needs_care=bool(row.needs_care),
    )


def _agency(row: Row) -> Supporter:
    return Supporter(f"agency:{row.agency_id}", row.name or "", gettext_lazy("Agency"))


def _lead(row: Row) -> Supporter | None:
    if row.agency_id is None:
        return None
    return Supporter(f"agency:{row.agency_id}", row.name or "", gettext_lazy("Lead agency"))


def _latest(row: Row) -> dict[str, Any]:
    return {
        "supporters": json.loads(row.supporters or "[]"),
        "deceased": json.loads(row.deceased or "[]"),
    }


def _version(row: Row) -> Version:
    return Version(pk=row.pk, version=row.version, assessed_on=row.assessed_on)


def _mark(row: Row) -> tuple[str, str]:
    return row.target, row.strength


# The keys of the maps' own kinds of rows (``_kinds``); the programs add their supporters.
OWN_KINDS = frozenset(("member", "lead", "agency", "latest", "version", "mark"))


def _kinds(case: Case) -> list[RowKind]:
    mine = {"municipality_id": case.municipality_id}
    members = HouseholdMember.objects.none()
    if case.household_id:
        members = HouseholdMember.objects.filter(
            household_id=case.household_id, left_at__isnull=True, **mine
        )
    assessments = Assessment.objects.filter(case=case, **mine)
    newest = assessments.order_by("-version").values("pk")[:1]
    return [
        RowKind(
            "member",
            members,
            {
                "person_id": "person_id",
                "name": "person__name",
                "birth_date": "person__birth_date",
                "sex": "person__sex",
                "relationship": "relationship",
                "is_carer": "is_carer",
                "needs_care": "needs_care",
            },
            _member,
        ),
        RowKind(
            "lead",
            Case.objects.filter(pk=case.pk),
            {"agency_id": "lead_agency_id", "name": "lead_agency__name"},
            _lead,
        ),
        RowKind(
            "agency",
            CaseAgency.objects.filter(case_id=case.pk),
            {"agency_id": "agency_id", "name": "agency__name"},
            _agency,
        ),
        RowKind(
            "latest",
            assessments.filter(pk__in=newest),
            {"supporters": as_text("supporters"), "deceased": as_text("deceased")},
            _latest,
        ),
        RowKind(
            "version",
            assessments,
            {"version": "version", "assessed_on": "assessed_on"},
            _version,
        ),
        RowKind(
            "mark",
            RelationshipMark.objects.filter(case=case, **mine),
            {"target": "target", "strength": "strength"},
            _mark,
        ),
    ]


def _named(latest: dict[str, Any]) -> list[Supporter]:
    return [
        Supporter(f"person:{s['name']}", s["name"], s.get("role") or _("Supporter"))
        for s in latest.get("supporters", [])
    ]


def case_maps(case: Case) -> CaseMaps:
    """The genogram's and the ecomap's data of ``case`` (read through the scoped layer
    by the caller), in one query."""

    def kinds_of(case: Case) -> list[RowKind]:
        kinds = _kinds(case)
        for provider in supporter_providers():
            kinds.extend(provider(case))
        return kinds

    rows = read_case_rows(case, kinds_of, "case maps")
    latest = rows["latest"][0] if rows["latest"] else {}
    deceased = set(latest.get("deceased", []))
    members = sorted(rows["member"], key=lambda m: m.person_id)
    for m in members:
        m.is_self = m.person_id == case.person_id
        m.deceased = m.person_id in deceased
    supporters: dict[str, Supporter] = {}
    for s in [*[r for r in rows["lead"] if r], *rows["agency"]]:
        supporters.setdefault(s.key, s)  # the lead agency once, as the lead
    for key, items in rows.items():
        if key not in OWN_KINDS:
            for s in items:
                supporters.setdefault(s.key, s)
    for s in _named(latest):
        supporters.setdefault(s.key, s)
    return CaseMaps(
        case=case,
        members=members,
        supporters=list(supporters.values()),
        marks=dict(rows["mark"]),
        versions=sorted(rows["version"], key=lambda v: v.version, reverse=True),
    )
