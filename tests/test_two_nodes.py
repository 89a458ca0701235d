"""Two web nodes that share nothing but PostgreSQL and Redis, with requests alternating
between them as a load balancer would send them: a session, a CSRF token, a lockout,
an API rate limit and the audit chain each hold across the two.

Each node is a gunicorn process with production settings on its own loopback port, on
the test database and the configured Redis. Skipped without PostgreSQL and Redis
(``DATABASE_URL``, ``CELERY_BROKER_URL``) unless ``REQUIRE_TWO_NODES=1`` (CI).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
from collections.abc import Iterator
from itertools import cycle

import pytest
from django.conf import settings
from django.db import connections
from django.urls import reverse

from tests.conftest import database_url_of_tests
from tests.factories import api_token_key
from tests.test_production import PYTHON, ROOT, Browser, serving

SECRET_KEY = "two-nodes-test-secret-" + "s" * 48
AUDIT_KEY = "two-nodes-test-audit-key-" + "a" * 32
TOKEN_RATE = 6  # API calls per hour and account, counted across the nodes
LOCKED_OUT_JA = "ログインを一時的に停止しています"
PASSWORD = "correct-horse-battery"  # tests.factories


def _node_environment() -> dict[str, str]:
    database = connections["default"].settings_dict
    broker = settings.CELERY_BROKER_URL
    if database["ENGINE"] != "django.db.backends.postgresql" or not broker.startswith("redis"):
        if os.environ.get("REQUIRE_TWO_NODES") == "1":
            pytest.fail("REQUIRE_TWO_NODES=1 needs DATABASE_URL (PostgreSQL) and Redis")
        pytest.skip("two nodes need PostgreSQL (DATABASE_URL) and Redis (CELERY_BROKER_URL)")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "CACHE_", "API_"))
    }
    # What a second machine shares with the first: the database, Redis, the keys. No
    # CACHE_URL: production settings count rate limits in the broker's Redis.
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.production",
        DJANGO_SECRET_KEY=SECRET_KEY,
        AUDIT_HMAC_KEY=AUDIT_KEY,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DATABASE_URL=database_url_of_tests(),
        CELERY_BROKER_URL=broker,
        API_TOKEN_RATE=f"{TOKEN_RATE}/hour",
    )
    return env


@pytest.fixture(scope="module")
def static_root(tmp_path_factory) -> str:
    """The static files both nodes serve (manifest storage needs collectstatic)."""
    root = tmp_path_factory.mktemp("static")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_STATIC_ROOT": str(root),
    }
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return str(root)


@pytest.fixture
def nodes(transactional_db, tmp_path, settings, request) -> Iterator[tuple[int, int]]:
    env = _node_environment()
    env["DJANGO_STATIC_ROOT"] = request.getfixturevalue("static_root")
    # This process writes audit events too (creating the test's records): with the same
    # key as the nodes, so that the chain's head stays signed.
    settings.AUDIT_HMAC_KEY = AUDIT_KEY
    # The rate-limit counts of an earlier run's accounts (ids start again in a new test
    # database) do not count: they are the nodes' cache entries in Redis.
    import redis

    cache = redis.Redis.from_url(env["CELERY_BROKER_URL"])
    for key in cache.scan_iter("portal:*throttle_*"):
        cache.delete(key)
    with (
        serving(env, tmp_path / "a-access.log", tmp_path / "a.log", workers=1) as a,
        serving(env, tmp_path / "b-access.log", tmp_path / "b.log", workers=1) as b,
    ):
        yield a, b
    result = subprocess.run(
        [PYTHON, "manage.py", "verify_audit"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def csrf_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def production_password(user) -> None:
    """The test settings hash passwords with MD5, which production does not accept."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save(update_fields=["password"])


def log_in(browser: Browser, username: str, password: str = PASSWORD):
    _response, html = browser.request("GET", "/login/")
    return browser.request(
        "POST",
        "/login/",
        {"csrfmiddlewaretoken": csrf_token(html), "username": username, "password": password},
    )


def on(port: int, browser: Browser) -> Browser:
    """The same browser (cookies) sending its next request to the node at ``port``."""
    browser.port = port
    return browser


@pytest.fixture
def open_case(personas):
    from django.apps import apps

    from cases.defaults import load as load_defaults
    from tests.worlds import case_of_new_person

    load_defaults(apps)
    return case_of_new_person(
        personas.caseworker_a, personas.municipality_a, "両方 太郎", "リョウホウ タロウ"
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_session_and_its_csrf_token_work_on_either_node_and_the_audit_chain_holds(
    nodes, personas, open_case
):
    """Logged in on A, the caseworker opens the case alternately on B and A (each view
    is an audit event of one chain, checked by verify_audit after the nodes stop), and
    logs out on B with the token of a form A served."""
    from municipalities.models import AuditEvent

    a, b = nodes
    production_password(personas.caseworker_a)
    browser = Browser(a)
    response, _html = log_in(browser, "caseworker_a")
    assert response.status == 302
    case_page = reverse("cases:case_detail", args=[open_case.pk])
    before = AuditEvent.objects.count()
    for port in [b, a, b, a, b, a]:
        response, html = on(port, browser).request("GET", case_page)
        assert response.status == 200, (port, html[:300])
        assert "両方 太郎" in html
    views = AuditEvent.objects.filter(action="view", case_id=open_case.pk, user__isnull=False)
    assert views.count() >= 6
    assert AuditEvent.objects.count() > before

    _response, html = on(a, browser).request("GET", "/cases/")
    response, _html = on(b, browser).request(
        "POST", "/logout/", {"csrfmiddlewaretoken": csrf_token(html)}
    )
    assert response.status == 302
    response, _html = on(a, browser).request("GET", "/cases/")
    assert response.status == 302  # logged out everywhere
    assert "/login/" in response.getheader("Location")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_failed_logins_on_both_nodes_add_up_to_one_lockout(nodes, personas):
    a, b = nodes
    production_password(personas.coordinator_a)
    response, _html = log_in(Browser(b), "coordinator_a")
    assert response.status == 302  # the right password works before …
    ports = cycle([a, b])
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response, html = log_in(Browser(next(ports)), "coordinator_a", "wrong-password-1")
        assert response.status == 200
        assert LOCKED_OUT_JA not in html
    # … the last failure allowed, on whichever node, locks the account on both.
    log_in(Browser(next(ports)), "coordinator_a", "wrong-password-1")
    for port in (a, b):
        response, html = log_in(Browser(port), "coordinator_a")
        assert response.status != 302
        assert LOCKED_OUT_JA in html


def _api_get(port: int, key: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(
        "GET", "/api/cases/", headers={"Host": "127.0.0.1", "Authorization": f"Token {key}"}
    )
    response = connection.getresponse()
    body = response.read()
    connection.close()
    if response.status == 429:
        assert json.loads(body)["error"]["code"] == "throttled"
    return response.status


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_api_rate_limit_counts_calls_on_both_nodes_together(nodes, personas):
    a, b = nodes
    key = api_token_key(personas.caseworker_a, scope="read")
    ports = cycle([a, b])
    statuses = [_api_get(next(ports), key) for _ in range(TOKEN_RATE)]
    assert statuses == [200] * TOKEN_RATE
    # Each node has served only half the allowance; together they have served it all.
    assert _api_get(a, key) == 429
    assert _api_get(b, key) == 429
