"""Login lockout, session timeouts, Content-Security-Policy."""

from __future__ import annotations

import datetime
import re
import time
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def attempt(client, username, password, ip="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_repeated_failures_lock_the_account_with_a_japanese_message(client, personas, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, "caseworker_a", "wrong").status_code == 200
    assert attempt(client, "caseworker_a", "wrong").status_code == 429  # the limit is reached
    response = attempt(client, "caseworker_a", "correct-horse-battery")
    assert response.status_code == 429
    assert "ログイン" in response.content.decode()
    assert "30分" in response.content.decode()
    # Another account from another address is not affected.
    assert attempt(client, "manager_a", "correct-horse-battery", ip="10.0.0.9").status_code == 302


def test_repeated_failures_from_one_address_lock_that_address(client, personas, settings):
    for i in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, f"nobody{i}", "wrong", ip="10.0.0.66")
    assert attempt(client, "manager_a", "correct-horse-battery", ip="10.0.0.66").status_code == 429


def test_a_locked_account_unlocks_when_reset(client, personas, settings):
    from django.core.management import call_command

    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "caseworker_a", "wrong")
    assert attempt(client, "caseworker_a", "correct-horse-battery").status_code == 429
    call_command("axes_reset_username", "caseworker_a")
    call_command("axes_reset_ip", "10.0.0.1")
    assert attempt(client, "caseworker_a", "correct-horse-battery").status_code == 302


def test_idle_timeout_is_thirty_minutes_renewed_at_most_once_a_minute(client, personas, settings):
    from django.contrib.sessions.models import Session

    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert not settings.SESSION_SAVE_EVERY_REQUEST
    client.force_login(personas.caseworker_a)
    first = client.get(reverse("profile"))
    assert first.cookies["sessionid"]["max-age"] == 30 * 60
    key = client.session.session_key
    expires = Session.objects.get(session_key=key).expire_date
    # Within the minute: the page reads the session and writes nothing.
    second = client.get(reverse("profile"))
    assert "sessionid" not in second.cookies
    assert Session.objects.get(session_key=key).expire_date == expires
    # A minute after the last renewal: the row and the cookie are renewed.
    session = client.session
    session["renewed_at"] = int(time.time()) - settings.SESSION_RENEW_SECONDS
    session.save()
    Session.objects.filter(session_key=key).update(
        expire_date=expires - datetime.timedelta(minutes=1)
    )
    third = client.get(reverse("profile"))
    assert third.cookies["sessionid"]["max-age"] == 30 * 60
    assert Session.objects.get(session_key=key).expire_date > expires - datetime.timedelta(
        minutes=1
    )


def test_an_idle_session_is_logged_out(client, personas):
    from django.contrib.sessions.models import Session

    client.force_login(personas.caseworker_a)
    assert client.get(reverse("profile")).status_code == 200
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = client.get(reverse("profile"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_absolute_timeout_logs_out_an_old_session(client, personas, settings):
    client.force_login(personas.caseworker_a)
    assert client.get(reverse("profile")).status_code == 200
    session = client.session
    session["login_at"] = int(time.time()) - settings.SESSION_ABSOLUTE_SECONDS - 1
    session.save()
    response = client.get(reverse("profile"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_strict_content_security_policy_on_pages(client, personas):
    client.force_login(personas.caseworker_a)
    policy = client.get(reverse("cases:dashboard"))["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy


def test_no_template_has_an_inline_script():
    inline = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
    offenders = [
        str(path.relative_to(ROOT))
        for path in ROOT.glob("*/templates/**/*.html")
        if ".venv" not in path.parts and inline.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
