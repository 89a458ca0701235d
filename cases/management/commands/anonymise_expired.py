"""manage.py anonymise_expired [--dry-run] [--municipality CODE] [--as-of YYYY-MM-DD]

Anonymises the persons whose last case was closed longer ago than their municipality's
retention period (see ``cases.core.retention``). With ``--dry-run`` it only lists, per
municipality, which persons and cases would be anonymised, and changes nothing."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.core.retention import anonymise_expired
from municipalities.models import Municipality


class Command(BaseCommand):
    help = "Anonymise persons whose closed cases are past the retention period."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List only; change nothing")
        parser.add_argument("--municipality", help="6-digit local government code")
        parser.add_argument("--as-of", help="Apply the retention period as of this date")

    def handle(self, *args, **options) -> None:
        as_of = None
        if options["as_of"]:
            try:
                as_of = datetime.date.fromisoformat(options["as_of"])
            except ValueError as exc:
                raise CommandError(f"--as-of must be YYYY-MM-DD: {options['as_of']}") from exc
        code = options["municipality"]
        if code and not Municipality.objects.filter(code=code).exists():
            raise CommandError(f"No municipality with code {code}")
        dry_run = options["dry_run"]
        results = anonymise_expired(as_of=as_of, municipality_code=code, dry_run=dry_run)
        verb = "would anonymise" if dry_run else "anonymised"
        for result in results:
            self.stdout.write(
                f"{result.code} {result.name} (retention {result.retention_years} years, "
                f"closed before {result.cutoff.isoformat()}): {verb} "
                f"{len(result.persons)} persons, {result.case_count} cases"
            )
            for plan in result.persons:
                closed = plan.last_closed.isoformat() if plan.last_closed else "-"
                what = (
                    "household member, no case of their own"
                    if plan.household
                    else ", ".join(plan.case_numbers)
                )
                self.stdout.write(f"  person {plan.person_id} last closed {closed}: {what}")
        persons = sum(len(r.persons) for r in results)
        cases = sum(r.case_count for r in results)
        suffix = " (dry run: nothing changed)" if dry_run else ""
        self.stdout.write(f"Total: {verb} {persons} persons, {cases} cases{suffix}")
