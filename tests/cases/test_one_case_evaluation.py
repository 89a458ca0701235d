"""Re-evaluating one case after a save: a fixed number of statements whatever the number
of rules it matches, the same flags and details as the scan, and thresholds taken as set."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from cases.consultation import services as consultation_services
from cases.core import services as core_services
from cases.engine import combined
from cases.engine.flags import evaluate
from cases.engine.services import rule_setting_save
from cases.models import Case, ConsultationMethod, ContactRoute, Flag, IssueCategory
from cases.registry import get_rule
from tests.worlds import master

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
D = datetime.timedelta


def open_case(personas, *, categories=(), days_ago=70):
    user = personas.caseworker_a
    person = core_services.person_create(
        user=user, municipality=personas.municipality_a, name="試験 花子", name_kana="シケン ハナコ"
    )
    case = core_services.case_open(
        user=user,
        person=person,
        route=master(ContactRoute, "self"),
        categories=[master(IssueCategory, c) for c in categories],
        opened_on=TODAY - D(days=days_ago),
        assigned_to=user,
    )
    consultation_services.consultation_log(
        user=user,
        case=case,
        data=consultation_services.ConsultationData(
            occurred_at=timezone.now() - D(days=days_ago),
            method=master(ConsultationMethod, "phone"),
            summary="初回",
        ),
    )
    return case


def reevaluate(personas, case):
    return evaluate(personas.municipality_a.pk, TODAY, case_ids=[case.pk])


def unresolved(case):
    return set(
        Flag.objects.filter(case=case, resolved_at__isnull=True).values_list("rule", flat=True)
    )


def test_statements_do_not_grow_with_the_rules_a_case_matches(personas, django_assert_num_queries):
    """The rule settings, the case's unresolved flags, every case rule's query in one
    statement, then one insert of whatever is new; nothing more when nothing changed."""
    one = open_case(personas)
    several = open_case(personas, categories=["isolation"])
    # The first re-evaluation of the day compiles the rules (and on PostgreSQL prepares
    # the statement): a case that matches nothing.
    reevaluate(personas, open_case(personas, days_ago=0))
    with django_assert_num_queries(4):
        reevaluate(personas, one)
    with django_assert_num_queries(4):
        reevaluate(personas, several)
    assert unresolved(one) == {"out_of_touch"}
    assert unresolved(several) >= {"out_of_touch", "needs_participation", "isolation_no_place"}
    with django_assert_num_queries(3):
        reevaluate(personas, several)


def test_flags_that_no_longer_hold_are_closed_in_one_update(personas, django_assert_num_queries):
    case = open_case(personas, categories=["isolation"])
    reevaluate(personas, case)
    assert len(unresolved(case)) >= 3
    consultation_services.consultation_log(
        user=personas.caseworker_a,
        case=case,
        data=consultation_services.ConsultationData(
            occurred_at=timezone.now(),
            method=master(ConsultationMethod, "home_visit"),
            summary="訪問",
        ),
    )
    with django_assert_num_queries(4):
        outcomes = reevaluate(personas, case)
    assert outcomes["out_of_touch"].resolved == 1
    assert "out_of_touch" not in unresolved(case)
    closed = Flag.objects.get(case=case, rule="out_of_touch")
    assert closed.resolution == "条件が解消しました。"


def test_one_case_raises_what_the_scan_raises_with_the_same_detail(personas, world_a):
    cases = [open_case(personas), open_case(personas, categories=["isolation"])]
    evaluate(personas.municipality_a.pk, TODAY)
    scanned = {
        (f.rule, f.subject_id): (f.detail, f.assigned_to_id, f.audience)
        for f in Flag.objects.filter(resolved_at__isnull=True).exclude(subject_type="concern")
    }
    assert {rule for rule, _subject in scanned} >= {"out_of_touch", "isolation_no_place"}
    assert all(c.pk in {s for _r, s in scanned} for c in cases)
    Flag.objects.all().delete()
    for case_id in Case.objects.values_list("pk", flat=True):
        evaluate(personas.municipality_a.pk, TODAY, case_ids=[case_id])
    raised = {
        (f.rule, f.subject_id): (f.detail, f.assigned_to_id, f.audience)
        for f in Flag.objects.filter(resolved_at__isnull=True)
    }
    assert raised == scanned
    assert any(detail for detail, _user, _audience in raised.values())


def test_a_changed_threshold_is_taken_at_once(personas):
    case = open_case(personas, days_ago=70)
    reevaluate(personas, case)
    assert "out_of_touch" in unresolved(case)
    rule_setting_save(
        user=personas.manager_a,
        municipality=personas.municipality_a,
        rule=get_rule("out_of_touch"),
        enabled=True,
        params={"days": 90},
    )
    reevaluate(personas, case)
    assert "out_of_touch" not in unresolved(case)  # 70 days < 90
    rule_setting_save(
        user=personas.manager_a,
        municipality=personas.municipality_a,
        rule=get_rule("out_of_touch"),
        enabled=False,
        params={"days": 30},
    )
    outcomes = reevaluate(personas, case)
    assert "out_of_touch" in outcomes
    assert "out_of_touch" not in unresolved(case)


def test_the_compiled_statement_is_reused_for_the_next_case(personas, monkeypatch):
    first, second = open_case(personas), open_case(personas, categories=["isolation"])
    combined._cache.clear()
    compiled = []
    original = combined._compile
    monkeypatch.setattr(
        combined, "_compile", lambda *args: compiled.append(args) or original(*args)
    )
    reevaluate(personas, first)
    reevaluate(personas, second)
    assert len(compiled) == 1
    assert "out_of_touch" in unresolved(first)
    assert "isolation_no_place" in unresolved(second)
    assert "isolation_no_place" not in unresolved(first)


def test_the_scan_compiles_each_rule_once_for_every_municipality(personas, world_a, world_b):
    from cases.registry import all_rules

    open_case(personas)
    combined._rule_cache.clear()
    # A first scan and a steady one in each municipality compile each rule's two forms
    # (all its columns, its subjects alone) at most once …
    for _run in range(2):
        evaluate(personas.municipality_a.pk, TODAY)
        evaluate(personas.municipality_b.pk, TODAY)
    compiled = len(combined._rule_cache)
    assert 0 < compiled <= 2 * len(all_rules())
    # … and another municipality's scan, or another run, compiles nothing more.
    evaluate(personas.municipality_a.pk, TODAY)
    evaluate(personas.municipality_b.pk, TODAY)
    assert len(combined._rule_cache) == compiled
    assert "out_of_touch" in {f.rule for f in Flag.objects.filter(resolved_at__isnull=True)}
    assert not Flag.objects.exclude(municipality=personas.municipality_a).filter(
        case__municipality=personas.municipality_a
    )
