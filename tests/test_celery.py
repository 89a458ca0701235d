"""Celery: the configured app runs tasks eagerly without a broker and, in CI, on a
real worker against Redis and the test database."""

from __future__ import annotations

import os

import pytest
from django.conf import settings

from portal.celery import app
from portal.tasks import roster_summary


def test_celery_app_is_json_only_with_time_limits():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.result_serializer == "json"
    assert app.conf.task_time_limit and app.conf.task_soft_time_limit
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert app.conf.broker_transport_options["visibility_timeout"] > app.conf.task_time_limit


@pytest.mark.django_db
def test_roster_summary_runs_in_process(fy2022_roster, settings):
    if settings.CELERY_BROKER_URL:
        pytest.skip("a broker is configured: covered by the real-worker test")
    assert roster_summary.delay(2022).get(timeout=5) == {"implementation": 133}


@pytest.fixture
def real_worker(django_db_serialized_rollback, transactional_db):
    if not settings.CELERY_BROKER_URL:
        if os.environ.get("REQUIRE_CELERY_WORKER") == "1":
            pytest.fail("REQUIRE_CELERY_WORKER=1 but CELERY_BROKER_URL is not set")
        pytest.skip("CELERY_BROKER_URL not set: no real worker to test against")
    from celery.contrib.testing.worker import start_worker

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        yield


@pytest.mark.celery_worker_test
def test_real_worker_reads_the_same_database(real_worker):
    from municipalities.roster import roster_import
    from tests.conftest import ROSTER_FY2022

    roster_import(content=ROSTER_FY2022.read_bytes(), file_name="r.csv", fiscal_year=2022)
    result = roster_summary.delay(2022)
    assert result.get(timeout=30) == {"implementation": 133}
    assert roster_summary.delay(2031).get(timeout=30) == {}
