"""``make loadtest``: many staff at once against the production stack on this machine.

    DATABASE_URL=postgres://… CELERY_BROKER_URL=redis://… .venv/bin/python bench/loadtest.py

Starts what a municipality's server runs — gunicorn with the production settings and the
repository's server settings (``deploy/gunicorn.conf.py``), a Celery worker and beat —
on the database and broker named, builds the data set there if it holds none (the
benchmark generator, ``LOADTEST_CASES`` cases, default 20,000), gives the virtual users
their accounts (``bench/loadtest_accounts.py``), runs locust headless with
``bench/locustfile.py`` for a fixed time, then stops everything it started, also when
interrupted or failing.

The web server listens on the loopback only, over plain HTTP, as behind the TLS proxy
of a deployment: ``DJANGO_BEHIND_PROXY=true`` trusts ``X-Forwarded-Proto`` (gunicorn
takes it from 127.0.0.1 only), which the load client sends in the proxy's place.
Nothing else of the production settings is changed (HTTPS redirect, Secure cookies,
HSTS, CSRF checks stay on).

Settings (environment, or the options of the same name): ``LOADTEST_USERS`` (50),
``LOADTEST_DURATION`` (3m), ``LOADTEST_SPAWN_RATE`` (users started per second, 5),
``LOADTEST_CASES`` (20000), ``LOADTEST_MUNICIPALITIES`` (3), ``LOADTEST_WAIT`` (think
time between a user's steps, seconds, ``2-8``); ``GUNICORN_WORKERS`` and the other
variables of ``deploy/gunicorn.conf.py`` apply.

Writes the per-page table to ``bench/results/loadtest-<users>u-<timestamp>.md`` (and
``.csv``) and ends with the line
``loadtest: N requests, E errors, p50 X ms, p95 Y ms, R req/s, U users`` over the
pages; the statistics page, the exports and signing in are reported apart in the table.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import hashlib
import json
import os
import platform
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loadtest_summary import (
    PAGE,
    RAMP_UP,
    Sample,
    csv_table,
    last_line,
    markdown_table,
    split_ramp_up,
    summarise,
)

BIN = Path(sys.executable).parent
# Keys of the load test's own database of invented records, not of any real portal.
# Stable, so that the audit chain written in one run verifies in the next.
SECRET_KEY = "loadtest-only-secret-" + "0" * 48
AUDIT_KEY = "loadtest-only-audit-" + "0" * 40


# The production stack's static files, collected once and again only when a source
# file changed (collecting them compresses every file: minutes on a busy machine).
STATIC_ROOT = ROOT / "bench" / "results" / "loadtest-static"


class Refused(SystemExit):
    pass


def static_fingerprint() -> str:
    """Name, size and time of every static source file (after ``django.setup()``)."""
    from django.contrib.staticfiles.finders import get_finders

    digest = hashlib.sha256()
    for finder in get_finders():
        for path, storage in finder.list([]):
            stat = os.stat(storage.path(path))
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def collect_static(env: dict[str, str]) -> None:
    stamp = STATIC_ROOT / ".sources"
    fingerprint = static_fingerprint()
    if stamp.exists() and stamp.read_text() == fingerprint:
        return
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--clear", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    stamp.write_text(fingerprint)


def seconds_of(duration: str) -> int:
    """``3m``, ``90s``, ``1h30m`` or a number of seconds."""
    if duration.isdigit():
        return int(duration)
    parts = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", duration)
    if not duration or parts is None:
        raise Refused(f"LOADTEST_DURATION: cannot read {duration!r} (e.g. 3m, 90s, 1h30m)")
    h, m, s = (int(p or 0) for p in parts.groups())
    return h * 3600 + m * 60 + s


def check_services(environ: dict[str, str]) -> None:
    database = environ.get("DATABASE_URL", "")
    broker = environ.get("CELERY_BROKER_URL", "")
    if not database.startswith(("postgres://", "postgresql://")):
        raise Refused(
            "make loadtest needs DATABASE_URL=postgres://… : the production stack with many "
            "staff at once says nothing on SQLite (it allows one writer at a time)."
        )
    if not broker.startswith(("redis://", "rediss://")):
        raise Refused(
            "make loadtest needs CELERY_BROKER_URL=redis://… : the worker and beat are part "
            "of the stack under load."
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """The processes this run started, each in a session of its own, stopped together."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.processes: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("w")
        process = subprocess.Popen(  # noqa: S603 (our own commands, no shell)
            args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append((name, process))
        return process

    def check(self) -> None:
        for name, process in self.processes:
            if process.poll() is not None:
                tail = (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]
                raise SystemExit(f"{name} stopped (exit {process.returncode}):\n{tail}")

    def cpu_seconds(self) -> float:
        """CPU time used so far by the processes of this stack (each started process's
        group: gunicorn's master and workers, the worker and its children, beat); the
        database server's own processes are not counted."""
        groups = {process.pid for _name, process in self.processes}
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # the process ended meanwhile
            if int(fields[2]) in groups:  # the process group
                total += int(fields[11]) + int(fields[12])  # utime + stime, in ticks
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """SIGTERM to each process group (a warm shutdown), SIGKILL after 60 s."""
        for _name, process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 60
        for _name, process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()


def wait_ready(port: int, stack: Stack, timeout: float = 120) -> dict:
    """Until ``/readyz/`` answers 200 and a worker answers its ping."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/readyz/", headers={"X-Forwarded-Proto": "https"}
    )
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        stack.check()
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (http)
                last = json.loads(response.read())
                if last.get("checks", last).get("workers"):
                    return last
        except (OSError, urllib.error.HTTPError, ValueError) as exc:
            last = exc
        time.sleep(2)
    raise SystemExit(f"The stack did not become ready in {timeout:.0f} s: {last}")


def booted_workers(log: Path) -> int:
    """How many workers gunicorn started at once (its log names each boot)."""
    text = log.read_text(errors="replace")
    return len(re.findall(r"Booting worker with pid", text.split("Handling signal", 1)[0]))


def read_samples(path: Path) -> list[Sample]:
    with path.open(encoding="utf-8") as f:
        return [
            Sample(r["name"], r["kind"], float(r["ms"]), r["ok"] == "1", float(r["at"]))
            for r in csv.DictReader(f)
        ]


def report(
    samples: list[Sample], *, users: int, seconds: dict[str, float], meta: dict, out: Path
) -> str:
    """Write the table (Markdown and CSV beside it); return the Markdown."""
    rows, totals = summarise(samples, seconds)
    heading = [f"# Load test: {users} users, {meta['started']}", ""]
    heading += [f"- {key}: {value}" for key, value in meta.items() if key != "started"]
    heading += [
        "",
        "Times are the client's (request sent to response read), in ms; `page` rows are "
        "what the closing line covers, from the moment the last virtual user had signed "
        "in; the statistics page, the exports, signing in and what was sent before "
        "everybody had signed in (`ramp-up`) are apart.",
        "",
        "",
    ]
    text = "\n".join(heading) + markdown_table(rows, totals) + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    out.with_suffix(".csv").write_text(csv_table(rows, totals), encoding="utf-8")
    return text


def main(argv: list[str] | None = None) -> int:
    env_default = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=int(env_default("LOADTEST_USERS", "50")))
    parser.add_argument("--duration", default=env_default("LOADTEST_DURATION", "3m"))
    parser.add_argument(
        "--spawn-rate", type=float, default=float(env_default("LOADTEST_SPAWN_RATE", "5"))
    )
    parser.add_argument("--cases", type=int, default=int(env_default("LOADTEST_CASES", "20000")))
    parser.add_argument(
        "--municipalities", type=int, default=int(env_default("LOADTEST_MUNICIPALITIES", "3"))
    )
    args = parser.parse_args(argv)
    check_services(dict(os.environ))
    if args.cases < 20000:
        raise Refused("LOADTEST_CASES: at least 20,000 cases.")
    seconds = seconds_of(args.duration)
    work = Path(tempfile.mkdtemp(prefix="loadtest-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "DJANGO_SECRET_KEY": env_default("DJANGO_SECRET_KEY", SECRET_KEY),
        "AUDIT_HMAC_KEY": env_default("AUDIT_HMAC_KEY", AUDIT_KEY),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_BEHIND_PROXY": "true",
        "DJANGO_STATIC_ROOT": str(STATIC_ROOT),
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connections

    from bench.loadtest_accounts import prepare_accounts, prepare_database

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)

    cases = prepare_database(args.cases, write=log)
    accounts = prepare_accounts(args.users, args.municipalities, secrets.token_urlsafe(16))
    connections.close_all()
    accounts_file = work / "accounts.json"
    accounts_file.touch(mode=0o600)
    accounts_file.write_text(json.dumps(accounts, ensure_ascii=False), encoding="utf-8")
    places = ", ".join(m["name"] for m in accounts["municipalities"])
    log(f"{args.users} virtual users in {places}")
    collect_static(env)

    stack = Stack(work)
    stopping = False

    def interrupted(signum: int, _frame: object) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            raise SystemExit(f"interrupted (signal {signum})")

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    try:
        port = free_port()
        stack.start(
            "gunicorn",
            [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "portal.wsgi:application"],
            {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
        )
        stack.start("worker", [str(BIN / "celery"), "-A", "portal", "worker", "-l", "info"], env)
        stack.start(
            "beat",
            [str(BIN / "celery"), "-A", "portal", "beat", "-l", "info", "-s", str(work / "beat")],
            env,
        )
        ready = wait_ready(port, stack)
        log(f"stack ready on 127.0.0.1:{port}: {json.dumps(ready.get('checks', ready))}")
        load_before, cpu_before = os.getloadavg(), stack.cpu_seconds()
        started = datetime.datetime.now().astimezone()
        log(f"locust: {args.users} users for {args.duration}, {args.spawn_rate}/s started")
        samples_file = work / "samples.csv"
        locust = subprocess.run(  # noqa: S603 (our own command, no shell)
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                "bench/locustfile.py",
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(args.spawn_rate),
                "--run-time",
                args.duration,
                "--stop-timeout",
                "15",
                "--host",
                f"http://127.0.0.1:{port}",
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env={
                **env,
                "LOADTEST_ACCOUNTS": str(accounts_file),
                "LOADTEST_SAMPLES": str(samples_file),
            },
        )
        load_after, cpu_used = os.getloadavg(), stack.cpu_seconds() - cpu_before
        stack.check()
    finally:
        stack.stop()
        accounts_file.unlink()  # this run's password and device keys
    if not samples_file.exists():
        raise SystemExit(f"locust wrote no samples (exit {locust.returncode})")
    samples, measured = split_ramp_up(read_samples(samples_file))
    stamp = started.strftime("%Y%m%d-%H%M%S")
    out = ROOT / "bench" / "results" / f"loadtest-{args.users}u-{stamp}.md"
    meta = {
        "started": started.isoformat(timespec="seconds"),
        "duration": f"{seconds} s, {args.spawn_rate:g} users started per second",
        "think time": f"{env_default('LOADTEST_WAIT', '2-8')} s",
        "data set": f"{cases:,} cases; virtual users in {places}",
        "server": f"gunicorn, {booted_workers(work / 'gunicorn.log')} sync workers",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "CPU used by the stack": f"{cpu_used:.0f} s in {seconds} s ({cpu_used / seconds:.2f} "
        f"cores; {1000 * cpu_used / max(1, len(samples)):.0f} ms a request; PostgreSQL apart)",
        "load average": "before {:.2f} {:.2f} {:.2f}, after {:.2f} {:.2f} {:.2f}".format(
            *load_before, *load_after
        ),
    }
    meta["steady state"] = f"{measured[PAGE]:.0f} s after {measured[RAMP_UP]:.0f} s of ramp-up"
    print(report(samples, users=args.users, seconds=measured, meta=meta, out=out))
    print(f"table: {out.relative_to(ROOT)} (and .csv); server logs: {work}")
    _rows, totals = summarise(samples, measured)
    print(last_line(totals[PAGE], args.users))
    return 0


if __name__ == "__main__":
    sys.exit(main())
