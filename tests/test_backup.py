"""Backups as the operator takes them: ``make backup`` dumps a database holding the demo
data, ``make restore FILE=…`` brings it back into a new database, verifies the audit chain
and compares every count; a database in use, a damaged dump, a tampered audit trail and
another audit key are refused or fail loudly.

The round trips need PostgreSQL (``DATABASE_URL``) and its client programs: without them
they are skipped, unless ``REQUIRE_POSTGRES=1`` (CI). They work in databases of their own
on the same server, made and dropped here; the test database is not touched."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.apps import apps
from django.conf import settings

from municipalities import backup
from municipalities.models import AuditEvent

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MAKE = shutil.which("make")
AUDIT_KEY = "backup-test-audit-key-" + "b" * 32
DEMO_MUNICIPALITIES = {"272035", "322016"}  # 豊中市, 松江市


def model_tables() -> set[str]:
    """The table of every model, many-to-many tables included."""
    return {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


@dataclass
class Server:
    """The PostgreSQL server of ``DATABASE_URL``, for databases this module makes."""

    host: str
    port: str
    user: str
    password: str
    made: list[str]

    def connect(self, database: str):
        import psycopg2

        connection = psycopg2.connect(
            dbname=database,
            host=self.host or None,
            port=self.port or None,
            user=self.user or None,
            password=self.password or None,
        )
        connection.autocommit = True
        return connection

    def create(self, copy_of: str = "template0") -> str:
        """A new database: empty, or a copy of another (which nobody may be connected to)."""
        name = f"portal_backup_test_{secrets.token_hex(4)}"
        self.query("postgres", f'CREATE DATABASE "{name}" TEMPLATE "{copy_of}"')
        self.made.append(name)
        return name

    def drop_all(self) -> None:
        for name in self.made:
            self.query("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def url(self, database: str) -> str:
        credentials = quote(self.user or "postgres", safe="")
        if self.password:
            credentials += ":" + quote(self.password, safe="")
        return f"postgres://{credentials}@{self.host or 'localhost'}:{self.port or 5432}/{database}"

    def query(self, database: str, sql: str) -> list[tuple]:
        connection = self.connect(database)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()

    def has_no_tables(self, database: str) -> bool:
        tables = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        return self.query(database, tables) == [(0,)]

    def counts(self, database: str, tables: set[str]) -> dict[str, int]:
        sql = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM \"{t}\"" for t in sorted(tables))  # noqa: S608
        return dict(self.query(database, sql))

    def heads(self, database: str) -> dict[str, tuple[int, str]]:
        rows = self.query(
            database,
            "SELECT m.code, h.seq, h.hash FROM municipalities_auditchainhead h "
            "JOIN municipalities_municipality m ON m.id = h.municipality_id",
        )
        return {code: (seq, hash_) for code, seq, hash_ in rows}


def environment(server: Server, database: str, **extra: str) -> dict[str, str]:
    """What ``make`` runs with on the operator's server: the portal's settings (not the
    test settings), tasks in-process, the given database and audit key."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in (
            "DJANGO_SETTINGS_MODULE",
            "CELERY_BROKER_URL",
            "CELERY_RESULT_BACKEND",
            "AUDIT_HMAC_KEY_FILE",
        )
    }
    env.update(DATABASE_URL=server.url(database), AUDIT_HMAC_KEY=AUDIT_KEY, DJANGO_DEBUG="true")
    env.update(extra)
    return env


def make(target: str, env: dict[str, str], *variables: str) -> subprocess.CompletedProcess:
    """``make <target>`` with this interpreter as the virtualenv's."""
    if MAKE is None:
        pytest.skip("make is not installed")
    return subprocess.run(
        [MAKE, "-s", "--no-print-directory", target, f"PY={PYTHON}", *variables],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def server():
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("REQUIRE_POSTGRES=1 but DATABASE_URL is not PostgreSQL")
        pytest.skip("DATABASE_URL is not PostgreSQL: backups are of PostgreSQL databases")
    server = Server(
        host=database.get("HOST") or "",
        port=str(database.get("PORT") or ""),
        user=database.get("USER") or "",
        password=database.get("PASSWORD") or "",
        made=[],
    )
    try:
        yield server
    finally:
        server.drop_all()


@dataclass
class Source:
    database: str
    dump: Path
    manifest: dict
    output: str


@pytest.fixture(scope="module")
def source(server, tmp_path_factory):
    """A database set up as ``make setup`` does (roster, demo data, the scan's flags),
    backed up with ``make backup``."""
    database = server.create()
    directory = tmp_path_factory.mktemp("backups")
    env = environment(server, database, BACKUP_DIR=str(directory))
    for args in (
        ["migrate", "--no-input"],
        ["load_roster", "fixtures/roster_fy2022.csv", "--fiscal-year", "2022"],
        ["seed_demo"],
        ["scan_referrals"],
    ):
        result = manage(env, *args)
        assert result.returncode == 0, result.stderr[-3000:]
    result = make("backup", env)
    assert result.returncode == 0, result.stderr[-3000:]
    dumps = list(directory.glob("*.dump"))
    assert len(dumps) == 1, result.stdout
    manifest = json.loads(dumps[0].with_suffix(".json").read_text())
    return Source(database=database, dump=dumps[0], manifest=manifest, output=result.stdout)


def restore(server: Server, dump: Path, database: str, *variables: str, **extra: str):
    return make("restore", environment(server, database, **extra), f"FILE={dump}", *variables)


def tamper_with_the_audit_trail(server: Server, database: str) -> None:
    table = AuditEvent._meta.db_table
    server.query(
        database,
        f"UPDATE {table} SET object_id = 'edited' WHERE id = (SELECT min(id) FROM {table})",  # noqa: S608
    )


def test_backup_is_private_and_its_manifest_describes_the_dump(server, source):
    assert f"{source.dump}  " in source.output
    assert re.search(rf"\({source.dump.stat().st_size} bytes\)", source.output)
    for path in (source.dump, source.dump.with_suffix(".json")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    manifest = source.manifest
    assert manifest["size"] == source.dump.stat().st_size
    assert model_tables() <= set(manifest["tables"])
    assert manifest["tables"] == server.counts(source.database, set(manifest["tables"]))
    assert manifest["tables"]["cases_case"] > 0
    heads = server.heads(source.database)
    assert set(heads) == DEMO_MUNICIPALITIES
    assert {code: (h["seq"], h["hash"]) for code, h in manifest["audit_heads"].items()} == heads
    assert "AUDIT_HMAC_KEY" in manifest["not_in_the_backup"]


def test_restore_into_a_fresh_database_round_trips_the_demo_data(server, source):
    target = server.create()
    result = restore(server, source.dump, target)
    assert result.returncode == 0, result.stdout + result.stderr
    for code in DEMO_MUNICIPALITIES:
        assert re.search(rf"^{code} .*: \d+ events, OK$", result.stdout, re.MULTILINE)
    assert "match the manifest; audit chain verified" in result.stdout
    # Every model's table holds what the backed-up database held, and so do the heads.
    tables = model_tables()
    assert server.counts(target, tables) == server.counts(source.database, tables)
    assert server.heads(target) == server.heads(source.database)
    # The restored portal checks out on its own, with its migrations all applied.
    env = environment(server, target)
    assert manage(env, "verify_audit").returncode == 0
    assert manage(env, "migrate", "--check").returncode == 0


def test_restore_refuses_a_database_in_use_unless_forced(server, source):
    target = server.create(copy_of=source.database)
    tamper_with_the_audit_trail(server, target)

    refused = restore(server, source.dump, target)
    assert refused.returncode != 0
    assert f"The database {target} is not empty" in refused.stderr
    assert "FORCE=1" in refused.stderr
    # Left as it was: the edit is still there for verify_audit to find.
    assert manage(environment(server, target), "verify_audit").returncode != 0

    forced = restore(server, source.dump, target, "FORCE=1")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert manage(environment(server, target), "verify_audit").returncode == 0
    assert server.heads(target) == server.heads(source.database)


def test_a_backup_of_a_tampered_audit_trail_fails_verification_on_restore(server, source, tmp_path):
    tampered = server.create(copy_of=source.database)
    tamper_with_the_audit_trail(server, tampered)
    result = make("backup", environment(server, tampered, BACKUP_DIR=str(tmp_path)))
    assert result.returncode == 0, result.stderr
    (dump,) = tmp_path.glob("*.dump")

    result = restore(server, dump, server.create())
    assert result.returncode != 0
    assert "its content was changed" in result.stdout
    assert "does not match the backup; do not serve it" in result.stderr


def test_restore_with_another_audit_key_fails_verification(server, source):
    result = restore(
        server, source.dump, server.create(), AUDIT_HMAC_KEY="another-audit-key-" + "c" * 32
    )
    assert result.returncode != 0
    assert "the head's signature does not match" in result.stdout
    assert "AUDIT_HMAC_KEY is not the key of the portal" in result.stderr


def test_a_damaged_dump_is_refused_before_anything_is_restored(server, source, tmp_path):
    damaged = tmp_path / source.dump.name
    damaged.write_bytes(source.dump.read_bytes()[:-1])
    damaged.with_suffix(".json").write_text(json.dumps(source.manifest))
    target = server.create()
    result = restore(server, damaged, target)
    assert result.returncode != 0
    assert "its SHA-256 differs" in result.stderr
    assert server.has_no_tables(target)


def test_make_restore_without_a_file_says_how_to_call_it():
    result = make("restore", dict(os.environ))
    assert result.returncode != 0
    assert "usage: make restore FILE=" in result.stdout


def test_backup_of_a_sqlite_database_is_refused(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", BACKUP_DIR=str(tmp_path))
    result = make("backup", env)
    assert result.returncode != 0
    assert "PostgreSQL databases only" in result.stderr
    assert list(tmp_path.glob("*.dump")) == []


def fake_program(directory: Path, name: str, version: str) -> None:
    program = directory / name
    program.write_text(f"#!/bin/sh\necho '{name} (PostgreSQL) {version}'\n")
    program.chmod(0o755)


def test_pg_bin_names_where_the_client_programs_are(settings, tmp_path):
    settings.PG_BIN = str(tmp_path)
    with pytest.raises(backup.BackupError, match=r"No pg_dump of PostgreSQL 15 .*PG_BIN="):
        backup.pg_tool("pg_dump", 15)
    fake_program(tmp_path, "pg_dump", "16.4")
    assert backup.pg_tool("pg_dump", 15) == str(tmp_path / "pg_dump")


def test_a_client_older_than_the_server_is_refused(settings, tmp_path):
    settings.PG_BIN = str(tmp_path)
    fake_program(tmp_path, "pg_restore", "13.2")
    with pytest.raises(backup.BackupError, match=r"too old: .*pg_restore \(PostgreSQL\) 13\.2"):
        backup.pg_tool("pg_restore", 15)


def test_the_comparison_names_every_difference_from_the_manifest():
    manifest = {
        "tables": {"cases_case": 30, "cases_person": 40, "municipalities_auditevent": 9},
        "audit_heads": {"272035": {"seq": 9, "hash": "a" * 64}},
    }
    counts = {"cases_case": 30, "cases_person": 39}
    heads = {"272035": {"seq": 8, "hash": "b" * 64}, "322016": {"seq": 1, "hash": "c" * 64}}
    assert backup._compare(manifest, counts, heads) == [
        "table cases_person: 39 rows, the backup has 40",
        "table municipalities_auditevent is missing (the backup has 9 rows)",
        f"audit chain of 272035: head {heads['272035']}, the backup's "
        f"{manifest['audit_heads']['272035']}",
        "audit chain of 322016: not in the backup",
    ]
    assert (
        backup._compare(
            manifest,
            {**counts, "cases_person": 40, "municipalities_auditevent": 9},
            {"272035": manifest["audit_heads"]["272035"]},
        )
        == []
    )


def test_the_manifest_and_the_dump_are_one_snapshot_while_the_portal_writes(
    server, transactional_db, monkeypatch, tmp_path
):
    """A write committed after the counts were read and before pg_dump started is in
    neither: the dump is taken in the snapshot the counts were read in."""
    from django.db import connection

    database = connection.settings_dict["NAME"]
    real_run = backup._run

    def write_then_run(command, *args, **kwargs):
        if "--format=custom" in command:  # pg_dump is about to start
            server.query(
                database,
                "INSERT INTO django_session (session_key, session_data, expire_date) "
                "VALUES ('written-during-the-backup', '', now())",
            )
        return real_run(command, *args, **kwargs)

    monkeypatch.setattr(backup, "_run", write_then_run)
    made = backup.backup_create(directory=tmp_path)
    assert server.counts(database, {"django_session"}) == {"django_session": 1}
    assert made.manifest["tables"]["django_session"] == 0

    target = server.create()
    result = restore(server, made.path, target)
    assert result.returncode == 0, result.stdout + result.stderr
    assert server.counts(target, {"django_session"}) == {"django_session": 0}


def test_a_file_pg_restore_cannot_read_fails_and_changes_nothing(server, tmp_path):
    garbage = tmp_path / "not-a-backup.dump"
    garbage.write_bytes(b"PGDMP" + bytes(range(256)) * 4)
    target = server.create()
    result = manage(environment(server, target), "restore_db", str(garbage), "--no-manifest")
    assert result.returncode != 0
    assert "pg_restore failed" in result.stderr
    assert server.has_no_tables(target)
