"""The portal as a municipality's server runs it: production settings, static files
collected with the manifest storage, a real WSGI server (gunicorn). A caseworker logs
in and opens a case; every page and its style sheet are served."""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = Path(PYTHON).with_name("gunicorn")
LOGS: dict[str, Path] = {}  # the running server's log files


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """Just enough of a browser: keeps cookies (also the Secure ones: the test server
    speaks plain HTTP on loopback), follows no redirects."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Host": "127.0.0.1", "Accept-Language": "ja"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        connection.close()
        return response, content


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("production")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.production",
        DJANGO_SECRET_KEY="production-smoke-test-" + "k" * 48,
        AUDIT_HMAC_KEY="production-smoke-test-audit-" + "a" * 32,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DATABASE_URL=f"sqlite:///{base / 'portal.sqlite3'}",
        DJANGO_STATIC_ROOT=str(base / "static"),
    )

    def manage(*args: str) -> None:
        subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True
        )

    manage("migrate", "--no-input")
    manage("collectstatic", "--no-input")
    manage("load_roster", "fixtures/roster_fy2022.csv", "--fiscal-year", "2022")
    manage("seed_demo", "--allow-production")
    LOGS["access"] = base / "access.log"
    # The repository's own server settings, two workers as on a small machine.
    with serving(env, base / "access.log", base / "gunicorn.log", workers=2) as port:
        yield port


@contextmanager
def serving(env: dict[str, str], access_log: Path, error_log: Path, workers: int):
    """gunicorn with the repository's settings (deploy/gunicorn.conf.py) on a free
    loopback port, until the block ends; gives the port once it accepts connections."""
    port = free_port()
    process = subprocess.Popen(
        [str(GUNICORN), "-c", "deploy/gunicorn.conf.py", "portal.wsgi:application"],
        cwd=ROOT,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers)},
        stdout=access_log.open("w"),
        stderr=error_log.open("w"),
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_production_serves_the_login_page_and_its_hashed_static_files(server):
    browser = Browser(server)
    response, html = browser.request("GET", "/login/")
    assert response.status == 200, html[:500]
    assert "ログイン" in html
    css = re.search(r'href="(/static/portal/portal\.[0-9a-f]{12}\.css)"', html)
    assert css, "the manifest storage names the style sheet by its hash"
    response, _css = browser.request("GET", css.group(1))
    assert response.status == 200


def test_a_caseworker_logs_in_and_opens_a_case_under_production_settings(server):
    browser = Browser(server)
    _response, html = browser.request("GET", "/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    response, _html = browser.request(
        "POST",
        "/login/",
        {"csrfmiddlewaretoken": token, "username": "a-caseworker", "password": "demo-pass-2026"},
    )
    assert response.status == 302, _html[:500]
    response, html = browser.request("GET", "/cases/")
    assert response.status == 200
    case = re.search(r'href="(/cases/\d+/)"', html)
    assert case, "the dashboard lists the caseworker's open cases"
    response, html = browser.request("GET", case.group(1))
    assert response.status == 200, html[:500]
    assert "経過記録" in html
    assert "no-store" in response.getheader("Cache-Control")


def test_the_access_log_names_no_query_and_no_user(server):
    """The server settings' access log keeps the path, not the query string (it can hold
    a searched name) nor who asked."""
    browser = Browser(server)
    _response, html = browser.request("GET", "/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    browser.request(
        "POST",
        "/login/",
        {"csrfmiddlewaretoken": token, "username": "a-caseworker", "password": "demo-pass-2026"},
    )
    response, _html = browser.request(
        "GET", "/cases/persons/?q=%E3%81%BE%E3%81%A4%E3%81%8A%E3%81%8B"
    )
    assert response.status == 200
    log = ""
    for _ in range(50):  # the access log line is written just after the response
        log = LOGS["access"].read_text()
        if "/cases/persons/" in log:
            break
        time.sleep(0.1)
    assert '"GET /cases/persons/" 200' in log
    assert "%E3%81%BE" not in log
    assert "まつおか" not in log
    assert "a-caseworker" not in log
