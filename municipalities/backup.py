"""Backups of the portal's PostgreSQL database and their restore (``make backup``,
``make restore FILE=…``).

A backup is ``pg_dump`` in its custom format beside a manifest (JSON) of what the dump
holds: the row count of every table and the head of each municipality's audit chain,
read in the very snapshot the dump is taken from. A restore refuses a database already
in use unless forced, restores in one transaction, then proves what it restored: the
audit chain verifies with this server's ``AUDIT_HMAC_KEY`` and every count and head
matches the manifest.

Neither the audit key nor any other secret is in a backup. The key signs the chain's
heads and the database does not hold it: a backup verifies after a restore only with
the key of the portal it was taken from, which must be kept apart from the backups.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor

from municipalities.models import AuditChainHead

MANIFEST_FORMAT = 1
DEBIAN_PG_BIN = "/usr/lib/postgresql/{major}/bin"
NOT_IN_THE_BACKUP = (
    "AUDIT_HMAC_KEY, DJANGO_SECRET_KEY and every other secret of the environment; "
    "the audit checkpoint file (AUDIT_CHECKPOINT_FILE); static and uploaded files"
)


class BackupError(Exception):
    """Why a backup or a restore cannot go on, or what a restore found wrong."""


# --- PostgreSQL and its client programs --------------------------------------------


def _database() -> BaseDatabaseWrapper:
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        raise BackupError(
            "Backups are made of PostgreSQL databases only (DATABASE_URL=postgres://…); "
            f"this one is {connection.vendor}. A SQLite database is a development "
            "database: stop the server and copy its file."
        )
    return connection


def _major(version_text: str) -> int | None:
    found = re.search(r"\(PostgreSQL\) (\d+)", version_text)
    return int(found.group(1)) if found else None


def pg_tool(name: str, server_major: int) -> str:
    """The path of ``pg_dump`` or ``pg_restore`` fit for a server of ``server_major``:
    from ``PG_BIN`` when set, else Debian's ``/usr/lib/postgresql/<major>/bin``, the
    directory ``pg_config --bindir`` names, or the search path, in that order. A program
    older than the server is refused (``pg_dump`` cannot dump a newer server)."""
    if settings.PG_BIN:
        candidates = [Path(settings.PG_BIN) / name]
    else:
        candidates = [Path(DEBIAN_PG_BIN.format(major=server_major)) / name]
        pg_config = shutil.which("pg_config")
        if pg_config:
            bindir = _output([pg_config, "--bindir"])
            if bindir:
                candidates.append(Path(bindir) / name)
        on_path = shutil.which(name)
        if on_path:
            candidates.append(Path(on_path))
    refused = []
    for candidate in candidates:
        if not (candidate.is_file() and os.access(candidate, os.X_OK)):
            continue
        version = _output([str(candidate), "--version"])
        major = _major(version)
        if major is not None and major >= server_major:
            return str(candidate)
        refused.append(f"{candidate} ({version or 'no version'})")
    where = (
        f"PG_BIN={settings.PG_BIN}"
        if settings.PG_BIN
        else f"{candidates[0].parent}, pg_config --bindir and the search path"
    )
    raise BackupError(
        f"No {name} of PostgreSQL {server_major} or newer found (looked in {where}"
        + (f"; too old: {', '.join(refused)}" if refused else "")
        + f"). Install postgresql-client-{server_major} or set PG_BIN to its bin directory."
    )


def _output(command: list[str]) -> str:
    """What a client program prints (``--version``, ``--bindir``)."""
    # The program is one this module looked up (PG_BIN or the known places), not input.
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    return result.stdout.strip()


def _libpq_env(connection: BaseDatabaseWrapper) -> dict[str, str]:
    """The environment the client programs connect with: the database settings as
    libpq's variables, so that no password is seen on a command line."""
    settings_dict = connection.settings_dict
    _args, env = connection.client.settings_to_cmd_args_env(settings_dict, [])
    env = {**os.environ, **(env or {})}
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    return env


def _run(command: list[str], connection: BaseDatabaseWrapper, **kwargs) -> None:
    """Run a client program against the database; raise with its error output if it fails."""
    result = subprocess.run(  # noqa: S603  (a program pg_tool found, fixed arguments)
        command, env=_libpq_env(connection), stderr=subprocess.PIPE, check=False, **kwargs
    )
    if result.returncode:
        errors = result.stderr.decode("utf-8", "replace").strip()
        raise BackupError(f"{Path(command[0]).name} failed ({result.returncode}):\n{errors}")


# --- what a database holds ---------------------------------------------------------


def table_counts(connection: BaseDatabaseWrapper) -> dict[str, int]:
    """The row count of every table of the database's schema, in one statement."""
    with connection.cursor() as cursor:
        tables = sorted(connection.introspection.table_names(cursor))
        if not tables:
            return {}
        quote = connection.ops.quote_name
        cursor.execute(
            " UNION ALL ".join(
                f"SELECT %s, count(*) FROM {quote(table)}"  # noqa: S608
                for table in tables
            ),
            tables,
        )
        return dict(cursor.fetchall())


def audit_heads() -> dict[str, dict]:
    """The head of each municipality's audit chain, by local government code."""
    heads = AuditChainHead.objects.order_by("municipality__code")
    return {
        code: {"seq": seq, "hash": hash_}
        for code, seq, hash_ in heads.values_list("municipality__code", "seq", "hash")
    }


def tables_with_rows(connection: BaseDatabaseWrapper) -> list[str]:
    """Every table of the database, in any schema but the system's, that holds a row
    (a database Django migrated has rows in ``django_migrations``)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname, c.relname FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') "
            "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND n.nspname NOT LIKE 'pg\\_%%' ORDER BY 1, 2"
        )
        tables = cursor.fetchall()
        found = []
        quote = connection.ops.quote_name
        for schema, table in tables:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {quote(schema)}.{quote(table)})")  # noqa: S608
            if cursor.fetchone()[0]:
                found.append(table if schema == "public" else f"{schema}.{table}")
        return found


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _create_private(path: Path):
    """A new file readable by its owner only (0600, whatever the umask), open to write."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "wb")


# --- backup ------------------------------------------------------------------------


@dataclass(frozen=True)
class Backup:
    path: Path
    manifest_path: Path
    manifest: dict

    @property
    def size(self) -> int:
        return self.manifest["size"]


def manifest_path_for(path: Path) -> Path:
    return path.with_suffix(".json")


def backup_create(*, directory: Path) -> Backup:
    """Dump the database into ``directory`` as ``<name>-<UTC time>.dump`` (mode 0600),
    with its manifest beside it. The counts and heads are read in a repeatable-read
    transaction whose snapshot ``pg_dump`` is given, so they describe exactly the dump
    even while the portal keeps writing."""
    connection = _database()
    connection.ensure_connection()
    pg_dump = pg_tool("pg_dump", connection.pg_version // 10000)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    name = f"{connection.settings_dict['NAME']}-{now:%Y%m%dT%H%M%SZ}"
    path = directory / f"{name}.dump"
    partial = directory / f"{name}.dump.partial"
    if path.exists():
        raise BackupError(f"{path} exists already: one backup a second at most.")
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot, server_version = cursor.fetchone()
        counts = table_counts(connection)
        heads = audit_heads()
        try:
            with _create_private(partial) as out:
                _run(
                    [
                        pg_dump,
                        "--format=custom",
                        f"--snapshot={snapshot}",
                        "--no-password",
                        f"--dbname={connection.settings_dict['NAME']}",
                    ],
                    connection,
                    stdout=out,
                )
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    os.replace(partial, path)
    manifest = {
        "format": MANIFEST_FORMAT,
        "file": path.name,
        "size": path.stat().st_size,
        "sha256": _sha256(path),
        "created_at": now.isoformat(timespec="seconds"),
        "database": connection.settings_dict["NAME"],
        "server_version": server_version,
        "pg_dump": _output([pg_dump, "--version"]),
        "tables": counts,
        "audit_heads": heads,
        "not_in_the_backup": NOT_IN_THE_BACKUP,
    }
    manifest_path = manifest_path_for(path)
    content = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    with _create_private(manifest_path) as out:
        out.write(content.encode())
        out.flush()
        os.fsync(out.fileno())
    return Backup(path=path, manifest_path=manifest_path, manifest=manifest)


# --- restore -----------------------------------------------------------------------


def manifest_read(path: Path, manifest_path: Path) -> dict:
    """The manifest of the dump at ``path``, once the dump is checked against it."""
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(
            f"The manifest {manifest_path} is missing: give it with --manifest, or "
            "restore without comparing (--no-manifest)."
        ) from None
    except ValueError as error:
        raise BackupError(f"The manifest {manifest_path} is not JSON: {error}") from None
    if manifest.get("format") != MANIFEST_FORMAT:
        raise BackupError(f"{manifest_path} is not a manifest this version reads.")
    if _sha256(path) != manifest["sha256"]:
        raise BackupError(
            f"{path} is not the file its manifest describes (its SHA-256 differs): "
            "damaged, cut short or replaced. Nothing was restored."
        )
    return manifest


def _compare(manifest: dict, counts: dict[str, int], heads: dict[str, dict]) -> list[str]:
    """How the restored database differs from the manifest."""
    problems = []
    for table, expected in sorted(manifest["tables"].items()):
        found = counts.get(table)
        if found is None:
            problems.append(f"table {table} is missing (the backup has {expected} rows)")
        elif found != expected:
            problems.append(f"table {table}: {found} rows, the backup has {expected}")
    for code, expected in sorted(manifest["audit_heads"].items()):
        if heads.get(code) != expected:
            problems.append(
                f"audit chain of {code}: head {heads.get(code)}, the backup's {expected}"
            )
    for code in sorted(set(heads) - set(manifest["audit_heads"])):
        problems.append(f"audit chain of {code}: not in the backup")
    return problems


@dataclass(frozen=True)
class Restored:
    tables: int
    rows: int
    extra_tables: list[str]  # left from before a forced restore: not in the backup
    pending_migrations: int


def backup_restore(
    *, path: Path, manifest_path: Path | None, force: bool, write: Callable[[str], None]
) -> Restored:
    """Restore the dump at ``path`` into the database, then verify the audit chain and
    compare with the manifest (``manifest_path``; ``None``: no comparison). Raises
    ``BackupError`` before restoring when the target is in use (unless ``force``) or the
    dump does not match its manifest, and after it when anything does not verify."""
    connection = _database()
    if not path.is_file():
        raise BackupError(f"{path}: no such file.")
    manifest = manifest_read(path, manifest_path) if manifest_path else None
    name = connection.settings_dict["NAME"]
    in_use = tables_with_rows(connection)
    if in_use and not force:
        shown = ", ".join(in_use[:5]) + (", …" if len(in_use) > 5 else "")
        raise BackupError(
            f"The database {name} is not empty: {len(in_use)} table(s) hold rows ({shown}). "
            "Restore into a new, empty database (createdb, without migrating), or replace "
            "this one's contents with --force (make restore FILE=… FORCE=1)."
        )
    pg_restore = pg_tool("pg_restore", connection.pg_version // 10000)
    connection.close()  # hold nothing the restore's DROP statements would wait for
    _run(
        [
            pg_restore,
            # Drop what the dump holds before creating it (a forced restore), quietly
            # when absent (an empty database).
            "--clean",
            "--if-exists",
            # Objects belong to the account restoring (the portal's database user); the
            # roles and grants of the backed-up server need not exist here.
            "--no-owner",
            "--no-privileges",
            # All or nothing: a failed restore leaves the database as it was.
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={name}",
            str(path),
        ],
        connection,
    )
    write(f"restored {path} into {name} (one transaction)")
    problems = []
    try:
        call_command("verify_audit", stdout=_Lines(write))
    except CommandError as error:
        problems.append(
            f"verify_audit: {error} Either the backup holds a tampered audit trail, or "
            "AUDIT_HMAC_KEY is not the key of the portal the backup was taken from (every "
            "head's signature then fails)."
        )
    counts = table_counts(connection)
    if manifest is not None:
        problems += _compare(manifest, counts, audit_heads())
    if problems:
        raise BackupError(
            f"The restored database {name} does not match the backup; do not serve it:\n  "
            + "\n  ".join(problems)
        )
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    extra = sorted(set(counts) - set(manifest["tables"])) if manifest else []
    return Restored(
        tables=len(counts),
        rows=sum(counts.values()),
        extra_tables=extra,
        pending_migrations=len(pending),
    )


class _Lines:
    """A file-like ``stdout`` for ``call_command`` that hands each write on."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write

    def write(self, text: str) -> None:
        text = text.rstrip("\n")
        if text:
            self._write(text)

    def flush(self) -> None:
        pass
