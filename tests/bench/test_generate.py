"""The synthetic data set: deterministic for a seed, valid against the model rules."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction

from bench.generate import allocate, generate, load_names, size_weight
from bench.generate_data import Refused, generate_data
from cases.models import Case, CaseCategory, Consultation, Person, SupportPlan
from participation.models import Assignment
from tests.factories import MunicipalityFactory

TODAY = datetime.date(2026, 11, 27)


@pytest.fixture
def municipalities(db):
    return [
        MunicipalityFactory(code="272035", prefecture="大阪府", name="豊中市"),
        MunicipalityFactory(code="322016", prefecture="島根県", name="松江市"),
        MunicipalityFactory(code="331007", prefecture="岡山県", name="岡山市"),
    ]


def _snapshot(seed: int, municipalities) -> dict:
    """Generate, read back counts and the first rows, then roll everything back."""
    with transaction.atomic():
        result = generate(60, seed=seed, today=TODAY, municipalities=municipalities)
        snapshot = {
            "rows": result.rows,
            "persons": list(
                Person.objects.order_by("municipality__code", "pk").values_list(
                    "name", "name_kana", "birth_date"
                )[:20]
            ),
            "cases": list(
                Case.objects.order_by("municipality__code", "pk").values_list(
                    "number", "status", "opened_on"
                )[:20]
            ),
        }
        transaction.set_rollback(True)
    return snapshot


def test_same_seed_gives_the_same_data_and_another_seed_other_data(municipalities):
    first = _snapshot(1, municipalities)
    again = _snapshot(1, municipalities)
    other = _snapshot(2, municipalities)
    assert first == again
    assert first["rows"]["cases.Case"] == 60
    assert first["persons"] != other["persons"]


def test_generated_records_keep_the_rules_of_the_services(municipalities):
    result = generate(60, seed=3, today=TODAY, municipalities=municipalities)
    assert result.cases == 60
    assert Case.objects.count() == 60
    # About five consultations per case, none in the future.
    consultations = Consultation.objects.count()
    assert 2 * 60 <= consultations <= 9 * 60
    assert not Consultation.objects.filter(occurred_at__date__gt=TODAY).exists()
    # Every case has exactly one primary issue.
    assert CaseCategory.objects.filter(is_primary=True).count() == 60
    # A decided plan was decided at a multi-agency meeting.
    decided = SupportPlan.objects.filter(status=SupportPlan.Status.DECIDED)
    assert not decided.filter(decided_at_meeting__isnull=True).exists()
    assert not decided.exclude(decided_at_meeting__kind="multiagency").exists()
    # Assignments come from accepted referrals to participation.
    assert not Assignment.objects.exclude(
        referral__to_program="participation", referral__status__in=["accepted", "completed"]
    ).exists()
    # Names are searchable: the normalised columns are filled.
    assert not Person.objects.filter(search_kana="").exists()
    # Closed cases have a date and a reason.
    assert not Case.objects.filter(status="closed", closed_on__isnull=True).exists()
    # Need to know: each case is held by its caseworker's agency, and the cases of a
    # municipality are spread over agencies whose staff are on the portal.
    for case in Case.objects.select_related("lead_agency", "assigned_to"):
        membership = case.assigned_to.memberships.get(is_active=True)
        assert case.lead_agency.organisation_id == membership.organisation_id
    assert Case.objects.values("lead_agency").distinct().count() > len(municipalities)
    # The status history leads each case to its status, as the status service records it:
    # what the statistics read for a case's status at a period's end.
    from cases.models import CaseEvent

    for case in Case.objects.all():
        changes = list(
            CaseEvent.objects.filter(case=case, kind="status_changed").order_by("at", "pk")
        )
        after = [e.data["after"] for e in changes]
        assert [e.data["before"] for e in changes] == ["intake", *after[:-1]][: len(after)]
        assert (after[-1] if after else "intake") == case.status
        assert all(case.opened_on <= e.at.date() <= (case.closed_on or TODAY) for e in changes)
    from cases.statistics.queries import Period, consultation_sections

    for m in municipalities:
        # The period ends after today: the status at its end is each case's status now.
        (table,) = [
            t for t in consultation_sections(m.pk, Period.of(2026)) if t.key == "cases_by_status"
        ]
        by_status = dict(table.rows)
        cases = Case.objects.filter(municipality=m)
        assert sum(by_status.values()) == cases.count()
        assert by_status[str(Case.Status.CLOSED.label)] == cases.filter(status="closed").count()


def test_cases_are_spread_by_size_and_add_up():
    weights = {"a": 20.0, "b": 3.0, "c": 0.2}
    counts = allocate(1000, weights)
    assert sum(counts.values()) == 1000
    assert counts["a"] > counts["b"] > counts["c"] >= 1
    assert size_weight("331007", "岡山市") > size_weight("272035", "豊中市")
    assert size_weight("272035", "豊中市") > size_weight("104299", "上野村")


def test_name_lists_have_readings():
    names = load_names()
    assert len(names.surnames) >= 200
    assert len(names.male) + len(names.female) >= 190
    assert all(kana for _name, kana in names.surnames)


def test_command_refuses_a_database_that_has_cases(municipalities):
    generate_data(10, seed=1, today=datetime.date(2026, 11, 27), write=lambda _line: None)
    assert Case.objects.count() == 10
    with pytest.raises(Refused):
        generate_data(10, write=lambda _line: None)
    # Some cases are also held by a second agency (関係機関), always one the person's
    # consent names, and worked there by that agency's own staff.
    from cases.core.consent import consent_covering
    from cases.models import CaseAgency

    links = list(CaseAgency.objects.select_related("case", "agency", "assigned_to"))
    assert links
    for link in links:
        assert link.agency_id != link.case.lead_agency_id
        assert consent_covering(link.case, link.agency, TODAY) is not None
        if link.assigned_to is not None:
            membership = link.assigned_to.memberships.get(is_active=True)
            assert membership.organisation_id == link.agency.organisation_id
