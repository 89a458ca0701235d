"""Writes of the assessment: a new version of the sheet, the caseworker's marks on the
relationships of the ecomap. One transaction each, with the case's history and the
audit event."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.assessment.domains import DOMAIN_KEYS, PART_KEYS
from cases.core.queries import CASE_ROLES
from cases.core.services import case_event_append
from cases.models import Assessment, Case, HouseholdMember, RelationshipMark, SupportAgency
from municipalities.audit import audit_change
from municipalities.models import AuditEvent, User
from municipalities.scoping import require_role, same_municipality
from portal.anonymise import blank_text
from portal.errors import CaseRuleError

MOST_SUPPORTERS = 30
SUPPORTER_TEXT = 50


def _clean_domains(domains: dict[str, Any]) -> dict[str, dict[str, str]]:
    unknown = set(domains) - set(DOMAIN_KEYS)
    if unknown:
        raise CaseRuleError(_("Unknown assessment domain: %(keys)s") % {"keys": sorted(unknown)})
    cleaned = {}
    for key in DOMAIN_KEYS:
        parts = domains.get(key) or {}
        cleaned[key] = {p: str(parts.get(p) or "").strip() for p in PART_KEYS}
    return cleaned


def _clean_supporters(supporters: Iterable[dict[str, str]]) -> list[dict[str, str]]:
    cleaned = []
    for item in supporters:
        name = str(item.get("name") or "").strip()
        role = str(item.get("role") or "").strip()
        if not name:
            continue
        if len(name) > SUPPORTER_TEXT or len(role) > SUPPORTER_TEXT:
            raise CaseRuleError(
                _("A supporter's name and role take at most 50 characters each."), "supporters"
            )
        cleaned.append({"name": name, "role": role})
    if len(cleaned) > MOST_SUPPORTERS:
        raise CaseRuleError(_("Name at most 30 supporters."), "supporters")
    return cleaned


def _check_deceased(case: Case, deceased: Iterable[int]) -> list[int]:
    ids = sorted({int(pk) for pk in deceased})
    if not ids:
        return []
    members = set(
        HouseholdMember.objects.filter(
            household_id=case.household_id, person_id__in=ids
        ).values_list("person_id", flat=True)
        if case.household_id
        else []
    )
    if set(ids) - members:
        raise CaseRuleError(_("Choose members of the case's household."), "deceased")
    return ids


def _check(case: Case, wishes: str, assessed_on: datetime.date) -> None:
    if not case.is_open:
        raise CaseRuleError(_("A closed case cannot get a new assessment. Reopen it first."))
    if not wishes.strip():
        raise CaseRuleError(
            _("Write the person's wishes in their own words (or that they could not be heard)."),
            "wishes",
        )
    if assessed_on > timezone.localdate():
        raise CaseRuleError(_("The date cannot be in the future."), "assessed_on")


@transaction.atomic
def assessment_record(
    *,
    user: User,
    case: Case,
    assessed_on: datetime.date,
    wishes: str,
    life_history: str = "",
    domains: dict[str, Any] | None = None,
    staff_present: str = "",
    person_present: bool = False,
    family_present: str = "",
    agencies: Iterable[SupportAgency] = (),
    supporters: Iterable[dict[str, str]] = (),
    deceased: Iterable[int] = (),
) -> Assessment:
    """Record the case's assessment as its next version; the earlier versions stay."""
    require_role(user, *CASE_ROLES)
    _check(case, wishes, assessed_on)
    agencies = list(agencies)
    same_municipality(case.municipality_id, *agencies)
    cleaned_domains = _clean_domains(domains or {})
    cleaned_supporters = _clean_supporters(supporters)
    deceased_ids = _check_deceased(case, deceased)
    # One version after the other, even with two caseworkers saving at once.
    Case.objects.select_for_update().filter(pk=case.pk).values_list("pk").first()
    last = case.assessments.aggregate(v=Max("version"))["v"] or 0
    assessment = Assessment.objects.create(
        municipality_id=case.municipality_id,
        case=case,
        version=last + 1,
        assessed_on=assessed_on,
        wishes=wishes.strip(),
        life_history=life_history.strip(),
        domains=cleaned_domains,
        staff_present=staff_present.strip(),
        person_present=person_present,
        family_present=family_present.strip(),
        supporters=cleaned_supporters,
        deceased=deceased_ids,
        recorded_by=user,
    )
    assessment.agencies_present.set(agencies)
    case_event_append(case, user, "assessment_recorded", version=assessment.version)
    audit_change(user, AuditEvent.Action.CREATE, assessment, case=case, version=assessment.version)
    return assessment


@transaction.atomic
def relationship_marks_set(
    *, user: User, case: Case, marks: dict[str, str], allowed: Iterable[str]
) -> int:
    """Mark the ties between the person and supporters on the ecomap as strong, weak or
    strained (``marks``: {supporter key: strength}, keys among ``allowed``, the keys now
    on the ecomap); an empty strength removes the mark. Returns how many changed."""
    require_role(user, *CASE_ROLES)
    allowed = set(allowed)
    if set(marks) - allowed:
        raise CaseRuleError(_("Choose a supporter shown on the ecomap."), "target")
    if set(marks.values()) - {"", *RelationshipMark.Strength.values}:
        raise CaseRuleError(_("Choose strong, weak or strained."), "strength")
    current = dict(case.relationship_marks.values_list("target", "strength"))
    changed = {k: v for k, v in marks.items() if current.get(k, "") != v}
    for target, strength in sorted(changed.items()):
        if strength:
            RelationshipMark.objects.update_or_create(
                case=case,
                target=target,
                defaults={
                    "municipality_id": case.municipality_id,
                    "strength": strength,
                    "marked_by": user,
                },
            )
        else:
            RelationshipMark.objects.filter(case=case, target=target).delete()
    if changed:
        # The history keeps the kinds of tie, not the supporters' names (anonymisation).
        case_event_append(
            case, user, "relationships_marked", strengths=sorted(set(changed.values()) - {""})
        )
        audit_change(user, AuditEvent.Action.UPDATE, case, case=case, relationships=changed)
    return len(changed)


def anonymise_assessments(case_ids: list[int], marker: str) -> dict[str, int]:
    """Retention (``cases.core.retention``): blank the free text of the cases'
    assessments — the domains and the named supporters too — and drop the marks on ties
    with named people (their key is the name); dates, versions and who took part from
    which agency stay."""
    assessments = Assessment.objects.filter(case_id__in=case_ids)
    rows = blank_text(
        assessments, ["wishes", "life_history", "staff_present", "family_present"], marker
    )
    changed = []
    for a in assessments.only("pk", "domains", "supporters"):
        domains = {
            key: {part: marker if text else "" for part, text in parts.items()}
            for key, parts in a.domains.items()
        }
        supporters = [
            {"name": marker, "role": marker if s.get("role") else ""} for s in a.supporters
        ]
        if domains != a.domains or supporters != a.supporters:
            a.domains, a.supporters = domains, supporters
            changed.append(a)
    Assessment.objects.bulk_update(changed, ["domains", "supporters"], batch_size=200)
    marks, _kinds = RelationshipMark.objects.filter(
        case_id__in=case_ids, target__startswith="person:"
    ).delete()
    return {"assessment": max(rows, len(changed)), "relationship_mark": marks}
