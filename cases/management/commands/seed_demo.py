"""Create the demo data (staff accounts, then each program's records) if absent."""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from cases.registry import demo_seeders


def _load(path: str):
    module, _sep, name = path.partition(":")
    return getattr(import_module(module), name)


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
        # The staff first, then every program's seeder in its declared order.
        seeders = [
            ("staff", "demo.staff:seed_staff"),
            *demo_seeders(),
            # Last: the assessment's ecomap shows what every program linked to the case.
            ("assessments", "demo.assessment:seed_assessments"),
        ]
        for name, path in seeders:
            with transaction.atomic():
                _load(path)(self)
            if options["verbosity"] > 1:
                self.stdout.write(f"seeded {name}")
