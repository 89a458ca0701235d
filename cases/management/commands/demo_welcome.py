"""manage.py demo_welcome [--url URL]

What a newcomer needs after ``make run`` has set up the demo, printed last so that it is
the first thing they read: where the portal is, how to log in as each role, and what
the referral scan found."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Count

from cases.models import Flag
from demo.staff import demo_account_rows, write_accounts
from municipalities.models import Municipality


class Command(BaseCommand):
    help = "Print the demo's address, its logins and the open flags."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, *args, **options) -> None:
        rows = demo_account_rows()
        if not rows:
            self.stdout.write("No demo accounts: run `make setup` (or manage.py seed_demo).")
            return
        self.stdout.write("")
        self.stdout.write(f"The portal: {options['url']}")
        write_accounts(self.stdout, rows)
        counts = list(
            Flag.objects.filter(resolved_at__isnull=True)
            .values("municipality")
            .annotate(n=Count("pk"))
            .order_by("municipality")
        )
        ids = [c["municipality"] for c in counts]
        names = {m.pk: str(m) for m in Municipality.objects.filter(pk__in=ids)}
        if counts:
            found = ", ".join(f"{names[c['municipality']]} {c['n']}" for c in counts)
            self.stdout.write(f"Open flags from the referral scan: {found} (/cases/flags/)")
        self.stdout.write("")
