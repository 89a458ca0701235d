"""manage.py load_roster <file> --fiscal-year 2022 [--kind implementation]
[--expected-total 134] [--dry-run]"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from municipalities.models import ParticipationKind
from municipalities.roster import roster_import


class Command(BaseCommand):
    help = (
        "Load the roster of implementing municipalities for one fiscal year from a CSV "
        "(UTF-8 or Shift_JIS), TSV, Excel (.xlsx) or JSON file. All or nothing; "
        "running it twice changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--fiscal-year",
            type=int,
            required=True,
            help="Fiscal year by its starting calendar year (2022 = 令和4年度).",
        )
        parser.add_argument(
            "--kind",
            choices=ParticipationKind.values,
            default=ParticipationKind.IMPLEMENTATION,
            help="Kind of participation for rows without a kind column.",
        )
        parser.add_argument(
            "--expected-total",
            type=int,
            default=None,
            help="Reject the file unless it lists exactly this many municipalities.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Report only; change nothing.")

    def handle(self, *args, **options) -> None:
        path: Path = options["file"]
        try:
            with path.open("rb") as file:
                # One byte past the limit is enough for the loader to refuse a larger file.
                content = file.read(settings.ROSTER_UPLOAD_MAX_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        report = roster_import(
            content=content,
            file_name=path.name,
            fiscal_year=options["fiscal_year"],
            kind=options["kind"],
            expected_total=options["expected_total"],
            dry_run=options["dry_run"],
        )
        if options["verbosity"] > 0:
            self.stdout.write(report.as_text(every_row=options["verbosity"] > 1 or not report.ok))
        if not report.ok:
            raise CommandError(f"{path.name}: the roster was rejected; nothing was changed.")
