"""API tokens: hashed at rest, expiring, scoped, several per account; issued and revoked
by managers of the staff member's municipality (audited); revoked when the account is
locked out or deactivated."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from municipalities.models import ApiToken, AuditEvent, Role
from tests.factories import MembershipFactory, api_token_key

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()  # the token rate limit is counted in the cache, across tests
    yield
    cache.clear()


def issue(client, owner, *, name="福祉システム連携", scope="read", days=90):
    """Issue a token on the managers' page; the key as the page shows it (once)."""
    response = client.post(
        reverse("api_tokens"), {"owner": owner.pk, "name": name, "scope": scope, "days": days}
    )
    assert response.status_code == 200, response.content.decode()
    match = re.search(r'<code id="new-token">([0-9a-f]+)</code>', response.content.decode())
    assert match, "the new key is shown once"
    return match.group(1)


def token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def assert_refused_401(response):
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "authentication_failed"
    assert "トークン" in error["message"]


def test_the_key_is_not_stored_in_clear(client, personas):
    client.force_login(personas.manager_a)
    key = issue(client, personas.caseworker_a)
    assert len(key) == 64
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM municipalities_apitoken")
        rows = cursor.fetchall()
    assert len(rows) == 1
    assert not any(key in str(value) for value in rows[0])
    assert token_client(key).get("/api/municipalities/").status_code == 200


def test_a_new_key_is_shown_once_and_never_again(client, personas):
    client.force_login(personas.manager_a)
    key = issue(client, personas.caseworker_a)
    html = client.get(reverse("api_tokens")).content.decode()
    assert key not in html
    assert key[:15] not in html
    assert "福祉システム連携" in html


def test_an_expired_token_gets_a_structured_401(personas):
    key = api_token_key(personas.caseworker_a, days=30)
    client = token_client(key)
    assert client.get("/api/municipalities/").status_code == 200
    with time_machine.travel(timezone.now() + datetime.timedelta(days=30, seconds=1)):
        assert_refused_401(client.get("/api/municipalities/"))


def test_an_unknown_or_malformed_token_gets_a_structured_401(personas):
    assert_refused_401(token_client("0" * 64).get("/api/municipalities/"))
    assert_refused_401(token_client("not-a-token").get("/api/municipalities/"))
    response = APIClient().get("/api/municipalities/", HTTP_AUTHORIZATION="Token caf\xe9")
    assert_refused_401(response)


def test_a_read_only_token_reads_but_cannot_write(personas, world_a):
    client = token_client(api_token_key(personas.caseworker_a, scope="read"))
    assert client.get(f"/api/cases/{world_a.case.pk}/").status_code == 200
    post = client.post("/api/consultations/", {}, format="json")
    patch = client.patch(f"/api/cases/{world_a.case.pk}/", {"version": 1}, format="json")
    for response in (post, patch):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "token_read_only"
        assert "読み取り専用" in response.json()["error"]["message"]


def test_a_read_write_token_may_write(personas):
    client = token_client(api_token_key(personas.caseworker_a, scope="write"))
    response = client.post("/api/consultations/", {}, format="json")
    assert response.status_code == 400  # past the scope check, refused as invalid input
    assert response.json()["error"]["code"] == "invalid"


def test_manager_issues_several_tokens_and_revoking_one_leaves_the_others(client, personas):
    client.force_login(personas.manager_a)
    first = issue(client, personas.caseworker_a, name="統計出力")
    second = issue(client, personas.caseworker_a, name="台帳連携", scope="write", days=365)
    assert ApiToken.objects.filter(user=personas.caseworker_a).count() == 2
    assert token_client(first).get("/api/municipalities/").status_code == 200
    assert token_client(second).get("/api/municipalities/").status_code == 200

    token = ApiToken.objects.get(name="統計出力")
    response = client.post(reverse("api_token_revoke", args=[token.pk]))
    assert response.status_code == 302
    assert_refused_401(token_client(first).get("/api/municipalities/"))
    assert token_client(second).get("/api/municipalities/").status_code == 200
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["台帳連携"]


def test_issue_and_revoke_are_audited(client, personas):
    client.force_login(personas.manager_a)
    issue(client, personas.caseworker_a, scope="write", days=30)
    token = ApiToken.objects.get()
    issued = AuditEvent.objects.get(detail__security="api_token_issued")
    assert issued.user == personas.manager_a
    assert issued.municipality == personas.municipality_a
    assert issued.detail["for"] == personas.caseworker_a.pk
    assert issued.detail["token"] == token.pk
    assert issued.detail["scope"] == "write"
    client.post(reverse("api_token_revoke", args=[token.pk]))
    revoked = AuditEvent.objects.get(detail__security="api_token_revoked")
    assert revoked.user == personas.manager_a
    assert revoked.detail["token"] == token.pk
    # The audit search names them.
    html = client.get(reverse("audit_search")).content.decode()
    assert "APIトークンを発行" in html
    assert "APIトークンを失効" in html


def test_the_list_shows_name_owner_scope_dates_and_last_use(client, personas):
    client.force_login(personas.manager_a)
    start = datetime.datetime(2026, 5, 1, 10, 0, tzinfo=datetime.UTC)  # 19:00 in Tokyo
    with time_machine.travel(start, tick=False):
        key = issue(client, personas.caseworker_a, name="台帳連携", scope="write", days=90)
        html = client.get(reverse("api_tokens")).content.decode()
        assert "台帳連携" in html
        assert str(personas.caseworker_a) in html
        assert "読み書き" in html
        assert "2026-05-01 19:00" in html  # issued
        assert "2026-07-30 19:00" in html  # expires after 90 days
        assert "未使用" in html
    with time_machine.travel(start + datetime.timedelta(minutes=20), tick=False):
        assert token_client(key).get("/api/municipalities/").status_code == 200
        html = client.get(reverse("api_tokens")).content.decode()
        assert "2026-05-01 19:20" in html
        assert "未使用" not in html


def test_last_use_is_written_at_most_once_a_minute(personas, django_assert_num_queries):
    key = api_token_key(personas.caseworker_a)
    client = token_client(key)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get("/api/municipalities/")
    token = ApiToken.objects.get()
    assert token.last_used_at == start
    with time_machine.travel(start + datetime.timedelta(seconds=59), tick=False):
        client.get("/api/municipalities/")
    token.refresh_from_db()
    assert token.last_used_at == start
    later = start + datetime.timedelta(seconds=61)
    with time_machine.travel(later, tick=False):
        client.get("/api/municipalities/")
    token.refresh_from_db()
    assert token.last_used_at == later


def test_a_locked_out_accounts_tokens_stop_working_and_its_sessions_end(personas, settings):
    key = api_token_key(personas.caseworker_a)
    other_key = api_token_key(personas.coordinator_a)
    browser = Client()
    browser.post(reverse("login"), {"username": "caseworker_a", "password": PASSWORD})
    assert browser.get(reverse("profile")).status_code == 200
    for i in range(settings.AXES_FAILURE_LIMIT):
        Client().post(
            reverse("login"),
            {"username": "caseworker_a", "password": "wrong"},
            REMOTE_ADDR=f"10.0.1.{i}",
        )
    assert_refused_401(token_client(key).get("/api/municipalities/"))
    assert browser.get(reverse("profile")).status_code == 302  # back to the login page
    assert token_client(other_key).get("/api/municipalities/").status_code == 200
    assert (
        AuditEvent.objects.filter(
            detail__security="account_locked_out", detail__for=personas.caseworker_a.pk
        ).count()
        == 1
    )
    revoked = AuditEvent.objects.get(detail__security="api_tokens_revoked_locked_out")
    assert revoked.user is None  # the portal acted, not a staff member
    assert revoked.municipality == personas.municipality_a


def test_a_locked_address_does_not_revoke_the_tokens_of_the_name_it_tried_last(personas, settings):
    """Failures under many names from one address lock the address, not the accounts."""
    key = api_token_key(personas.caseworker_a)
    for i in range(settings.AXES_FAILURE_LIMIT + 1):
        Client().post(
            reverse("login"),
            {"username": f"guess{i}" if i else "caseworker_a", "password": "wrong"},
            REMOTE_ADDR="10.0.9.9",
        )
    Client().post(
        reverse("login"), {"username": "caseworker_a", "password": "wrong"}, REMOTE_ADDR="10.0.9.9"
    )
    assert token_client(key).get("/api/municipalities/").status_code == 200


def test_a_deactivated_accounts_tokens_stop_working(personas):
    key = api_token_key(personas.caseworker_a)
    user = personas.caseworker_a
    user.is_active = False
    user.save()
    assert_refused_401(token_client(key).get("/api/municipalities/"))
    assert not ApiToken.objects.filter(user=user).exists()
    event = AuditEvent.objects.get(detail__security="api_tokens_revoked_deactivated")
    assert event.municipality == personas.municipality_a


def test_a_token_stops_working_when_its_account_leaves_the_municipality(personas):
    key = api_token_key(personas.caseworker_a)
    personas.caseworker_a.memberships.update(is_active=False)
    MembershipFactory(
        user=personas.caseworker_a, municipality=personas.municipality_b, role=Role.CASEWORKER
    )
    assert_refused_401(token_client(key).get("/api/municipalities/"))


def test_another_municipalitys_manager_cannot_see_or_revoke_them(client, personas):
    client.force_login(personas.manager_a)
    issue(client, personas.caseworker_a, name="豊中市の連携")
    token = ApiToken.objects.get()
    manager_b = MembershipFactory(
        municipality=personas.municipality_b, role=Role.MANAGER, user__username="manager_b"
    ).user
    client.force_login(manager_b)
    assert "豊中市の連携" not in client.get(reverse("api_tokens")).content.decode()
    url = reverse("api_token_revoke", args=[token.pk])
    assert client.post(url).status_code == 404
    assert client.get(url).status_code == 404
    # Nor issue one for staff of A.
    response = client.post(
        reverse("api_tokens"),
        {"owner": personas.caseworker_a.pk, "name": "x", "scope": "read", "days": 30},
    )
    assert response.status_code == 400
    assert ApiToken.objects.get() == token


def test_only_managers_reach_the_token_pages(client, personas, world_a):
    client.force_login(personas.caseworker_a)
    assert client.get(reverse("api_tokens")).status_code == 403
    url = reverse("api_token_revoke", args=[world_a.api_token.pk])
    assert client.post(url).status_code == 404
    assert ApiToken.objects.filter(pk=world_a.api_token.pk).exists()


def test_the_lifetime_has_a_default_and_a_maximum(client, personas):
    client.force_login(personas.manager_a)
    html = client.get(reverse("api_tokens")).content.decode()
    assert 'value="90"' in html
    assert "最長365日" in html
    response = client.post(
        reverse("api_tokens"),
        {"owner": personas.caseworker_a.pk, "name": "長すぎ", "scope": "read", "days": 366},
    )
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_token_list_query_count_does_not_grow(client, personas, django_assert_num_queries):
    for i in range(3):
        api_token_key(personas.caseworker_a, name=f"連携{i}")
    client.force_login(personas.manager_a)
    client.get(reverse("api_tokens"))
    # session, user, membership (+municipality, organisation), tokens (+owner, issuer),
    # staff offered in the form (the session, renewed under a minute ago, is not written)
    with django_assert_num_queries(5):
        client.get(reverse("api_tokens"))
    for i in range(5):
        api_token_key(personas.coordinator_a, name=f"追加{i}")
    with django_assert_num_queries(5):
        client.get(reverse("api_tokens"))


def test_the_plain_tokens_of_earlier_versions_are_dropped(personas):
    """The migration drops the old table of keys in clear and forgets its app."""
    import importlib

    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.recorder import MigrationRecorder

    loader = MigrationLoader(connection)
    (name,) = [
        n for app, n in loader.disk_migrations if app == "municipalities" and "api_tokens" in n
    ]
    migration = importlib.import_module(f"municipalities.migrations.{name}")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY)")
        cursor.execute("INSERT INTO authtoken_token VALUES ('plainkey')")
    MigrationRecorder(connection).record_applied("authtoken", "0001_initial")
    # Not entered as a context: SQLite refuses that inside the test's transaction.
    migration.drop_plain_tokens(None, connection.schema_editor())
    assert "authtoken_token" not in connection.introspection.table_names()
    assert not MigrationRecorder(connection).migration_qs.filter(app="authtoken").exists()
