"""Settings: environment switches and production refusals."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = "k" * 20 + "random-enough-for-tests-0123456789abcdefghij"
GOOD_AUDIT_KEY = "a" * 8 + "audit-key-random-enough-for-tests-0123456789"


def run_check(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "AUDIT_"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_the_development_secret_key():
    result = run_check(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings.production",
            "DJANGO_ALLOWED_HOSTS": "portal.example.jp",
        }
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_debug():
    result = run_check(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings.production",
            "DJANGO_SECRET_KEY": GOOD_KEY,
            "DJANGO_DEBUG": "true",
            "DJANGO_ALLOWED_HOSTS": "portal.example.jp",
        }
    )
    assert result.returncode != 0
    assert "DJANGO_DEBUG" in result.stderr


@pytest.mark.parametrize(
    "audit_key",
    [
        None,  # missing: the public development key
        "insecure-development-only-audit-key-do-not-use-in-production",
        "too-short-0123456789",
        GOOD_KEY,  # the secret key
    ],
)
def test_production_refuses_a_missing_or_development_audit_key(audit_key):
    env = {
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "DJANGO_SECRET_KEY": GOOD_KEY,
        "DJANGO_ALLOWED_HOSTS": "portal.example.jp",
    }
    if audit_key is not None:
        env["AUDIT_HMAC_KEY"] = audit_key
    result = run_check(env)
    assert result.returncode != 0
    assert "AUDIT_HMAC_KEY" in result.stderr


def test_static_files_are_collected_without_the_audit_key(tmp_path):
    """A build step has no secrets beyond the settings' own: collectstatic runs."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "AUDIT_"))
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
        cwd=ROOT,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "portal.settings.production",
            "DJANGO_SECRET_KEY": GOOD_KEY,
            "DJANGO_ALLOWED_HOSTS": "portal.example.jp",
            "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "static" / "staticfiles.json").exists()


def test_the_audit_chain_refuses_to_sign_with_a_key_production_refuses(settings, personas):
    from django.core.exceptions import ImproperlyConfigured

    from municipalities.audit import audit_write
    from municipalities.models import AuditEvent

    settings.AUDIT_HMAC_KEY_PROBLEM = "Set AUDIT_HMAC_KEY"
    before = AuditEvent.objects.count()
    from django.db import transaction

    with pytest.raises(ImproperlyConfigured, match="AUDIT_HMAC_KEY"), transaction.atomic():
        audit_write(
            user=personas.caseworker_a,
            municipality_id=personas.municipality_a.pk,
            action=AuditEvent.Action.VIEW,
        )
    assert AuditEvent.objects.count() == before


def test_production_reads_the_secrets_from_files_and_passes_deploy_checks(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text(GOOD_KEY + "\n")
    audit_key_file = tmp_path / "audit-key"
    audit_key_file.write_text(GOOD_AUDIT_KEY + "\n")
    result = run_check(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings.production",
            "DJANGO_SECRET_KEY_FILE": str(key_file),
            "AUDIT_HMAC_KEY_FILE": str(audit_key_file),
            "DJANGO_ALLOWED_HOSTS": "portal.example.jp",
        },
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_defaults_are_sqlite_japanese_tokyo_argon2_and_eager_celery():
    from django.conf import settings

    if "DATABASE_URL" not in os.environ:
        assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert settings.LANGUAGE_CODE == "ja"
    assert settings.TIME_ZONE == "Asia/Tokyo"
    assert "en" in dict(settings.LANGUAGES)
    from portal.settings import base

    assert base.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert (not os.environ.get("CELERY_BROKER_URL")) == base.CELERY_TASK_ALWAYS_EAGER


@pytest.mark.parametrize(
    ("url", "engine"),
    [
        ("postgres://postgres@127.0.0.1:5432/portal", "django.db.backends.postgresql"),
        ("sqlite:////tmp/x.sqlite3", "django.db.backends.sqlite3"),
    ],
)
def test_database_url_switches_the_engine(url, engine):
    code = (
        f"import os; os.environ['DATABASE_URL']={url!r}; "
        "from portal.settings import base; print(base.DATABASES['default']['ENGINE'], "
        "base.DATABASES['default'].get('CONN_HEALTH_CHECKS'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out[0] == engine
    assert out[1] == ("True" if "postgresql" in engine else "None")


@pytest.mark.parametrize("pgbouncer", ["true", "false"])
def test_behind_pgbouncer_no_server_side_cursors_and_no_options_at_connect(pgbouncer):
    """Transaction pooling lends a server connection per transaction: a cursor declared
    in one is gone in the next, and PgBouncer refuses session options at connect."""
    code = (
        "import os; os.environ['DATABASE_URL']='postgres://portal@127.0.0.1:6432/portal'; "
        f"os.environ['DATABASE_PGBOUNCER']={pgbouncer!r}; "
        "from portal.settings import base; d = base.DATABASES['default']; "
        "print(d.get('DISABLE_SERVER_SIDE_CURSORS', False), 'OPTIONS' in d and "
        "'jit=off' in d['OPTIONS'].get('options', ''))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == (["True", "False"] if pgbouncer == "true" else ["False", "True"])
