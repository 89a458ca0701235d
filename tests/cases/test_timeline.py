"""The case page's one statement: kinds of rows name their fields, the union's columns
stay inside ``cases.core.timeline``."""

from __future__ import annotations

import dataclasses
import io

import pytest

from cases.core.timeline import (
    RowKind,
    as_text,
    read_case_rows,
    read_rows,
    user_fields,
    user_from,
)
from cases.models import CaseEvent, Consultation, HouseholdMember

pytestmark = pytest.mark.django_db


def test_a_builder_reads_the_fields_by_the_names_its_kind_gave_them(personas, world_a):
    kinds = [
        RowKind(
            "consultation",
            Consultation.objects.filter(pk=world_a.consultation.pk),
            {
                "staff_id": "staff_id",
                "when": "occurred_at",
                "method": "method__name",
                "summary": "summary",
                **user_fields("staff"),
            },
            lambda row: (row.pk, row.when, row.method, row.summary, user_from(row, "staff")),
        ),
        RowKind(
            "member",
            HouseholdMember.objects.filter(pk=world_a.member.pk),
            {"carer": "is_carer", "name": "person__name", "born": "person__birth_date"},
            lambda row: (row.pk, row.carer, row.name, row.born),
        ),
    ]
    rows = read_rows(kinds)
    c, member = world_a.consultation, world_a.member
    assert rows["consultation"] == [(c.pk, c.occurred_at, str(c.method), c.summary, c.staff)]
    assert str(rows["consultation"][0][-1]) == str(personas.caseworker_a)
    assert rows["member"] == [
        (member.pk, member.is_carer, member.person.name, member.person.birth_date)
    ]


def test_a_kind_needing_more_columns_of_a_type_than_the_union_has_is_refused(world_a):
    kind = RowKind(
        "too_many_days",
        Consultation.objects.all(),
        {f"at_{i}": "occurred_at" for i in range(4)},
        lambda row: row,
    )
    with pytest.raises(ValueError, match=r"too_many_days.* 4 datetime fields.* 3 columns"):
        read_rows([kind])


def test_a_field_no_column_holds_is_refused_until_it_is_made_text(world_a):
    events = CaseEvent.objects.filter(case=world_a.case, kind="status_changed")
    with pytest.raises(ValueError, match="'data' is a JSONField"):
        read_rows([RowKind("status", events, {"data": "data"}, lambda row: row)])
    rows = read_rows([RowKind("status", events, {"data": as_text("data")}, lambda row: row.data)])
    assert len(rows["status"]) == 2
    assert all('"after"' in data for data in rows["status"])


@pytest.mark.parametrize("name", ["pk", "kind", "not a name"])
def test_a_field_cannot_take_the_rows_own_names(world_a, name):
    kind = RowKind("odd", Consultation.objects.all(), {name: "summary"}, lambda row: row)
    with pytest.raises(ValueError, match="cannot name a field"):
        read_rows([kind])


# --- one case's rows, compiled once per shape (read_case_rows) --------------------------


def _as_dicts(kinds: list[RowKind]) -> list[RowKind]:
    """The kinds with every row given as its fields, to compare reads."""
    return [dataclasses.replace(kind, build=_fields) for kind in kinds]


def _fields(row) -> dict:
    return dict(vars(row))


def _sorted(rows: dict) -> dict:
    return {key: sorted(items, key=lambda r: r["pk"]) for key, items in rows.items()}


def _case_page_kinds(limit):
    from cases.core.casepage import _case_row_kinds
    from cases.registry import timeline_providers

    def kinds_of(case):
        kinds = _case_row_kinds(case, limit)
        for provider in timeline_providers():
            kinds.extend(provider(case, limit))
        return _as_dicts(kinds)

    return kinds_of


def _maps_kinds(case):
    from cases.assessment.maps import _kinds
    from cases.registry import supporter_providers

    kinds = _kinds(case)
    for provider in supporter_providers():
        kinds.extend(provider(case))
    return _as_dicts(kinds)


@pytest.fixture
def seeded(settings):
    from django.core.management import call_command

    from tests.conftest import ROSTER_FY2022

    call_command("load_roster", str(ROSTER_FY2022), "--fiscal-year", "2022", verbosity=0)
    settings.DEBUG = True  # seed_demo refuses to create known passwords otherwise
    call_command("seed_demo", stdout=io.StringIO())


def test_a_statement_compiled_for_one_case_reads_every_other_case_as_its_own(seeded):
    """Compiled with the first case of a shape (each of the first few in turn), the case
    page's and the maps' statement gives every demo case of both municipalities exactly
    the rows its own compiled statement gives: each id goes to its own place."""
    from cases.core import timeline
    from cases.models import Case

    cases = list(Case.objects.order_by("pk"))
    assert len(cases) >= 25
    assert len({c.municipality_id for c in cases}) == 2
    assert any(c.household_id is None for c in cases)
    assert any(c.household_id for c in cases)
    reads = [(_case_page_kinds(51), "page"), (_case_page_kinds(None), "all"), (_maps_kinds, "maps")]
    for first in cases[:4]:
        for kinds_of, key in reads:
            timeline._compiled.clear()
            read_case_rows(first, kinds_of, key)
            for case in cases:
                assert _sorted(read_case_rows(case, kinds_of, key)) == _sorted(
                    read_rows(kinds_of(case))
                ), (first.pk, case.pk, key)
            assert timeline._compiled
            assert None not in timeline._compiled.values()


def test_a_compiled_statement_runs_as_one_query(seeded, django_assert_num_queries):
    from cases.models import Case

    first, second = Case.objects.exclude(household=None).order_by("pk")[:2]
    kinds_of = _case_page_kinds(51)
    read_case_rows(first, kinds_of, "page")
    with django_assert_num_queries(1):
        read_case_rows(second, kinds_of, "page")


@pytest.mark.parametrize("through", ["status", "person"])
def test_kinds_that_read_more_of_the_case_than_its_ids_are_compiled_each_time(seeded, through):
    """A kind filtering by the case's status would be wrong for a case of another status
    if its statement were kept: it is not kept, and each case reads its own rows."""
    from cases.core import timeline
    from cases.models import Case

    def by_status(case):
        # Its own field, or through its person (a record the stand-in's mark finds none of).
        status = case.status if through == "status" else case.person.cases.get(pk=case.pk).status
        same_status = Case.objects.filter(municipality_id=case.municipality_id, status=status)
        return _as_dicts([RowKind("same", same_status, {"status": "status"}, _fields)])

    timeline._compiled.clear()
    one = Case.objects.exclude(status=Case.Status.CLOSED).order_by("pk").first()
    other = Case.objects.filter(
        municipality_id=one.municipality_id, status=Case.Status.CLOSED
    ).first()
    for case in (one, other, one):
        rows = read_case_rows(case, by_status, "status")["same"]
        assert rows
        assert {r["status"] for r in rows} == {case.status}
    assert list(timeline._compiled.values()) == [None]


def test_a_kept_statement_does_not_build_the_kinds_again(seeded):
    """After the first case of a shape, the kinds are not built for the next case (that
    was the case page's largest Python cost) and its rows are still its own."""
    from cases.core import timeline
    from cases.models import Case

    calls = []
    page_kinds = _case_page_kinds(51)

    def kinds_of(case):
        calls.append(case.pk)
        return page_kinds(case)

    timeline._compiled.clear()
    first, *others = Case.objects.exclude(household=None).order_by("pk")[:4]
    read_case_rows(first, kinds_of, "page")
    assert len(calls) == 2  # the case and the stand-in, to compare
    for case in others:
        assert _sorted(read_case_rows(case, kinds_of, "page")) == _sorted(
            read_rows(page_kinds(case))
        )
    assert len(calls) == 2


def test_kinds_whose_build_holds_the_case_are_built_each_time(seeded):
    """A kind's ``build`` made for each case (here it writes the case's number into each
    row) is not kept from the first case: each case's rows carry its own number."""
    from cases.core import timeline
    from cases.models import Case

    def kinds_of(case):
        def build(row):
            return {"pk": row.pk, "case": case.pk}

        consultations = Consultation.objects.filter(case_id=case.pk)
        return [RowKind("consultation", consultations, {"summary": "summary"}, build)]

    timeline._compiled.clear()
    cases = list(Case.objects.filter(consultations__isnull=False).distinct().order_by("pk")[:3])
    assert len(cases) == 3
    for case in cases:
        rows = read_case_rows(case, kinds_of, "holds")["consultation"]
        assert rows
        assert {r["case"] for r in rows} == {case.pk}
    assert list(timeline._compiled.values()) == [None]


def test_the_pages_own_kinds_are_named_where_the_programs_kinds_are_told_apart(world_a):
    """The case page and the maps tell their own kinds from the programs' by a fixed set
    of keys (their kinds are not built for a kept statement): the set is every key."""
    from cases.assessment import maps
    from cases.core import casepage

    case = world_a.case
    assert {k.key for k in casepage._case_row_kinds(case, 51)} == casepage.OWN_KINDS
    assert {k.key for k in maps._kinds(case)} == maps.OWN_KINDS
    from cases.registry import supporter_providers, timeline_providers

    program_keys = {k.key for p in timeline_providers() for k in p(case, 51)}
    program_keys |= {k.key for p in supporter_providers() for k in p(case)}
    assert program_keys
    assert not program_keys & (casepage.OWN_KINDS | maps.OWN_KINDS)
