"""Celery: the configured app runs tasks eagerly without a broker and, in CI, on a
real worker against Redis and the test database."""

from __future__ import annotations

import os

import pytest
from django.conf import settings

from cases.core import services as core_services
from municipalities.tasks import roster_summary
from portal.celery import app


def test_celery_app_is_json_only_with_time_limits():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.result_serializer == "json"
    assert app.conf.task_time_limit
    assert app.conf.task_soft_time_limit
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


@pytest.mark.celery_worker_test
def test_saving_a_case_makes_the_worker_raise_its_flag(real_worker, personas):
    """A case saved through the service is re-evaluated by the real worker after commit."""
    import datetime
    import time

    from django.apps import apps
    from django.utils import timezone

    from cases.defaults import load as load_defaults
    from cases.models import ContactRoute, Flag

    load_defaults(apps)
    person = core_services.person_create(
        user=personas.caseworker_a,
        municipality=personas.municipality_a,
        name="音信 不通",
        name_kana="オンシン フツウ",
    )
    case = core_services.case_open(
        user=personas.caseworker_a,
        person=person,
        route=ContactRoute.objects.get(municipality__isnull=True, code="self"),
        opened_on=timezone.localdate() - datetime.timedelta(days=70),
        assigned_to=personas.caseworker_a,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if Flag.objects.filter(case=case, rule="out_of_touch").exists():
            break
        time.sleep(0.2)  # waiting for another process, not for a clock
    flag = Flag.objects.get(case=case, rule="out_of_touch")
    assert flag.assigned_to == personas.caseworker_a


def test_the_same_scan_delivered_twice_adds_nothing(db, personas, world_a):
    from cases.engine.tasks import scan_municipality
    from cases.models import Flag

    later = "2027-09-01"
    scan_municipality.apply(args=[personas.municipality_a.pk, later]).get()
    count = Flag.objects.count()
    assert count > 0
    second = scan_municipality.apply(args=[personas.municipality_a.pk, later]).get()
    assert sum(second.values()) == 0
    assert Flag.objects.count() == count
    assert scan_municipality.apply(args=[10**9, later]).get() == {}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_scans_at_once_on_postgresql_add_each_flag_once(personas):
    import datetime
    import threading

    from django.db import connection

    from cases.engine.flags import evaluate
    from cases.models import Flag
    from tests.worlds import build_world

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    build_world(
        personas.municipality_a,
        personas.caseworker_a,
        personas.coordinator_a,
        personas.community_worker_a,
        name="並行 花子",
        kana="ヘイコウ ハナコ",
    )
    as_of = datetime.date.today() + datetime.timedelta(days=200)
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def run():
        from django.db import connection as thread_connection

        try:
            barrier.wait(timeout=10)
            evaluate(personas.municipality_a.pk, as_of)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    alone = evaluate(personas.municipality_a.pk, as_of)
    assert sum(o.raised for o in alone.values()) == 0
    pairs = list(Flag.objects.values_list("rule", "subject_id"))
    assert len(pairs) == len(set(pairs)) > 0


# --- a dead or hung broker (the web process's side) --------------------------------------

NOTICE_JA = (
    "つなぎのルールによる自動チェックを今は開始できませんでした。次の定期スキャンで行われます。"
)


def test_sending_a_task_waits_for_no_result_store_and_gives_up_on_the_broker_quickly():
    """The settings that bound what a dead broker costs a save (the end-to-end tests below
    measure it): no result store round trip, about a second per connection attempt, and
    one attempt after a save."""
    from cases.engine.evaluation import AFTER_SAVE_PUBLISH
    from cases.engine.tasks import evaluate_case

    conf = app.conf
    assert conf.task_ignore_result is True
    assert evaluate_case.ignore_result is True
    assert roster_summary.ignore_result is False  # the one result somebody reads
    options = conf.broker_transport_options
    assert options["socket_connect_timeout"] <= 1
    assert options["socket_timeout"] <= 2
    assert options["retry_on_timeout"] is False
    assert conf.broker_connection_timeout <= 1
    assert conf.redis_socket_connect_timeout <= 1
    assert conf.redis_socket_timeout <= 2
    assert AFTER_SAVE_PUBLISH["retry_policy"]["max_retries"] == 0


def test_a_task_left_by_a_killed_worker_comes_back_within_minutes_but_never_while_it_runs():
    """Redis delivers an unacknowledged task again after the visibility timeout: short,
    so that a scan a killed worker left behind runs again soon, and longer than any task
    can run or wait for its retry, so that none is delivered twice while it is alive."""
    app.loader.import_default_modules()
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    assert visibility <= 900
    ours = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert {"cases.scan_all", "cases.scan_municipality", "cases.anonymise_expired"} <= set(ours)
    for name, task in ours.items():
        limit = task.time_limit or app.conf.task_time_limit
        retry_wait = task.retry_backoff_max if getattr(task, "autoretry_for", ()) else 0
        assert limit + retry_wait < visibility, name
        if task.acks_late:
            assert task.reject_on_worker_lost, name


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def broker_at(settings, monkeypatch):
    """Build the web process's Celery app from the settings, as a process started with
    ``CELERY_BROKER_URL`` (and the result store, which defaults to it) at the given
    address would; the tasks resolve to it while the test runs."""
    from celery import Celery, current_app

    previous = current_app._get_current_object()
    apps = []

    def use(url: str) -> Celery:
        # Celery reads these two from the environment before the settings.
        monkeypatch.setenv("CELERY_BROKER_URL", url)
        monkeypatch.setenv("CELERY_RESULT_BACKEND", url)
        settings.CELERY_BROKER_URL = url
        settings.CELERY_RESULT_BACKEND = url
        settings.CELERY_TASK_ALWAYS_EAGER = False
        web = Celery("portal")
        web.config_from_object("django.conf:settings", namespace="CELERY")
        assert web.conf.broker_url == url
        web.set_current()
        apps.append(web)
        return web

    yield use
    previous.set_current()
    for web in apps:
        web.close()


@pytest.fixture
def silent_broker():
    """A port that accepts connections and never answers: a hung Redis."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held = []

    def accept():
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    server.close()
    for conn in held:
        conn.close()


@pytest.fixture
def national_defaults(transactional_db):
    """Routes, methods and categories: an earlier transactional test (the browser tests)
    may have flushed the rows the migrations loaded."""
    from django.apps import apps

    from cases.defaults import load as load_defaults

    load_defaults(apps)


def _intake_through_the_page(client, personas):
    """Save a new case through the intake page; returns the response and the seconds
    the request took."""
    import time

    from django.urls import reverse

    from tests.cases.test_pages import intake_data

    client.force_login(personas.caseworker_a)
    started = time.monotonic()
    response = client.post(reverse("cases:intake"), intake_data())
    return response, time.monotonic() - started


@pytest.mark.timeout(120)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_the_broker_down_a_save_is_quick_and_the_caseworker_is_told(
    client, personas, national_defaults, broker_at, caplog
):
    from cases.models import Case

    broker_at(f"redis://127.0.0.1:{_free_port()}/0")
    response, seconds = _intake_through_the_page(client, personas)
    print(f"\nintake with the broker port dead: {seconds:.2f} s")
    assert response.status_code == 302
    case = Case.objects.get()
    assert "could not enqueue evaluation" in caplog.text
    assert seconds < 2  # generous: the connection is refused at once (was about 19 s)
    html = client.get(response["Location"]).content.decode()
    assert case.number in html
    assert NOTICE_JA in html
    assert NOTICE_JA not in client.get(response["Location"]).content.decode()  # shown once


@pytest.mark.timeout(120)  # before the fix a hung broker held a save forever
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_the_broker_hung_a_save_waits_only_for_the_socket_timeout(
    client, personas, national_defaults, broker_at, silent_broker
):
    from cases.models import Case

    broker_at(silent_broker)
    response, seconds = _intake_through_the_page(client, personas)
    print(f"\nintake with a broker that never answers: {seconds:.2f} s")
    assert response.status_code == 302
    assert Case.objects.count() == 1
    assert seconds < 2 + 2  # socket_timeout, plus a generous margin (was: forever)
    assert NOTICE_JA in client.get(response["Location"]).content.decode()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_the_broker_down_an_api_save_succeeds_and_leaves_no_page_notice(
    personas, national_defaults, broker_at
):
    from rest_framework.test import APIClient

    from cases.models import Case

    broker_at(f"redis://127.0.0.1:{_free_port()}/0")
    client = APIClient()
    client.force_authenticate(personas.caseworker_a)
    response = client.post("/api/cases/", {"name": "API 太郎", "route": "self"}, format="json")
    assert response.status_code == 201
    assert Case.objects.filter(pk=response.json()["id"]).exists()
    assert "messages" not in response.cookies  # an API client has no next page
