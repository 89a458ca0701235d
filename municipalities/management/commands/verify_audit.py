"""manage.py verify_audit [--municipality CODE]: check that no audit event was edited or
deleted (each event is chained to the previous one by hash). Exits non-zero if broken."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from municipalities.audit import seal_chain, verify_chain
from municipalities.models import AuditEvent, Municipality


class Command(BaseCommand):
    help = "Verify the hash chain of the audit trail."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--municipality", help="6-digit local government code")

    def handle(self, *args, **options) -> None:
        municipalities = Municipality.objects.filter(
            pk__in=AuditEvent.objects.values("municipality_id")
        )
        if options["municipality"]:
            municipalities = municipalities.filter(code=options["municipality"])
        broken = 0
        for municipality in municipalities.order_by("code"):
            seal_chain(municipality.pk)  # chain what arrived since the last seal
            problems = verify_chain(municipality.pk)
            count = AuditEvent.objects.filter(municipality=municipality).count()
            status = "OK" if not problems else f"{len(problems)} problem(s)"
            self.stdout.write(f"{municipality.code} {municipality}: {count} events, {status}")
            for problem in problems[:50]:
                self.stdout.write(f"  {problem}")
            broken += bool(problems)
        if broken:
            raise CommandError(f"The audit trail of {broken} municipality(ies) was tampered with.")
