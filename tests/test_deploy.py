"""The deploy recipe (deploy/) stays in step with the code: the environment template
lists every variable the settings and the server config read, the systemd units start
what exists, the nginx site parses, and behind it the portal sees the client's address."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
TEMPLATE = DEPLOY / "portal.env.example"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
# Code that runs on the servers; tests/ and bench/ read variables of their own.
SOURCES = ("portal", "municipalities", "cases", "participation", "community", "demo", "deploy")
# Test settings are not deployed.
NOT_DEPLOYED = {"portal/settings/test.py"}
ENVIRON_READS = {"os.environ.get", "os.environ.setdefault", "os.getenv", "os.environ.pop"}


def variables_read(path: Path) -> set[str]:
    """Names of the environment variables a module reads: ``env.<type>("NAME")``,
    ``env_secret("NAME")`` (also ``NAME_FILE``), ``os.environ.get("NAME")`` and the like,
    ``os.environ["NAME"]``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and node.args:
            first = node.args[0]
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                continue
            func = ast.unparse(node.func)
            if func == "env_secret":
                names.update({first.value, f"{first.value}_FILE"})
            elif func == "env" or func.startswith("env.") or func in ENVIRON_READS:
                names.add(first.value)
        elif (
            isinstance(node, ast.Subscript)
            and ast.unparse(node.value) == "os.environ"
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        ):
            names.add(node.slice.value)
    return {name for name in names if re.fullmatch(r"[A-Z][A-Z0-9_]*", name)}


def deployed_variables() -> dict[str, str]:
    found: dict[str, str] = {}
    for package in SOURCES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or relative in NOT_DEPLOYED:
                continue
            for name in variables_read(path):
                found.setdefault(name, relative)
    return found


def template_entries() -> dict[str, bool]:
    """Each variable of the template, and whether a comment explains it: the variable's
    line follows a comment line, directly or after other variables of its group."""
    entries: dict[str, bool] = {}
    explained = False
    for line in TEMPLATE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"#?([A-Z][A-Z0-9_]*)=", line)
        if match:
            entries[match.group(1)] = explained
        elif line.startswith("#") and not line.startswith("# ---"):
            explained = True
        else:
            explained = False
    return entries


def test_the_scan_finds_the_known_ways_of_reading_a_variable():
    found = deployed_variables()
    assert found["DJANGO_SECRET_KEY"] == "portal/settings/base.py"
    assert "DJANGO_SECRET_KEY_FILE" in found  # through env_secret
    assert found["GUNICORN_BIND"] == "deploy/gunicorn.conf.py"  # os.environ.get
    assert "DJANGO_SETTINGS_MODULE" in found  # os.environ.setdefault
    assert "DATABASE_PGBOUNCER" in found


def test_the_environment_template_lists_every_variable_the_servers_read():
    listed = template_entries()
    missing = {name: where for name, where in deployed_variables().items() if name not in listed}
    assert missing == {}, "add these to deploy/portal.env.example, with a comment"


def test_every_variable_of_the_template_is_explained():
    unexplained = [name for name, explained in template_entries().items() if not explained]
    assert unexplained == []


def test_the_template_keeps_secrets_in_files_where_the_settings_allow_it():
    active = {
        line.split("=", 1)[0]
        for line in TEMPLATE.read_text(encoding="utf-8").splitlines()
        if re.match(r"[A-Z][A-Z0-9_]*=", line)
    }
    for secret in ("DJANGO_SECRET_KEY", "AUDIT_HMAC_KEY"):
        assert f"{secret}_FILE" in active
        assert secret not in active
    assert "DJANGO_SETTINGS_MODULE" in active


# --- systemd units ----------------------------------------------------------------------


def unit_values(path: Path, key: str) -> list[str]:
    return [
        line.split("=", 1)[1].strip()
        for line in path.read_text().splitlines()
        if line.startswith(f"{key}=")
    ]


def test_there_are_units_for_web_worker_and_one_beat():
    assert [u.name for u in UNITS] == [
        "portal-beat.service",
        "portal-web.service",
        "portal-worker.service",
    ]
    beat = (DEPLOY / "systemd" / "portal-beat.service").read_text()
    assert "EXACTLY ONE beat" in beat


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_each_unit_runs_unprivileged_with_the_environment_file_and_hardening(unit):
    assert unit_values(unit, "User") == ["portal"]
    assert unit_values(unit, "EnvironmentFile") == ["/etc/portal/portal.env"]
    assert unit_values(unit, "WorkingDirectory") == ["/srv/portal/app"]
    for key, value in (
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("PrivateTmp", "yes"),
        ("CapabilityBoundingSet", ""),
        ("Restart", "on-failure"),
    ):
        assert unit_values(unit, key) == [value], key


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_each_unit_starts_what_the_repository_has(unit):
    """ExecStart names the virtualenv's program, the repository's gunicorn settings, the
    WSGI application and the Celery app ``portal`` as they exist."""
    (command,) = unit_values(unit, "ExecStart")
    program, *args = command.split()
    assert program.startswith("/srv/portal/venv/bin/")
    assert Path(sys.executable).with_name(Path(program).name).exists()
    if program.endswith("gunicorn"):
        assert args[args.index("--chdir") + 1] == "/srv/portal/app"
        config = args[args.index("-c") + 1].replace("/srv/portal/app/", "")
        assert (ROOT / config).is_file()
        module, attribute = args[-1].split(":")
        source = (ROOT / (module.replace(".", "/") + ".py")).read_text()
        assert re.search(rf"^{attribute} = ", source, re.MULTILINE)
        assert unit_values(unit, "ExecReload") == ["/bin/kill -s HUP $MAINPID"]
    else:
        assert args[:2] == ["-A", "portal"]
        from celery import Celery

        from portal import celery_app

        assert isinstance(celery_app, Celery)
        assert celery_app.main == "portal"


def test_the_worker_waits_for_running_tasks_longer_than_their_time_limit(settings):
    (timeout,) = unit_values(DEPLOY / "systemd" / "portal-worker.service", "TimeoutStopSec")
    assert int(timeout) > settings.CELERY_TASK_TIME_LIMIT
    (mode,) = unit_values(DEPLOY / "systemd" / "portal-worker.service", "KillMode")
    assert mode == "mixed"  # SIGTERM to the main process only: a warm shutdown


def test_systemd_accepts_the_units(tmp_path):
    """``systemd-analyze verify`` on the units, with the install paths pointing at this
    checkout and its virtualenv."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    venv = Path(sys.executable).parent.parent
    for unit in UNITS:
        text = unit.read_text().replace("/srv/portal/venv", str(venv))
        (tmp_path / unit.name).write_text(text.replace("/srv/portal/app", str(ROOT)))
    result = subprocess.run(
        [analyze, "verify", *(str(tmp_path / u.name) for u in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- nginx ------------------------------------------------------------------------------


def render_site(
    *, http_port: int, https_port: int, upstream: str, cert: Path, key: Path, logs: Path
) -> str:
    """The nginx site with its placeholders replaced for a run on this machine."""
    site = (DEPLOY / "nginx" / "portal.conf").read_text()
    site = re.sub(r"listen \[::\]:\d+[^;]*;\n", "", site)
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = site.replace("listen 443 ", f"listen 127.0.0.1:{https_port} ")
    site = site.replace("server 127.0.0.1:8000 ", f"server {upstream} ")
    site = site.replace("/etc/ssl/portal/fullchain.pem", str(cert))
    site = site.replace("/etc/ssl/portal/privkey.pem", str(key))
    return site.replace("/var/log/nginx", str(logs))


def nginx_main_config(base: Path, site: str) -> Path:
    (base / "portal.conf").write_text(site)
    main = base / "nginx.conf"
    main.write_text(
        f"pid {base}/nginx.pid;\nerror_log {base}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {base}/body;\n"
        f"  proxy_temp_path {base}/proxy;\n  include {base}/portal.conf;\n}}\n"
    )
    return main


def test_the_nginx_site_parses(tmp_path):
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx is None:
        if os.environ.get("REQUIRE_NGINX"):
            pytest.fail("REQUIRE_NGINX is set but nginx is not installed")
        pytest.skip("nginx is not installed")
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    site = render_site(http_port=18080, https_port=18443, upstream="127.0.0.1:18000",
                       cert=cert, key=key, logs=tmp_path)  # fmt: skip
    main = nginx_main_config(tmp_path, site)
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(main)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


def test_the_nginx_site_sends_what_production_settings_read():
    site = (DEPLOY / "nginx" / "portal.conf").read_text()
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in site
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in site  # overwritten
    assert "proxy_set_header Host $host;" in site
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in site
    # The body limit lets a roster at its own limit through, with room for the form.
    limit = re.search(r"client_max_body_size (\d+)m;", site)
    from django.conf import settings

    assert int(limit.group(1)) * 1024 * 1024 > settings.ROSTER_UPLOAD_MAX_BYTES
    # gunicorn's timeout, not nginx's, ends a slow request.
    read = int(re.search(r"proxy_read_timeout (\d+)s;", site).group(1))
    gunicorn = (DEPLOY / "gunicorn.conf.py").read_text()
    assert read > int(re.search(r'"GUNICORN_TIMEOUT", "(\d+)"', gunicorn).group(1))
    for private in ("/readyz", "/metrics"):
        block = site.split(f"location ^~ {private} {{", 1)[1].split("}", 1)[0]
        assert "deny all;" in block


# --- behind the proxy -------------------------------------------------------------------

FORWARDED = "portal.middleware.ForwardedClientAddressMiddleware"
PROXY = "127.0.0.1"


def attempt(client, username, password, client_address):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=client_address,
    )


@pytest.mark.django_db
def test_behind_the_proxy_a_lockout_holds_one_client_not_everyone(personas, settings):
    """Every request comes from the proxy's address: without the forwarded address, one
    person mistyping five times would lock every other person out."""
    from django.conf import settings as live

    with override_settings(MIDDLEWARE=[FORWARDED, *live.MIDDLEWARE]):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            attempt(Client(), "nobody", "wrong", "203.0.113.7")
        assert attempt(Client(), "nobody", "wrong", "203.0.113.7").status_code == 429
        response = attempt(Client(), "caseworker_a", "correct-horse-battery", "198.51.100.2")
        assert response.status_code == 302


@pytest.mark.django_db
def test_behind_the_proxy_the_audit_trail_records_the_client_address(personas):
    from django.conf import settings as live

    from municipalities.models import AuditEvent

    client = Client()
    client.force_login(personas.caseworker_a)
    with override_settings(MIDDLEWARE=[FORWARDED, *live.MIDDLEWARE]):
        client.post(
            reverse("account_security"),
            {"action": "logout_everywhere"},
            REMOTE_ADDR=PROXY,
            # A client's own header first, then the address the proxy wrote: the last counts.
            HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.8",
        )
    event = AuditEvent.objects.filter(detail__security="logout_everywhere").get()
    assert event.ip_address == "203.0.113.8"


def test_production_behind_the_proxy_takes_the_address_first_and_trusts_the_scheme():
    code = (
        "from portal.settings import production as p; "
        "print(p.MIDDLEWARE[0]); print(p.SECURE_PROXY_SSL_HEADER)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AUDIT_"))}
    env.update(
        DJANGO_SECRET_KEY="deploy-test-" + "k" * 50,
        DJANGO_ALLOWED_HOSTS="portal.example.jp",
        DJANGO_BEHIND_PROXY="true",
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        check=True,
    ).stdout.splitlines()  # fmt: skip
    assert out == [FORWARDED, "('HTTP_X_FORWARDED_PROTO', 'https')"]
