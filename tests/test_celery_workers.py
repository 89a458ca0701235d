"""Several Celery workers on one broker: the per-municipality scans spread across them,
and a scan delivered again (as Redis does with a task a killed worker left behind) adds
no flag twice. Two real worker processes on the test database (PostgreSQL) and the
configured Redis; skipped without them unless ``REQUIRE_CELERY_WORKER=1`` (CI).

The same scan run twice in one process is ``test_the_same_scan_delivered_twice_adds_nothing``
in tests/test_celery.py."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from tests.conftest import database_url_of_tests
from tests.test_production import PYTHON, ROOT

CELERY = Path(PYTHON).with_name("celery")
WORKERS = ("one", "two")
MUNICIPALITIES = 8
SCAN = "cases.scan_municipality"


@pytest.fixture
def two_workers(transactional_db, tmp_path) -> Iterator[dict[str, Path]]:
    """Two worker processes, each with its own name and log; gives the logs by name
    once both answer a ping."""
    postgresql = connections["default"].vendor == "postgresql"
    if not settings.CELERY_BROKER_URL or not postgresql:
        if os.environ.get("REQUIRE_CELERY_WORKER") == "1":
            pytest.fail("REQUIRE_CELERY_WORKER=1 needs CELERY_BROKER_URL and PostgreSQL")
        pytest.skip("several workers need a broker (CELERY_BROKER_URL) and PostgreSQL")
    from portal.celery import app

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": database_url_of_tests(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "LOG_FORMAT": "json",  # one line per task run, with its id
    }
    logs = {name: tmp_path / f"{name}.log" for name in WORKERS}
    processes = [
        subprocess.Popen(
            [
                *(str(CELERY), "-A", "portal", "worker", "--pool", "solo", "--loglevel", "info"),
                *("--hostname", f"{name}@%h", "--without-gossip"),
            ],
            cwd=ROOT,
            env=env,
            # The worker logs through the portal's logging (Celery does not take over the
            # root logger), to standard error.
            stdout=subprocess.DEVNULL,
            stderr=log.open("w"),
        )
        for name, log in logs.items()
    ]
    try:
        deadline = time.monotonic() + 60
        answering: set[str] = set()
        while len(answering) < len(WORKERS) and time.monotonic() < deadline:
            replies = app.control.ping(timeout=1) or []
            answering = {name.split("@")[0] for reply in replies for name in reply}
        assert answering >= set(WORKERS), f"workers answering: {answering}"
        yield logs
    finally:
        for process in processes:
            process.terminate()  # warm shutdown: a running scan finishes first
        for process in processes:
            process.wait(timeout=60)


def scans_run(logs: dict[str, Path]) -> dict[str, list[str]]:
    """The ids of the scans each worker has finished, from its JSON task lines."""
    return {name: _scans_in(log) for name, log in logs.items()}


def _scans_in(log: Path) -> list[str]:
    ids = []
    for line in log.read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line from before logging was configured
        if entry.get("task") == SCAN and entry.get("state") == "succeeded":
            ids.append(entry["task_id"])
    return ids


def wait_for_scans(logs: dict[str, Path], total: int, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = scans_run(logs)
        if sum(len(ids) for ids in done.values()) >= total:
            return done
        time.sleep(0.2)  # waiting for other processes, not for a clock
    pytest.fail(f"scans finished by the deadline: {scans_run(logs)}")


@pytest.fixture
def cases_in_several_municipalities(personas):
    """One case that has been out of touch for long, in each of several municipalities."""
    from django.apps import apps

    from cases.defaults import load as load_defaults
    from municipalities.models import Role
    from tests.factories import MembershipFactory, MunicipalityFactory
    from tests.worlds import case_of_new_person

    load_defaults(apps)
    municipalities = [personas.municipality_a, personas.municipality_b]
    municipalities += [MunicipalityFactory() for _ in range(MUNICIPALITIES - len(municipalities))]
    long_ago = datetime.date.today() - datetime.timedelta(days=90)
    for number, municipality in enumerate(municipalities):
        caseworker = MembershipFactory(municipality=municipality, role=Role.CASEWORKER).user
        case_of_new_person(caseworker, municipality, f"分散 {number}", "ブンサン", long_ago)
    return municipalities


@pytest.mark.celery_worker_test
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_scans_spread_across_two_workers_and_a_second_delivery_adds_no_flag(
    two_workers, cases_in_several_municipalities
):
    from cases.engine.tasks import scan_all, scan_municipality
    from cases.models import Flag

    as_of = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    before = sum(len(ids) for ids in scans_run(two_workers).values())  # after-save checks
    scan_all.delay(as_of)  # beat's hourly task: one scan per municipality
    done = wait_for_scans(two_workers, before + MUNICIPALITIES)
    assert all(done[name] for name in WORKERS), done  # both workers took scans
    flags = Flag.objects.filter(rule="out_of_touch", state=Flag.State.OPEN)
    assert flags.count() == MUNICIPALITIES

    # Every scan delivered once more, on either worker: nothing new.
    for municipality in cases_in_several_municipalities:
        scan_municipality.delay(municipality.pk, as_of)
    wait_for_scans(two_workers, before + 2 * MUNICIPALITIES)
    assert flags.count() == MUNICIPALITIES
    pairs = list(Flag.objects.values_list("rule", "subject_id"))
    assert len(pairs) == len(set(pairs))
