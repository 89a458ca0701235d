"""manage.py scan_referrals [--municipality CODE] [--as-of YYYY-MM-DD]

Runs the referral rules without Celery (the quick start and operators) and prints what
each rule matched, raised and resolved, and how many of its flags are open now."""

from __future__ import annotations

import datetime
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from cases.engine.flags import evaluate
from cases.models import Case, Flag
from municipalities.models import Municipality


class Command(BaseCommand):
    help = "Run the referral rules for one or every municipality and print the outcome."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--municipality", help="6-digit local government code")
        parser.add_argument("--as-of", help="Evaluate as of this date (YYYY-MM-DD)")

    def handle(self, *args, **options) -> None:
        as_of = None
        if options["as_of"]:
            try:
                as_of = datetime.date.fromisoformat(options["as_of"])
            except ValueError as exc:
                raise CommandError(f"--as-of must be YYYY-MM-DD: {options['as_of']}") from exc
        if options["municipality"]:
            municipalities = list(Municipality.objects.filter(code=options["municipality"]))
            if not municipalities:
                raise CommandError(f"No municipality with code {options['municipality']}")
        else:
            ids = Case.objects.values_list("municipality_id", flat=True).distinct().order_by()
            municipalities = list(Municipality.objects.filter(pk__in=list(ids)))
        started = time.perf_counter()
        for municipality in municipalities:
            outcomes = evaluate(municipality.pk, as_of)
            # Flags raised before (as a save re-evaluates its case) count as open too:
            # "raised 0" after seeding does not mean the rule found nothing.
            open_now = dict(
                Flag.objects.filter(municipality=municipality, resolved_at__isnull=True)
                .values_list("rule")
                .annotate(n=Count("pk"))
                .order_by()
            )
            self.stdout.write(f"{municipality.code} {municipality}")
            for code, o in outcomes.items():
                self.stdout.write(
                    f"  {code:<30} matched {o.matched:>6}  raised {o.raised:>6}  "
                    f"resolved {o.resolved:>6}  open {open_now.get(code, 0):>6}"
                )
        self.stdout.write(
            f"{len(municipalities)} municipalities in {time.perf_counter() - started:.2f} s"
        )
