"""Each benchmark runs at a tiny size so that it cannot rot (no timing assertions)."""

from __future__ import annotations

import datetime

import pytest

from bench import suite
from bench.generate import generate
from tests.factories import MunicipalityFactory


@pytest.fixture
def tiny(db):
    municipalities = [
        MunicipalityFactory(code="272035", prefecture="大阪府", name="豊中市"),
        MunicipalityFactory(code="322016", prefecture="島根県", name="松江市"),
    ]
    generate(50, seed=1, today=datetime.date.today(), municipalities=municipalities)
    return municipalities


def test_scan_benchmark(tiny):
    result = suite.scan()
    assert result["cases"] == 50
    assert result["municipalities"] == 2
    for label in ("first", "second"):
        assert set(result[label]) == {"seconds", "cases_per_second", "flags_raised"}
    assert result["second"]["flags_raised"] == 0
    # The hand-written SQL finds exactly what each rule finds.
    assert result["hand_written_sql"]["by_rule"] == result["rules_sql"]["by_rule"]
    assert result["hand_written_sql"]["missing"] == []
    assert "ratio_second_to_hand_written" in result
    # The first run's limit inserts the flags the first scan raised, and leaves none.
    assert result["hand_written_first_run"]["rows"] == result["first"]["flags_raised"] > 0
    assert result["ratio_first_to_first_run_limit"] is not None


def test_reevaluation_benchmark(tiny):
    result = suite.reevaluate(samples=3)
    assert result["samples"] == 3
    assert {"median_ms", "p95_ms"} <= set(result)


def test_page_benchmarks(tiny):
    suite.scan()  # the flag queue has flags
    result = suite.pages(repeat=1, slow_repeat=1)
    assert set(result["pages"]) == {
        "bare logged-in page",
        "dashboard",
        "name search (kanji)",
        "name search (kana)",
        "case page",
        "flag queue",
        "menu catalogue",
        "statistics (municipality)",
        "statistics (national)",
    }
    for figures in result["pages"].values():
        assert figures["queries"] > 0, figures
        assert {"median_ms", "p95_ms", "sql_median_ms", "ratio_to_sql"} <= set(figures)
        split = figures["split_ms"]
        assert set(split) == {"sql", "audit", "session", "template", "rest", "total"}
        assert all(value >= 0 for key, value in split.items() if key != "rest")
    # The bare page has no audit write; a page about persons has one, and a template.
    bare, dashboard = result["pages"]["bare logged-in page"], result["pages"]["dashboard"]
    assert bare["split_ms"]["audit"] == 0
    assert dashboard["split_ms"]["audit"] > 0
    assert dashboard["split_ms"]["template"] > 0
    assert dashboard["split_ms"]["session"] > 0
    # The write path: a consultation and an intake saved through their pages.
    for name in ("save a consultation", "intake"):
        write = result["writes"][name]
        assert write["requests"] == 1
        assert write["queries"] > 0
    from bench.run import writes_table

    assert "| intake |" in "\n".join(writes_table(result["writes"]))
    # The table prints the split and the targets against the bare page.
    from bench.run import split_table

    table = "\n".join(split_table(result["pages"]))
    assert "| dashboard |" in table
    assert "met" in table or "missed" in table


def test_roster_and_generator_benchmarks(db):
    roster = suite.roster_import()
    assert roster["ok"]
    assert roster["rows"] == 133
    generated = suite.generator(20, seed=1)
    assert generated["cases"] == 20
    assert generated["rows"] > 20


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_write_path_enqueues_one_evaluation_per_save():
    """With real commits, each save enqueues its case's re-evaluation once, recorded
    instead of run (the task runs on a worker, not in the request)."""
    from django.test import Client

    from bench.writes import writes
    from cases.models import Case, Consultation, Person

    municipalities = [MunicipalityFactory(code="272035", prefecture="大阪府", name="豊中市")]
    generate(10, seed=1, today=datetime.date.today(), municipalities=municipalities)
    case = Case.objects.exclude(status="closed").first()
    client = Client()
    suite._login(client, case.assigned_to)
    before = (Consultation.objects.count(), Person.objects.count())
    on_case = set(Consultation.objects.filter(case=case).values_list("pk", flat=True))
    saved_on_case = []
    original = Consultation.save

    def save(self, *args, **kwargs):
        original(self, *args, **kwargs)
        if self.case_id == case.pk:
            saved_on_case.append(self.pk)

    Consultation.save = save
    try:
        result = writes(client, case, repeat=2)
    finally:
        Consultation.save = original
    for name in ("save a consultation", "intake"):
        assert result[name]["evaluations_enqueued"] == 2
    # Really saved: two consultations on the case and two intakes (each a consultation);
    # the ones on the measured case are deleted afterwards, so that the case page measures
    # the same case at the next run.
    assert len(set(saved_on_case)) >= 2
    assert Consultation.objects.count() == before[0] + 2
    assert Person.objects.count() == before[1] + 2
    assert set(Consultation.objects.filter(case=case).values_list("pk", flat=True)) == on_case
