"""The second factor (TOTP): password → code, enrolment, who must have it, API sessions,
removal by the staff member and reset by their manager."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from municipalities.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


def code_for(device: TOTPDevice, *, ahead: int = 0) -> str:
    """The device's code now (or ``ahead`` steps later: a code is accepted once)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + ahead * device.step
    return f"{totp.token():06d}"


def device_for(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def password_login(client, username: str, ip: str = "10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": PASSWORD}, REMOTE_ADDR=ip
    )


def test_manager_with_device_is_asked_for_the_code_then_gets_in(client, personas):
    device = device_for(personas.manager_a)
    response = password_login(client, "manager_a")
    assert response.status_code == 302
    response = client.get(reverse("profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("second_factor"))
    page = client.get(response["Location"])
    assert "認証アプリ" in page.content.decode()
    before = client.session.session_key
    response = client.post(reverse("second_factor"), {"code": code_for(device), "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session.session_key != before  # a new session id once fully signed in
    assert client.get(reverse("profile")).status_code == 200


def test_wrong_code_is_refused_in_japanese_and_counts_as_a_failure(client, personas):
    from axes.models import AccessAttempt

    device = device_for(personas.manager_a)
    password_login(client, "manager_a")
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("second_factor"), {"code": wrong})
    assert response.status_code == 400
    assert "コードが正しくありません" in response.content.decode()
    assert client.get(reverse("profile")).status_code == 302
    attempt = AccessAttempt.objects.get(username="manager_a")
    assert attempt.failures_since_start == 1
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


def test_fast_wrong_codes_are_throttled_and_end_in_the_lockout(client, personas, settings):
    device = device_for(personas.manager_a)
    password_login(client, "manager_a")
    response = client.post(reverse("second_factor"), {"code": "000000"})
    # The next try within the throttle delay is refused even with the right code.
    response = client.post(reverse("second_factor"), {"code": code_for(device)})
    assert response.status_code == 400
    assert "しばらく待って" in response.content.decode()
    for _ in range(settings.AXES_FAILURE_LIMIT - 2):
        response = client.post(reverse("second_factor"), {"code": "000000"})
    assert response.status_code == 429
    assert "30分" in response.content.decode()
    # The session ended, and the password alone no longer opens the account.
    assert client.get(reverse("profile")).status_code == 302
    assert password_login(client, "manager_a").status_code == 429


def test_manager_without_device_must_enrol_and_confirm_with_a_code(client, personas):
    password_login(client, "manager_a")
    response = client.get(reverse("profile"))
    response = client.get(response["Location"], follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0].startswith(reverse("second_factor_enrol"))
    device = TOTPDevice.objects.get(user=personas.manager_a, confirmed=False)
    secret = html.split('id="totp-secret">')[1].split("<")[0].replace(" ", "")
    import base64

    assert base64.b32decode(secret) == device.bin_key
    qr = client.get(reverse("second_factor_qr"))
    assert qr["Content-Type"] == "image/svg+xml"
    assert b"<svg" in qr.content
    assert client.post(reverse("second_factor_enrol"), {"code": "000000"}).status_code == 400
    response = client.post(reverse("second_factor_enrol"), {"code": code_for(device, ahead=1)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("profile")).status_code == 200
    assert AuditEvent.objects.filter(
        user=personas.manager_a, detail__security="second_factor_enrolled"
    ).exists()


@pytest.mark.real_second_factor
def test_force_login_alone_does_not_pass_the_second_factor(client, personas):
    client.force_login(personas.manager_a)
    assert client.get(reverse("profile"))["Location"].startswith(reverse("second_factor"))


def test_system_admin_must_use_a_second_factor(client, personas):
    password_login(client, "system_admin")
    assert client.get(reverse("profile"))["Location"].startswith(reverse("second_factor"))
    assert client.get("/admin/")["Location"].startswith(reverse("second_factor"))


def test_multiagency_staff_must_use_a_second_factor(client, personas):
    """They see every case of the municipality, as managers do."""
    from municipalities.models import Role
    from tests.factories import MembershipFactory

    MembershipFactory(
        municipality=personas.municipality_a, role=Role.MULTIAGENCY, user__username="tajuso_a"
    )
    password_login(client, "tajuso_a")
    assert client.get(reverse("profile"))["Location"].startswith(reverse("second_factor"))
    assert client.get(reverse("cases:dashboard"))["Location"].startswith(reverse("second_factor"))


def test_it_is_optional_for_a_caseworker(client, personas):
    password_login(client, "caseworker_a")
    assert client.get(reverse("profile")).status_code == 200
    assert "未設定" in client.get(reverse("account_security")).content.decode()


def test_caseworker_who_enrolled_is_asked_for_the_code(client, personas):
    device = device_for(personas.caseworker_a)
    password_login(client, "caseworker_a")
    assert client.get(reverse("cases:dashboard"))["Location"].startswith(reverse("second_factor"))
    client.post(reverse("second_factor"), {"code": code_for(device)})
    assert client.get(reverse("cases:dashboard")).status_code == 200


def test_api_session_gets_structured_403_until_verified(client, personas):
    device = device_for(personas.manager_a)
    password_login(client, "manager_a")
    response = client.get("/api/cases/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "second_factor_required"
    client.post(reverse("second_factor"), {"code": code_for(device)})
    assert client.get("/api/cases/").status_code == 200


def test_token_api_calls_are_unaffected(client, personas):
    from django.core.cache import cache

    from tests.factories import api_token_key

    cache.clear()  # the token rate limit is counted in the cache, across tests

    device_for(personas.manager_a)
    key = api_token_key(personas.manager_a)
    response = client.get("/api/cases/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200


def test_caseworker_removes_own_device_with_a_valid_code(client, personas):
    device = device_for(personas.caseworker_a)
    password_login(client, "caseworker_a")
    client.post(reverse("second_factor"), {"code": code_for(device)})
    url = reverse("account_security")
    response = client.post(url, {"action": "remove_device", "code": "000000"})
    assert response.status_code == 400
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    device.throttle_reset()  # rather than waiting out the throttle delay
    response = client.post(url, {"action": "remove_device", "code": code_for(device, ahead=1)})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=personas.caseworker_a).exists()
    assert AuditEvent.objects.filter(detail__security="second_factor_removed").exists()
    assert client.get(reverse("profile")).status_code == 200


def test_manager_resets_a_staff_members_device_and_ends_their_sessions(personas, client):
    from django.test import Client

    device = device_for(personas.caseworker_a)
    staff_client = Client()
    password_login(staff_client, "caseworker_a", ip="10.0.0.2")
    staff_client.post(reverse("second_factor"), {"code": code_for(device)})
    assert staff_client.get(reverse("profile")).status_code == 200

    manager_device = device_for(personas.manager_a)
    password_login(client, "manager_a")
    client.post(reverse("second_factor"), {"code": code_for(manager_device)})
    page = client.get(reverse("staff_security"))
    assert page.status_code == 200
    assert "リセット" in page.content.decode()
    url = reverse("staff_reset_device", args=[personas.caseworker_a.pk])
    assert client.post(url).status_code == 302
    assert not TOTPDevice.objects.filter(user=personas.caseworker_a).exists()
    # The staff member's session ended.
    assert staff_client.get(reverse("profile")).status_code == 302
    event = AuditEvent.objects.get(detail__security="second_factor_reset")
    assert event.user == personas.manager_a
    assert event.object_id == str(personas.caseworker_a.pk)


def test_manager_cannot_reset_staff_of_another_municipality(client, personas):
    device_for(personas.caseworker_b)
    client.force_login(personas.manager_a)
    url = reverse("staff_reset_device", args=[personas.caseworker_b.pk])
    assert client.post(url).status_code == 404
    assert TOTPDevice.objects.filter(user=personas.caseworker_b).exists()


def test_caseworker_cannot_reset_anyones_device(client, personas):
    client.force_login(personas.caseworker_a)
    url = reverse("staff_reset_device", args=[personas.coordinator_a.pk])
    assert client.post(url).status_code == 404
    assert client.get(reverse("staff_security")).status_code == 403


def test_demo_accounts_get_a_known_device_and_the_code_command(settings, fy2022_roster):
    from io import StringIO

    from django.core.management import CommandError, call_command

    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())  # idempotent
    for username in ("a-manager", "b-manager", "sysadmin"):
        assert TOTPDevice.objects.filter(user__username=username, confirmed=True).count() == 1
    assert not TOTPDevice.objects.filter(user__username="a-caseworker").exists()
    out = StringIO()
    call_command("demo_totp", "a-manager", stdout=out)
    device = TOTPDevice.objects.get(user__username="a-manager")
    assert out.getvalue().strip() == code_for(device)
    with pytest.raises(CommandError):
        call_command("demo_totp", "nobody")
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("demo_totp", "a-manager")


def test_the_password_alone_cannot_replace_an_existing_device(client, personas):
    device = device_for(personas.caseworker_a)
    password_login(client, "caseworker_a")
    response = client.get(reverse("second_factor_enrol"))
    assert response.status_code == 302
    assert response["Location"] == reverse("second_factor")
    assert client.get(reverse("second_factor_qr")).status_code == 404
    response = client.post(reverse("second_factor_enrol"), {"code": code_for(device)})
    assert response["Location"] == reverse("second_factor")
    assert list(TOTPDevice.objects.filter(user=personas.caseworker_a)) == [device]
    assert client.get(reverse("profile")).status_code == 302


def test_a_verified_user_moves_to_a_new_phone(client, personas):
    old = device_for(personas.manager_a)
    password_login(client, "manager_a")
    client.post(reverse("second_factor"), {"code": code_for(old)})
    assert client.get(reverse("second_factor_enrol")).status_code == 200
    new = TOTPDevice.objects.get(user=personas.manager_a, confirmed=False)
    response = client.post(reverse("second_factor_enrol"), {"code": code_for(new)})
    assert response.status_code == 302
    assert list(TOTPDevice.objects.filter(user=personas.manager_a)) == [new]
    assert client.get(reverse("profile")).status_code == 200
