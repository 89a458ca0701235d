"""Create the demo data of every app (staff accounts, cases, …) if absent."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from portal.demo import seeders


class Command(BaseCommand):
    help = "Create demo data (two municipalities, every role, invented cases) if absent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Allow creating accounts with the demo password when DEBUG is off.",
        )

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError("Demo accounts have a known password; refusing with DEBUG off.")
        for name, seeder in seeders():
            with transaction.atomic():
                seeder(self)
            if options["verbosity"] > 1:
                self.stdout.write(f"seeded {name}")
