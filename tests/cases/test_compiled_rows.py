"""The flag queue's statement, compiled once per user's ids and page
(``cases.core.compiled.compiled_rows``): the same rows as the ORM's query, the time and
the date of each read, and a statement that does not hold its marks is refused."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from cases.core import compiled
from cases.core.compiled import TODAY_MARK, compiled_rows
from cases.engine import queries
from cases.engine.queries import FLAG_QUEUE_COLUMNS, _queued, flag_queue, flag_queue_page
from cases.models import EmergencyAccess, Flag
from municipalities.scoping import active_membership
from tests.cases.test_referral_engine import open_case, scan

pytestmark = pytest.mark.django_db
D = datetime.timedelta


@pytest.fixture
def builds(monkeypatch):
    """The queue's statements built, one entry per build, starting from none kept."""
    compiled._compile_rows.cache_clear()
    built = []
    original = queries._queue_page

    def counted(*args):
        built.append(args)
        return original(*args)

    monkeypatch.setattr(queries, "_queue_page", counted)
    yield built
    compiled._compile_rows.cache_clear()


def _orm_page(user, start=0, size=50):
    rows = flag_queue(user).values_list(*FLAG_QUEUE_COLUMNS)[start : start + size]
    return [_queued(row) for row in rows]


def _flags(personas):
    """Flags of every kind the queue shows: about a case (of the caseworker and of a case
    nobody else sees), about no case, with details, open and back from a snooze."""
    for i in range(3):
        open_case(personas, categories=["isolation", "debt"], days_ago=80, name=f"連絡 途絶{i}")
    scan(personas)
    today = timezone.localdate()
    Flag.objects.filter(rule="out_of_touch").update(
        state="snoozed", snoozed_until=today - D(days=1)
    )
    Flag.objects.create(
        municipality=personas.municipality_a,
        rule="concern_open",
        audience="caseworker",
        subject_type="concern",
        subject_id=42,
        as_of=timezone.localdate(),
        detail={"concern": True, "note": "<b>夜間</b>"},
    )


def test_the_queue_reads_what_the_orms_query_reads_for_every_role(personas, builds):
    _flags(personas)
    for user in (
        personas.caseworker_a,
        personas.other_agency_a,
        personas.community_worker_a,
        personas.coordinator_a,
        personas.manager_a,
        personas.multiagency_a,
        personas.outreach_a,
        personas.caseworker_b,
    ):
        expected = _orm_page(user)
        assert flag_queue_page(user, 0, 50) == expected, user.username
        assert flag_queue_page(user, 1, 2) == _orm_page(user, 1, 2), user.username
    queued = flag_queue_page(personas.caseworker_a, 0, 50)
    assert {f.state for f in queued} == {"open", "snoozed"}
    assert any(f.case is None for f in queued)
    assert any(isinstance(f.detail, dict) and f.detail for f in queued)
    assert all(timezone.is_aware(f.raised_at) for f in queued)
    # Another agency's caseworker sees the flag about no case, none of the cases.
    assert [f.case for f in flag_queue_page(personas.other_agency_a, 0, 50)] == [None]
    assert flag_queue_page(personas.caseworker_b, 0, 50) == []
    # A page past the end (a number typed into the URL) is empty, not an error.
    assert flag_queue_page(personas.caseworker_a, 5_000_000, 51) == []
    assert flag_queue_page(personas.system_admin, 0, 50) == []


def test_the_queue_is_compiled_once_per_users_ids_and_page(personas, builds):
    _flags(personas)
    for _ in range(3):
        flag_queue_page(personas.caseworker_a, 0, 51)
    assert len(builds) == 1
    flag_queue_page(personas.caseworker_a, 50, 51)
    flag_queue_page(personas.other_agency_a, 0, 51)
    assert len(builds) == 3
    # Moved to another agency: the statement of the new agency, not the old one's.
    membership = active_membership(personas.caseworker_a)
    membership.organisation = active_membership(personas.other_agency_a).organisation
    membership.save()
    moved = type(personas.caseworker_a).objects.get(pk=personas.caseworker_a.pk)
    assert flag_queue_page(moved, 0, 51) == _orm_page(moved, 0, 51)
    assert len(builds) == 4
    assert builds[-1][3] == membership.organisation_id


def test_the_kept_statement_takes_the_time_and_the_date_of_each_read(personas, builds):
    """The statement is compiled once, and each read puts in the time now (an emergency
    look in force or expired) and today's date (a snooze that ends tomorrow)."""
    case = open_case(personas, categories=["isolation", "debt"], days_ago=80)
    scan(personas)
    other = personas.other_agency_a
    assert flag_queue_page(other, 0, 50) == []
    EmergencyAccess.objects.create(
        case=case,
        user=other,
        municipality=personas.municipality_a,
        reason="倒れているとの通報",
        expires_at=timezone.now() + D(hours=1),
    )
    look = EmergencyAccess.objects.get(case=case)
    assert {f.case_id for f in flag_queue_page(other, 0, 50)} == {case.pk}
    later = look.expires_at + D(seconds=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: later)
        assert flag_queue_page(other, 0, 50) == []
    assert len(builds) == 1

    caseworker = personas.caseworker_a
    tomorrow = timezone.localdate() + D(days=1)
    Flag.objects.filter(case=case).update(state="snoozed", snoozed_until=tomorrow)
    assert flag_queue_page(caseworker, 0, 50) == []
    noon_tomorrow = timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time(12)))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: noon_tomorrow)
        back = flag_queue_page(caseworker, 0, 50)
    assert {f.case_id for f in back} == {case.pk}
    assert {f.state for f in back} == {"snoozed"}
    assert len(builds) == 2


def test_a_statement_that_does_not_hold_its_marks_is_refused(personas, builds):
    def ignores_today(*args):
        return Flag.objects.values_list("pk")

    with pytest.raises(AssertionError, match="once"):
        compiled_rows(ignores_today, TODAY_MARK)
    with pytest.raises(AssertionError, match="once"):
        compiled_rows(ignores_today, compiled.NOW_MARK)
