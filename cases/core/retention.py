"""Retention: anonymising the personal data of people whose support ended long ago.

Each municipality sets how many years closed cases are kept
(``Municipality.case_retention_years``). What is anonymised, and what is kept:

- **Who.** A person is anonymised when none of their cases is open and their most
  recent closure is more than the retention period before ``as_of``. The retention
  clock runs from the person's *last* closure: while any case of theirs is open or
  still inside the period, nothing of theirs is anonymised, not even the free text of
  their older cases, because caseworkers read a person's whole history when support
  resumes (継続的支援) and a half-anonymised record would mislead them.
  A household member without any case of their own (a parent recorded in the 8050
  household of their son's case) goes with the last person of the household: when every
  case of every household they belong to is anonymised, and no other member stays.
  Persons known only from a resident's concern, with no case and no household, are not
  touched here: the concern keeps its own life cycle in ``community``.
- **What is blanked.** Names, kana, address, phone numbers, e-mail and the stated sex
  become the marker (or empty where a marker would be invalid, as for e-mail); the date of
  birth is reduced to 1 January of the birth year (no statistic reads it; the year still
  gives an age band). Free text about the person is replaced by the marker: consultation
  notes and visitors, consents, plans (the national form's items too) with their actions
  and evaluations, the case's reason for closing, notes on meetings, referrals and flags,
  household notes, and the program apps' notes
  (each app registers an anonymiser in ``cases.registry``). A household's name, address
  and notes are blanked once every case and every member of it is anonymised, and a
  meeting's minutes once every case it discussed is.
- **What is kept.** Ids, case numbers, categories, routes, methods, statuses, dates and
  counts, so that the statistics of past fiscal years do not change.
- **Case history.** ``CaseEvent`` rows are append-only for the services; anonymisation is
  the one sanctioned exception: the free-text values in their ``data`` (reasons,
  amended summaries, names) are replaced by the marker, codes and ids are kept, and no
  row is added or removed.
- **Audit trail.** Audit events are never changed (the hash chain proves it). Each
  anonymisation appends one event per person, by the system (no user), listing the
  cases. Audit details may still hold earlier values of edited fields; the audit log
  has its own retention, outside this task.

Anonymisation is idempotent (rows already marked ``anonymised_at`` are skipped) and runs
in one transaction per person.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from cases.assessment.services import anonymise_assessments
from cases.models import (
    Case,
    CaseEvent,
    Consent,
    Consultation,
    Flag,
    Household,
    HouseholdMember,
    Meeting,
    MeetingCase,
    Person,
    PlanAction,
    PlanEvaluation,
    Referral,
    SupportPlan,
)
from cases.registry import anonymisers
from municipalities.audit import audit_write
from municipalities.models import AuditEvent, Municipality
from portal.anonymise import MARKER, blank_text

# Keys of ``CaseEvent.data`` (at any depth) whose values are free text or names.
EVENT_TEXT_KEYS = frozenset(
    {"name", "reason", "summary", "notes", "note", "menu", "observation", "concern_note"}
)


def retention_cutoff(as_of: datetime.date, years: int) -> datetime.date:
    """The last closure date still inside the retention period on ``as_of``: a case
    closed on this day is kept, a case closed the day before is past retention."""
    try:
        return as_of.replace(year=as_of.year - years)
    except ValueError:  # 29 February
        return as_of.replace(year=as_of.year - years, day=28)


def persons_past_retention(municipality: Municipality, as_of: datetime.date) -> QuerySet[Person]:
    """Persons of the municipality to anonymise on ``as_of``, in one query: not yet
    anonymised, no open case, at least one case, and the last closure before the cutoff."""
    cutoff = retention_cutoff(as_of, municipality.case_retention_years)
    open_case = Case.objects.filter(person=OuterRef("pk")).filter(
        ~Q(status=Case.Status.CLOSED) | Q(closed_on__isnull=True)
    )
    return (
        Person.objects.filter(municipality=municipality, anonymised_at__isnull=True)
        .filter(~Exists(open_case))
        .annotate(last_closed=Max("cases__closed_on"))
        .filter(last_closed__lt=cutoff)
        .order_by("pk")
    )


@dataclass
class PersonPlan:
    person_id: int
    last_closed: datetime.date | None
    case_numbers: list[str]
    household: bool = False  # a household member without cases of their own


def household_members_going_with(
    municipality: Municipality, person_ids: set[int]
) -> list[tuple[int, datetime.date]]:
    """Household members without any case of their own (a parent or child recorded in a
    case's household) who go with the persons being anonymised: every case of every
    household they belong to is anonymised already or about to be. Returns (person id,
    the last closure among those cases)."""
    if not person_ids:
        return []
    going = Case.objects.filter(person_id__in=person_ids)
    households = going.exclude(household=None).values("household_id")
    members = (
        HouseholdMember.objects.filter(household_id__in=households)
        .filter(person__anonymised_at__isnull=True, person__municipality=municipality)
        .exclude(person_id__in=person_ids)
        .exclude(Exists(Case.objects.filter(person_id=OuterRef("person_id"))))
        .values_list("person_id", flat=True)
        .distinct()
    )
    member_ids = set(members)
    if not member_ids:
        return []
    memberships: dict[int, set[int]] = {}
    for person_id, household_id in HouseholdMember.objects.filter(
        person_id__in=member_ids
    ).values_list("person_id", "household_id"):
        memberships.setdefault(person_id, set()).add(household_id)
    all_households = set().union(*memberships.values())
    cases_of: dict[int, list[tuple[int, datetime.date | None, bool]]] = {}
    for household_id, person_id, closed_on, anonymised in Case.objects.filter(
        household_id__in=all_households
    ).values_list("household_id", "person_id", "closed_on", "anonymised_at"):
        cases_of.setdefault(household_id, []).append((person_id, closed_on, anonymised is not None))
    # A household stays while any member is neither anonymised, nor going, nor caseless.
    staying_households = set(
        HouseholdMember.objects.filter(household_id__in=all_households, person__anonymised_at=None)
        .exclude(person_id__in=person_ids | member_ids)
        .values_list("household_id", flat=True)
    )
    result = []
    for person_id in sorted(member_ids):
        if memberships[person_id] & staying_households:
            continue
        cases = [c for h in memberships[person_id] for c in cases_of.get(h, [])]
        if cases and all(anonymised or owner in person_ids for owner, _c, anonymised in cases):
            result.append((person_id, max((c for _o, c, _a in cases if c), default=None)))
    return result


@dataclass
class MunicipalityResult:
    code: str
    name: str
    retention_years: int
    cutoff: datetime.date
    persons: list[PersonPlan] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def case_count(self) -> int:
        return sum(len(p.case_numbers) for p in self.persons)


def _redact(data: Any) -> Any:
    if isinstance(data, dict):
        return {
            key: (MARKER if key in EVENT_TEXT_KEYS and isinstance(value, str) and value else
                  _redact(value))
            for key, value in data.items()
        }  # fmt: skip
    if isinstance(data, list):
        return [_redact(item) for item in data]
    return data


def _anonymise_cases(municipality_id: int, case_ids: list[int], person_ids: list[int]) -> dict:
    rows: dict[str, int] = {}
    cases = Case.objects.filter(pk__in=case_ids)
    rows["case"] = blank_text(cases, ["close_reason"])
    consultations = Consultation.objects.filter(case_id__in=case_ids)
    rows["consultation"] = blank_text(consultations, ["summary", "visitor_name"])
    # Contact details go entirely (a marker is no phone number).
    consultations.exclude(visitor_relationship="", visitor_phone="").update(
        visitor_relationship="", visitor_phone=""
    )
    consents = Consent.objects.filter(Q(case_id__in=case_ids) | Q(person_id__in=person_ids))
    rows["consent"] = blank_text(consents, ["purpose", "scope", "witness", "withdrawal_note"])
    plans = SupportPlan.objects.filter(case_id__in=case_ids)
    rows["plan"] = blank_text(
        plans,
        ["goals", "decision_note", "wishes", "issues", "long_term_goal", "short_term_goal"],
    )
    rows["plan_action"] = blank_text(
        PlanAction.objects.filter(plan__case_id__in=case_ids), ["action"]
    )
    rows["plan_evaluation"] = blank_text(
        PlanEvaluation.objects.filter(plan__case_id__in=case_ids), ["goal", "next_step"]
    )
    rows["meeting_case"] = blank_text(MeetingCase.objects.filter(case_id__in=case_ids), ["note"])
    rows["referral"] = blank_text(
        Referral.objects.filter(case_id__in=case_ids), ["reason", "response_note"]
    )
    rows["flag"] = blank_text(Flag.objects.filter(case_id__in=case_ids), ["note", "resolution"])
    rows["household_member"] = blank_text(
        HouseholdMember.objects.filter(person_id__in=person_ids), ["notes"]
    )
    # History rows keep their kind, codes and ids; only free-text values are replaced.
    events = []
    for event in CaseEvent.objects.filter(case_id__in=case_ids).only("pk", "data"):
        redacted = _redact(event.data)
        if redacted != event.data:
            event.data = redacted
            events.append(event)
    CaseEvent.objects.bulk_update(events, ["data"], batch_size=500)
    rows["case_event"] = len(events)
    rows.update(anonymise_assessments(case_ids, MARKER))
    for anonymiser in anonymisers():
        for label, count in anonymiser(
            municipality_id=municipality_id,
            case_ids=case_ids,
            person_ids=person_ids,
            marker=MARKER,
        ).items():
            rows[label] = rows.get(label, 0) + count
    return rows


def _anonymise_shared(case_ids: list[int], person_id: int) -> dict[str, int]:
    """Households once every case and every member of theirs is anonymised; meetings once
    every case they discussed is."""
    live_case = Case.objects.filter(anonymised_at__isnull=True)
    live_member = HouseholdMember.objects.filter(person__anonymised_at__isnull=True)
    households = (
        Household.objects.filter(Q(cases__pk__in=case_ids) | Q(members__person_id=person_id))
        .exclude(Exists(live_case.filter(household=OuterRef("pk"))))
        .exclude(Exists(live_member.filter(household=OuterRef("pk"))))
    )
    meetings = Meeting.objects.filter(cases__pk__in=case_ids).exclude(
        Exists(MeetingCase.objects.filter(meeting=OuterRef("pk"), case__anonymised_at__isnull=True))
    )
    household_ids = list(households.values_list("pk", flat=True).distinct())
    meeting_ids = list(meetings.values_list("pk", flat=True).distinct())
    return {
        "household": blank_text(
            Household.objects.filter(pk__in=household_ids), ["name", "address", "notes"]
        ),
        "meeting": blank_text(Meeting.objects.filter(pk__in=meeting_ids), ["notes"]),
    }


@transaction.atomic
def person_anonymise(
    *,
    person_id: int,
    cutoff: datetime.date,
    reason: str = "retention",
    now: datetime.datetime | None = None,
) -> dict[str, int]:
    """Anonymise one person and all their cases. Does nothing if the person is already
    anonymised or, checked again under the row lock, now has an open case or one closed
    on or after ``cutoff`` (a case reopened since the scan)."""
    now = now or timezone.now()
    person = Person.objects.select_for_update().filter(pk=person_id).first()
    if person is None or person.anonymised_at is not None:
        return {}
    live = Case.objects.filter(person_id=person_id).filter(
        ~Q(status=Case.Status.CLOSED) | Q(closed_on__isnull=True) | Q(closed_on__gte=cutoff)
    )
    if live.exists():
        return {}
    case_ids = list(Case.objects.filter(person_id=person_id).values_list("pk", flat=True))
    rows = _anonymise_cases(person.municipality_id, case_ids, [person_id])
    birth_date = person.birth_date.replace(month=1, day=1) if person.birth_date else None
    Person.objects.filter(pk=person_id).update(
        name=MARKER,
        name_kana=MARKER if person.name_kana else "",
        search_name="",
        search_kana="",
        birth_date=birth_date,
        sex_note="",
        address=MARKER if person.address else "",
        phone_home="",
        phone_mobile="",
        email="",
        anonymised_at=now,
        version=F("version") + 1,
    )
    Case.objects.filter(pk__in=case_ids).update(anonymised_at=now, version=F("version") + 1)
    for label, count in _anonymise_shared(case_ids, person_id).items():
        rows[label] = rows.get(label, 0) + count
    audit_write(
        user=None,
        municipality_id=person.municipality_id,
        action=AuditEvent.Action.ANONYMISE,
        obj=person,
        person_id=person_id,
        detail={
            "reason": reason,
            "cases": sorted(case_ids),
            "rows": {k: v for k, v in sorted(rows.items()) if v},
        },
    )
    return rows


def municipalities_with_closed_cases() -> QuerySet[Municipality]:
    """The municipalities with a closed case not yet anonymised: the only ones where a
    person can be past the retention period."""
    with_closed = Case.objects.filter(status=Case.Status.CLOSED, anonymised_at__isnull=True)
    return Municipality.objects.filter(pk__in=with_closed.values("municipality_id")).order_by(
        "code"
    )


def anonymise_expired(
    *,
    as_of: datetime.date | None = None,
    municipality_code: str | None = None,
    dry_run: bool = False,
) -> list[MunicipalityResult]:
    """Find, per municipality, the persons past retention and (unless ``dry_run``)
    anonymise them, one transaction per person. Returns what was (or would be) done."""
    as_of = as_of or timezone.localdate()
    municipalities = municipalities_with_closed_cases()
    if municipality_code:
        municipalities = municipalities.filter(code=municipality_code)
    results = []
    for municipality in municipalities:
        candidates = list(persons_past_retention(municipality, as_of).values("pk", "last_closed"))
        if not candidates:
            continue
        numbers: dict[int, list[str]] = {}
        for person_id, number in (
            Case.objects.filter(person_id__in=[c["pk"] for c in candidates])
            .order_by("number")
            .values_list("person_id", "number")
        ):
            numbers.setdefault(person_id, []).append(number)
        result = MunicipalityResult(
            code=municipality.code,
            name=str(municipality),
            retention_years=municipality.case_retention_years,
            cutoff=retention_cutoff(as_of, municipality.case_retention_years),
            persons=[
                PersonPlan(c["pk"], c["last_closed"], numbers.get(c["pk"], [])) for c in candidates
            ],
        )
        members = household_members_going_with(municipality, {c["pk"] for c in candidates})
        result.persons += [PersonPlan(pk, last, [], household=True) for pk, last in members]
        if not dry_run:
            now = timezone.now()
            for plan in result.persons:
                for label, count in person_anonymise(
                    person_id=plan.person_id,
                    cutoff=result.cutoff,
                    reason="retention (household member)" if plan.household else "retention",
                    now=now,
                ).items():
                    result.rows[label] = result.rows.get(label, 0) + count
        results.append(result)
    return results
