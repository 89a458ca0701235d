"""The case page's one statement: kinds of rows name their fields, the union's columns
stay inside ``cases.core.timeline``."""

from __future__ import annotations

import pytest

from cases.core.timeline import RowKind, as_text, read_rows, user_fields, user_from
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
