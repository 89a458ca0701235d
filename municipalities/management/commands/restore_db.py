"""manage.py restore_db FILE [--force] [--manifest FILE | --no-manifest]: restore a
backup of ``backup_db`` into the database of ``DATABASE_URL``, in one transaction
(``pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction``).

Refuses a database that holds any row (a migrated one included) unless ``--force``,
and a dump that is not the file its manifest describes. After the restore it verifies
the audit chain (``verify_audit``: it needs the ``AUDIT_HMAC_KEY`` of the portal the
backup was taken from) and compares every table's row count and each audit head with
the manifest; it exits non-zero, saying what differs, if anything does."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from municipalities.backup import BackupError, backup_restore, manifest_path_for


class Command(BaseCommand):
    help = "Restore a backup made by backup_db, then verify the audit chain and the counts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the .dump file")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace the contents of a database that is not empty",
        )
        manifest = parser.add_mutually_exclusive_group()
        manifest.add_argument(
            "--manifest", type=Path, help="the dump's manifest (default: FILE with .json)"
        )
        manifest.add_argument(
            "--no-manifest",
            action="store_true",
            help="restore without a manifest: only the audit chain is verified",
        )

    def handle(self, *args, **options) -> None:
        path = options["file"]
        manifest_path = None
        if not options["no_manifest"]:
            manifest_path = options["manifest"] or manifest_path_for(path)
        try:
            restored = backup_restore(
                path=path,
                manifest_path=manifest_path,
                force=options["force"],
                write=self.stdout.write,
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        compared = "match the manifest" if manifest_path else "(no manifest compared)"
        self.stdout.write(
            f"{restored.tables} tables, {restored.rows} rows {compared}; audit chain verified"
        )
        if restored.extra_tables:
            self.stdout.write(
                "Tables not in the backup, left from before the restore: "
                + ", ".join(restored.extra_tables)
            )
        if restored.pending_migrations:
            self.stdout.write(
                f"{restored.pending_migrations} migration(s) newer than the backup: "
                "run manage.py migrate before serving."
            )
