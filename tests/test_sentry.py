"""Error reports to Sentry: off without SENTRY_DSN, and what would be sent carries no
personal data (no bodies, cookies, query strings, private headers, local variables;
the user by id only)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import sentry_sdk

from portal.sentry import init_sentry, scrub_event

ROOT = Path(__file__).resolve().parent.parent
PERSONAL = ("山田", "花子", "ヤマダ", "豊中市中桜塚", "090-1234-5678", "a-caseworker")


def personal_event() -> dict:
    """An event as Sentry's Django integration builds it, with everything filled in."""
    return {
        "level": "error",
        "request": {
            "url": "https://portal.example.lg.jp/cases/persons/12/?q=%E5%B1%B1%E7%94%B0#top",
            "method": "POST",
            "query_string": "q=山田",
            "data": {"name": "山田 花子", "address": "豊中市中桜塚"},
            "cookies": {"sessionid": "secret-session"},
            "env": {"REMOTE_ADDR": "203.0.113.9", "SERVER_NAME": "web-1"},
            "headers": {
                "Host": "portal.example.lg.jp",
                "User-Agent": "Mozilla/5.0",
                "X-Request-ID": "req-1",
                "Cookie": "sessionid=secret-session",
                "Authorization": "Token api-secret",
                "X-Forwarded-For": "203.0.113.9",
                "Referer": "https://portal.example.lg.jp/cases/persons/?q=ヤマダ",
            },
        },
        "user": {"id": 7, "username": "a-caseworker", "email": "a@example.jp", "ip_address": "1"},
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": "bad value",
                    "stacktrace": {
                        "frames": [
                            {
                                "filename": "cases/core/views.py",
                                "function": "person_detail",
                                "lineno": 40,
                                "vars": {"name": "山田 花子", "phone": "090-1234-5678"},
                            }
                        ]
                    },
                }
            ]
        },
        "breadcrumbs": {
            "values": [{"category": "query", "message": "SELECT …", "data": {"params": ["ヤマダ"]}}]
        },
        "extra": {"person": "山田 花子"},
        "tags": {"request_id": "req-1"},
    }


def test_the_scrubber_leaves_no_personal_data_and_keeps_what_finds_the_bug():
    event = scrub_event(personal_event())
    text = json.dumps(event, ensure_ascii=False)
    for personal in PERSONAL:
        assert personal not in text
    for secret in ("secret-session", "api-secret", "203.0.113.9", "%E5"):
        assert secret not in text
    assert event["user"] == {"id": 7}
    assert event["request"]["url"] == "https://portal.example.lg.jp/cases/persons/12/"
    assert event["request"]["method"] == "POST"
    assert event["request"]["headers"] == {
        "Host": "portal.example.lg.jp",
        "User-Agent": "Mozilla/5.0",
        "X-Request-ID": "req-1",
    }
    [frame] = event["exception"]["values"][0]["stacktrace"]["frames"]
    assert frame == {"filename": "cases/core/views.py", "function": "person_detail", "lineno": 40}
    assert event["exception"]["values"][0]["type"] == "ValueError"
    assert event["tags"] == {"request_id": "req-1"}


def test_an_anonymous_users_event_keeps_no_user_fields():
    event = personal_event()
    event["user"] = {"ip_address": "203.0.113.9"}
    assert scrub_event(event)["user"] == {}


def test_without_sentry_dsn_nothing_is_initialised(settings, monkeypatch):
    def refuse(**kwargs):
        raise AssertionError("sentry_sdk.init must not be called without SENTRY_DSN")

    settings.SENTRY_DSN = ""
    monkeypatch.setattr(sentry_sdk, "init", refuse)
    assert init_sentry() is False
    assert not sentry_sdk.get_client().is_active()  # the suite runs without SENTRY_DSN


def test_with_sentry_dsn_it_starts_without_personal_data_options(settings, monkeypatch):
    options: dict = {}
    monkeypatch.setattr(sentry_sdk, "init", lambda **kwargs: options.update(kwargs))
    settings.SENTRY_DSN = "https://public@sentry.example.invalid/1"
    settings.SENTRY_ENVIRONMENT = "staging"
    settings.SENTRY_RELEASE = "portal@1.2.3"
    assert init_sentry() is True
    assert options["dsn"] == "https://public@sentry.example.invalid/1"
    assert options["environment"] == "staging"
    assert options["release"] == "portal@1.2.3"
    assert options["send_default_pii"] is False
    assert options["include_local_variables"] is False
    assert options["max_request_body_size"] == "never"
    assert options["before_send"] is scrub_event


def test_an_error_on_a_page_is_reported_without_personal_data():
    """Sentry really initialised (in a process of its own, nothing leaves the machine):
    the event of a page that fails carries its request id and none of the form, query,
    cookies, private headers or local variables."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SENTRY_")}
    env["SENTRY_DSN"] = "https://public@sentry.example.invalid/1"
    result = subprocess.run(
        [sys.executable, "-m", "tests.sentry_probe"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    [event] = json.loads(result.stdout)
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["tags"]["request_id"] == "probe-1"
    assert event["request"]["url"].endswith("/cases/persons/1/")
    assert set(event["request"]) <= {"url", "method", "headers"}
    text = json.dumps(event, ensure_ascii=False)
    for secret in ("山田", "豊中市", "%E5", "session-secret", "api-secret", "203.0.113.9"):
        assert secret not in text
    assert all(
        "vars" not in frame for frame in event["exception"]["values"][-1]["stacktrace"]["frames"]
    )
