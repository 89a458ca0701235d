"""The read replica: statistics, their exports and the national view read from it;
writes, and reads after a write, stay on the primary.

The first tests give the settings a second alias, ``replica``, that mirrors the test
database (``TEST["MIRROR"]``), and look at where each statement goes. The last one runs
against a real PostgreSQL streaming replica (``.ci/replica-pair``): it skips unless
``DATABASE_REPLICA_URL`` is set, and CI requires it with ``REQUIRE_REPLICA=1``.
"""

from __future__ import annotations

import csv
import io
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import connections
from django.urls import reverse

from cases.models import Case, IndicatorTarget
from municipalities.models import AuditEvent, Municipality
from portal.replica import PIN_COOKIE, PRIMARY, REPLICA, ReplicaRouter, reading_from_replica
from tests.cases.test_statistics import DIRECT, FY, dataset  # noqa: F401  (fixture)

# The 実施計画 of the fiscal year, every 事業 run directly (the targets are added per test).
PLAN = {"first_year": FY, "last_year": FY, **DIRECT}

router = ReplicaRouter()


@pytest.fixture(scope="module", autouse=True)
def replica_alias(django_db_setup, django_db_blocker) -> Iterator[None]:
    """The replica as a second alias: the one in the settings (with DATABASE_REPLICA_URL:
    a test mirror of the primary's test database), or else one added for this module's
    tests with the same mirror. Added before the tests' database fixtures, which refuse
    an alias that a test does not name (the tests name both)."""
    if REPLICA in connections.settings:
        yield
        return
    primary = connections[PRIMARY].settings_dict
    connections.settings[REPLICA] = {**primary, "TEST": {**primary["TEST"], "MIRROR": PRIMARY}}
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]


@pytest.fixture
def no_replica() -> Iterator[None]:
    saved = connections.settings.pop(REPLICA, None)
    try:
        yield
    finally:
        if saved is not None:
            connections.settings[REPLICA] = saved


@contextmanager
def statements_by_alias() -> Iterator[dict[str, list[str]]]:
    """The SQL each alias ran while the block ran."""
    seen: dict[str, list[str]] = {PRIMARY: [], REPLICA: []}

    def recorder(alias: str):
        def record(execute, sql, params, many, context):
            seen[alias].append(sql)
            return execute(sql, params, many, context)

        return record

    with (
        connections[PRIMARY].execute_wrapper(recorder(PRIMARY)),
        connections[REPLICA].execute_wrapper(recorder(REPLICA)),
    ):
        yield seen


def is_statistics(sql: str) -> bool:
    return "UNION ALL" in sql  # every count of the page is one UNION ALL statement


@pytest.fixture
def national_defaults(transactional_db):
    """Master data (an earlier transactional test may have flushed what migrations
    loaded)."""
    from django.apps import apps

    from cases.defaults import load as load_defaults

    load_defaults(apps)


@pytest.fixture
def statistics_data(national_defaults, request):
    """The statistics tests' data set (cases of FY2025 whose figures are known)."""
    return request.getfixturevalue("dataset")


# --- the router -----------------------------------------------------------------------


def test_a_statistics_read_goes_to_the_replica_and_anything_else_to_the_primary():
    assert router.db_for_read(Case) == PRIMARY
    with reading_from_replica():
        assert router.db_for_read(Case) == REPLICA
        assert Case.objects.all().db == REPLICA
    assert Case.objects.all().db == PRIMARY


def test_a_write_goes_to_the_primary_even_while_reading_from_the_replica():
    with reading_from_replica():
        assert router.db_for_write(Case) == PRIMARY
        assert Case.objects.all().select_for_update().db == PRIMARY


def test_a_read_after_a_write_stays_on_the_primary():
    with reading_from_replica():
        assert router.db_for_read(Case) == REPLICA
        router.db_for_write(IndicatorTarget)
        assert router.db_for_read(Case) == PRIMARY
        with reading_from_replica():  # nested blocks keep the pin
            assert router.db_for_read(Municipality) == PRIMARY
    with reading_from_replica():  # outside a request, each block is its own scope
        assert router.db_for_read(Case) == REPLICA


def test_audit_events_and_sessions_do_not_pin():
    """Every page writes them and no replica read depends on them."""
    from django.contrib.sessions.models import Session

    from municipalities.models import AuditChainHead

    with reading_from_replica():
        for model in (AuditEvent, AuditChainHead, Session):
            assert router.db_for_write(model) == PRIMARY
        assert router.db_for_read(Case) == REPLICA


def test_without_a_replica_everything_reads_from_the_primary(no_replica):
    with reading_from_replica():
        assert router.db_for_read(Case) == PRIMARY
        assert Case.objects.all().db == PRIMARY


def test_reads_inside_a_transaction_on_the_primary_stay_there(db):
    """(The test itself runs in a transaction.)"""
    with reading_from_replica():
        assert router.db_for_read(Case) == PRIMARY


def test_the_replica_is_never_migrated():
    assert router.allow_migrate(PRIMARY, "cases")
    assert not router.allow_migrate(REPLICA, "cases")


# --- pages ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=[PRIMARY, REPLICA])
@pytest.mark.usefixtures("statistics_data")
def test_the_statistics_page_and_its_export_read_their_counts_from_the_replica(client, personas):
    """The counts come from the replica; the session, the user, the targets and the
    export's audit event stay on the primary, and the audit write does not pin."""
    client.force_login(personas.manager_a)
    url = reverse("cases:statistics")
    with statements_by_alias() as seen:
        response = client.get(url, {"fiscal_year": FY})
    assert response.status_code == 200
    assert [sql for sql in seen[REPLICA] if is_statistics(sql)], seen[REPLICA]
    assert not [sql for sql in seen[PRIMARY] if is_statistics(sql)]
    writes = ("INSERT", "UPDATE", "DELETE")
    assert not [sql for sql in seen[REPLICA] if sql.lstrip().upper().startswith(writes)]
    assert PIN_COOKIE not in response.cookies  # nothing was written

    with statements_by_alias() as seen:
        response = client.get(url, {"fiscal_year": FY, "export": "csv"})
    assert response.status_code == 200
    assert [sql for sql in seen[REPLICA] if is_statistics(sql)]
    assert any("INSERT" in sql and AuditEvent._meta.db_table in sql for sql in seen[PRIMARY])
    assert PIN_COOKIE not in response.cookies


@pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=[PRIMARY, REPLICA])
@pytest.mark.usefixtures("statistics_data")
def test_after_saving_targets_the_statistics_are_read_from_the_primary(client, personas):
    client.force_login(personas.manager_a)
    response = client.post(
        reverse("cases:statistics_plan") + f"?fiscal_year={FY}",
        {**PLAN, "consultations_received": "6"},
    )
    assert response.status_code == 302
    pin = response.cookies[PIN_COOKIE]
    assert pin["max-age"] == settings.DATABASE_REPLICA_PIN_SECONDS
    assert pin["httponly"]
    with statements_by_alias() as seen:
        html = client.get(response["Location"]).content.decode()
    assert "50%" in html  # 3 of the target just saved
    assert seen[REPLICA] == []
    assert [sql for sql in seen[PRIMARY] if is_statistics(sql)]

    client.cookies.pop(PIN_COOKIE)  # the pin has expired
    with statements_by_alias() as seen:
        client.get(response["Location"])
    assert [sql for sql in seen[REPLICA] if is_statistics(sql)]


@pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=[PRIMARY, REPLICA])
@pytest.mark.usefixtures("statistics_data")
def test_the_national_view_reads_the_roster_and_counts_from_the_replica(client, personas):
    client.force_login(personas.system_admin)
    with statements_by_alias() as seen:
        response = client.get(reverse("cases:national_statistics"), {"fiscal_year": FY})
    assert response.status_code == 200
    assert "大阪府" in response.content.decode()
    roster = Municipality._meta.db_table
    assert [sql for sql in seen[REPLICA] if is_statistics(sql)]
    assert [sql for sql in seen[REPLICA] if f'FROM "{roster}"' in sql]


# --- a real streaming replica -------------------------------------------------------------


def _lsn(alias: str, function: str) -> str:
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT {function}()")
        return cursor.fetchone()[0]


def wait_for_replay(timeout: float = 30) -> None:
    """Until the replica has replayed everything the primary wrote so far (bounded)."""
    target = _lsn(PRIMARY, "pg_current_wal_lsn")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)  # waiting for another server, not for a clock
    pytest.fail(f"the replica did not replay up to {target} within {timeout} s")


@pytest.fixture
def real_replica(transactional_db) -> Iterator[None]:
    """The ``replica`` alias pointed at the real standby, on the primary's test database
    (created on the primary, it reached the standby through the stream)."""
    url = os.environ.get("DATABASE_REPLICA_URL", "")
    required = os.environ.get("REQUIRE_REPLICA") == "1"
    if not url or connections[PRIMARY].vendor != "postgresql":
        if required:
            pytest.fail("REQUIRE_REPLICA=1 needs DATABASE_URL and DATABASE_REPLICA_URL")
        pytest.skip("DATABASE_REPLICA_URL not set: no streaming replica to test against")
    import environ

    where = environ.Env.db_url_config(url)
    replica = connections[REPLICA]
    replica.close()
    mirrored = replica.settings_dict
    replica.settings_dict = {
        **mirrored,
        **{key: where[key] for key in ("HOST", "PORT", "USER", "PASSWORD")},
        "NAME": connections[PRIMARY].settings_dict["NAME"],
    }
    try:
        with replica.cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery()")
            assert cursor.fetchone()[0], "DATABASE_REPLICA_URL is not a standby"
        yield
    finally:
        replica.close()
        replica.settings_dict = mirrored


@contextmanager
def replay_paused() -> Iterator[None]:
    """The standby stops applying the stream: what the primary writes now is not on it."""
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_resume()")


def indicator_counts(response) -> list[list[str]]:
    """The export's first sheet (the first 事業): each indicator with its count (targets
    left out)."""
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8").lstrip("\ufeff"))))
    return [row[:2] for row in rows[: rows.index([])]]


@pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=[PRIMARY, REPLICA])
@pytest.mark.usefixtures("statistics_data")
def test_with_a_streaming_replica_statistics_read_it_and_a_read_after_a_write_does_not(
    client, real_replica, personas
):
    from tests.worlds import case_of_new_person

    wait_for_replay()
    client.force_login(personas.manager_a)
    url = reverse("cases:statistics")
    with statements_by_alias() as seen:
        before = client.get(url, {"fiscal_year": FY, "export": "csv"})
    assert before.status_code == 200
    assert [sql for sql in seen[REPLICA] if is_statistics(sql)]

    with replay_paused():
        # A new case on the primary, in the fiscal year shown, that the paused replica
        # does not have yet: the statistics (read from the replica) do not count it …
        case_of_new_person(
            personas.caseworker_a,
            personas.municipality_a,
            "複製 一郎",
            "フクセイ イチロウ",
            Case.objects.get(person__name="統計 一").opened_on,
        )
        lagging = client.get(url, {"fiscal_year": FY, "export": "csv"})
        assert indicator_counts(lagging) == indicator_counts(before)
        # … while a request that writes reads its statistics from the primary after it.
        saved = client.post(
            reverse("cases:statistics_plan") + f"?fiscal_year={FY}",
            {**PLAN, "consultations_received": "8"},
        )
        assert PIN_COOKIE in saved.cookies
        with statements_by_alias() as seen:
            pinned = client.get(url, {"fiscal_year": FY, "export": "csv"})
        assert seen[REPLICA] == []
        assert indicator_counts(pinned) != indicator_counts(before)
    client.cookies.pop(PIN_COOKIE)
    wait_for_replay()
    with statements_by_alias() as seen:
        caught_up = client.get(url, {"fiscal_year": FY, "export": "csv"})
    assert [sql for sql in seen[REPLICA] if is_statistics(sql)]
    assert indicator_counts(caught_up) == indicator_counts(pinned)
