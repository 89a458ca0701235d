"""manage.py backup_db [--directory DIR]: dump the PostgreSQL database (``pg_dump``,
custom format) into ``BACKUP_DIR`` as ``<database>-<UTC time>.dump``, readable by its
owner only, with a manifest beside it (``.json``: the row count of every table and the
head of each municipality's audit chain, as of the dump). Prints the path and size.
Neither ``AUDIT_HMAC_KEY`` nor any other secret is in the backup."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from municipalities.backup import BackupError, backup_create


def _size(size: int) -> str:
    """1536 → "1.5 KiB"."""
    value = float(size)
    for unit in ("bytes", "KiB", "MiB"):
        if value < 1024:
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


class Command(BaseCommand):
    help = "Back up the PostgreSQL database (pg_dump, custom format) with a manifest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--directory",
            type=Path,
            default=None,
            help="where to write the backup (default: BACKUP_DIR, else backups/)",
        )

    def handle(self, *args, **options) -> None:
        try:
            backup = backup_create(directory=options["directory"] or settings.BACKUP_DIR)
        except BackupError as error:
            raise CommandError(str(error)) from error
        manifest = backup.manifest
        self.stdout.write(f"{backup.path}  {_size(backup.size)} ({backup.size} bytes)")
        self.stdout.write(
            f"{backup.manifest_path}  {len(manifest['tables'])} tables, "
            f"{sum(manifest['tables'].values())} rows, "
            f"{len(manifest['audit_heads'])} audit chain(s)"
        )
        self.stdout.write(
            "Not in the backup: AUDIT_HMAC_KEY and the other secrets; keep them apart "
            "(a restore verifies only with the same audit key)."
        )
