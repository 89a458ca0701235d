"""The portal as a municipality's server runs it: production settings, static files
collected with the manifest storage, a real WSGI server (gunicorn). A caseworker logs
in and opens a case; every page and its style sheet are served."""

from __future__ import annotations

import http.client
import json
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
METRICS_TOKEN = "production-smoke-test-metrics-token"


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
        METRICS_TOKEN=METRICS_TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(base / "metrics"),
    )
    (base / "metrics").mkdir()

    def manage(*args: str) -> None:
        subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True
        )

    manage("migrate", "--no-input")
    manage("collectstatic", "--no-input")
    manage("load_roster", "fixtures/roster_fy2022.csv", "--fiscal-year", "2022")
    manage("seed_demo", "--allow-production")
    LOGS["access"] = base / "access.log"
    LOGS["app"] = base / "gunicorn.log"
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


def log_in(port: int) -> Browser:
    browser = Browser(port)
    _response, html = browser.request("GET", "/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    response, _html = browser.request(
        "POST",
        "/login/",
        {"csrfmiddlewaretoken": token, "username": "a-caseworker", "password": "demo-pass-2026"},
    )
    assert response.status == 302
    return browser


def test_logs_are_json_lines_with_ids_and_no_query_or_user(server):
    """Production logs one JSON object per line: the application's line per request
    (the view's name, not the path; no query string, which can hold a searched name; the
    user's id, not the login) and gunicorn's own lines. No separate access log."""
    browser = log_in(server)
    response, _html = browser.request(
        "GET", "/cases/persons/?q=%E3%81%BE%E3%81%A4%E3%81%8A%E3%81%8B"
    )
    assert response.status == 200
    request_id = response.getheader("X-Request-ID")
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    lines: list[dict] = []
    for _ in range(50):  # the worker writes its line just after the response
        text = LOGS["app"].read_text()
        if request_id in text:
            break
        time.sleep(0.1)
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    [search] = [line for line in lines if line.get("request_id") == request_id]
    assert search["view"] == "cases:person_search"
    assert search["status"] == 200
    assert isinstance(search["user_id"], int)
    assert isinstance(search["municipality_id"], int)
    assert any(line["logger"] == "gunicorn.error" for line in lines)  # "Booting worker"
    assert "%E3%81%BE" not in text
    assert "まつおか" not in text
    assert "a-caseworker" not in text
    assert LOGS["access"].read_text() == ""


def test_each_worker_freezes_what_it_loaded_out_of_the_garbage_collector(server):
    """gunicorn's hook (deploy/gunicorn.conf.py) settles the collector in each of the two
    workers once the application is loaded (``portal.runtime``)."""
    for _ in range(50):
        lines = [json.loads(line) for line in LOGS["app"].read_text().splitlines() if line]
        settled = [line for line in lines if line["logger"] == "portal.runtime"]
        if len(settled) >= 2:
            break
        time.sleep(0.1)
    assert len(settled) == 2
    for line in settled:
        frozen = re.search(r"(\d+) start-up objects frozen, first threshold 10000", line["message"])
        assert frozen, line
        assert int(frozen.group(1)) > 10_000, line


def test_metrics_add_up_every_worker_and_need_the_token(server):
    """Two workers each count their own requests in files of PROMETHEUS_MULTIPROC_DIR;
    the scrape, answered by one of them, counts every request."""

    def scrape() -> float:
        connection = http.client.HTTPConnection("127.0.0.1", server, timeout=30)
        connection.request(
            "GET",
            "/metrics",
            headers={"Host": "127.0.0.1", "Authorization": f"Bearer {METRICS_TOKEN}"},
        )
        response = connection.getresponse()
        text = response.read().decode()
        assert response.status == 200
        match = re.search(
            r'^portal_request_duration_seconds_count\{status="2xx",view="healthz"\} (\S+)$',
            text,
            re.MULTILINE,
        )
        return float(match.group(1)) if match else 0.0

    before = scrape()
    browser = Browser(server)
    for _ in range(10):
        # A new connection each time, so that the requests spread over the workers.
        assert browser.request("GET", "/healthz/")[0].status == 200
    assert scrape() == before + 10
    response, _html = browser.request("GET", "/metrics")
    assert response.status == 404
