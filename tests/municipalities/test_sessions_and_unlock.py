"""Session id rotation at login, logging out everywhere, and managers unlocking their
staff's locked accounts."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from municipalities.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


def attempt(client, username, password=PASSWORD, ip="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def lock(username: str, settings) -> None:
    for i in range(settings.AXES_FAILURE_LIMIT):
        attempt(Client(), username, "wrong", ip=f"10.0.1.{i}")


def test_the_session_id_changes_at_login(client, personas):
    session = client.session
    session["seen_login_page"] = True
    session.save()
    before = client.session.session_key
    assert attempt(client, "caseworker_a").status_code == 302
    after = client.session.session_key
    assert before
    assert after
    assert before != after


def test_logout_everywhere_ends_every_session_of_the_user(personas):
    first, second, other = Client(), Client(), Client()
    attempt(first, "caseworker_a")
    attempt(second, "caseworker_a", ip="10.0.0.2")
    attempt(other, "coordinator_a", ip="10.0.0.3")
    for c in (first, second, other):
        assert c.get(reverse("profile")).status_code == 200
    response = first.post(reverse("account_security"), {"action": "logout_everywhere"})
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert first.get(reverse("profile")).status_code == 302
    assert second.get(reverse("profile")).status_code == 302
    assert other.get(reverse("profile")).status_code == 200  # someone else's session stays
    assert AuditEvent.objects.filter(
        user=personas.caseworker_a, detail__security="logout_everywhere"
    ).exists()
    # A new login works as usual.
    attempt(first, "caseworker_a")
    assert first.get(reverse("profile")).status_code == 200


def test_the_account_page_offers_logout_everywhere_in_japanese(client, personas):
    client.force_login(personas.caseworker_a)
    html = client.get(reverse("account_security")).content.decode()
    assert "すべての端末からログアウト" in html
    assert "二要素認証" in html


def test_a_lock_expires_after_the_cool_off_time(personas, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        lock("caseworker_a", settings)
        assert attempt(Client(), "caseworker_a", ip="10.0.2.1").status_code == 429
    later = start + settings.AXES_COOLOFF_TIME + datetime.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        assert attempt(Client(), "caseworker_a", ip="10.0.2.1").status_code == 302


def test_manager_sees_and_unlocks_a_locked_staff_account(client, personas, settings):
    lock("caseworker_a", settings)
    lock("caseworker_b", settings)
    client.force_login(personas.manager_a)
    html = client.get(reverse("staff_security")).content.decode()
    assert "ロック中のアカウント" in html
    assert 'id="locked-accounts"' in html
    assert "caseworker_a" in html
    assert "caseworker_b" not in html  # another municipality's staff
    response = client.post(reverse("staff_unlock", args=[personas.caseworker_a.pk]))
    assert response.status_code == 302
    assert attempt(Client(), "caseworker_a", ip="10.0.3.1").status_code == 302
    event = AuditEvent.objects.get(detail__security="account_unlocked")
    assert event.user == personas.manager_a
    assert event.object_id == str(personas.caseworker_a.pk)
    assert "ロックされている職員アカウントはありません" in (
        client.get(reverse("staff_security")).content.decode()
    )


def test_manager_cannot_unlock_staff_of_another_municipality(client, personas, settings):
    lock("caseworker_b", settings)
    client.force_login(personas.manager_a)
    url = reverse("staff_unlock", args=[personas.caseworker_b.pk])
    assert client.post(url).status_code == 404
    assert client.get(url).status_code == 404
    assert attempt(Client(), "caseworker_b", ip="10.0.3.2").status_code == 429


def test_only_managers_unlock(client, personas, settings):
    lock("coordinator_a", settings)
    client.force_login(personas.caseworker_a)
    assert client.post(reverse("staff_unlock", args=[personas.coordinator_a.pk])).status_code == 404
    client.force_login(personas.system_admin)
    assert client.post(reverse("staff_unlock", args=[personas.coordinator_a.pk])).status_code == 404


def test_staff_security_page_query_count_is_constant(
    client, personas, settings, django_assert_max_num_queries
):
    from tests.factories import MembershipFactory

    client.force_login(personas.manager_a)
    for i in range(10):
        MembershipFactory(municipality=personas.municipality_a, user__username=f"extra{i}")
    # session, user, membership, staff list, devices, locked attempts, (users if any),
    # session save — however many staff.
    with django_assert_max_num_queries(9):
        assert client.get(reverse("staff_security")).status_code == 200
