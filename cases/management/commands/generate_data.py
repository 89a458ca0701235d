"""``manage.py generate_data --cases N [--seed S]``: an invented national data set for
benchmarks, spread over the roster municipalities by size (see ``bench/generate.py``).

Run it on an empty database that has the roster loaded (``migrate`` then
``load_roster``); it refuses to add to a database that already holds cases.
"""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.models import Case
from municipalities.models import Municipality


class Command(BaseCommand):
    help = "Fill the database with invented cases for all roster municipalities (benchmarks)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, required=True, help="number of cases in total")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="reference day (YYYY-MM-DD) the dates are relative to; default today",
        )

    def handle(self, *args, cases: int, seed: int, today: datetime.date | None, **options) -> None:
        from bench.generate import generate

        if cases < 1:
            raise CommandError("--cases must be at least 1.")
        if not Municipality.objects.exists():
            raise CommandError("Load the roster first (manage.py load_roster …).")
        if Case.objects.exists():
            raise CommandError(
                "The database already holds cases. Generate into a fresh database "
                "(migrate, load_roster, then generate_data)."
            )
        result = generate(cases, seed=seed, today=today, progress=self.stdout.write)
        for label, count in sorted(result.rows.items()):
            self.stdout.write(f"{label:<36} {count:>12,}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.cases:,} cases, {result.total_rows:,} rows in {result.seconds:.1f} s "
                f"({result.rows_per_second:,.0f} rows/s)"
            )
        )
