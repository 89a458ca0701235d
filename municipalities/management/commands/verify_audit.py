"""manage.py verify_audit [--municipality CODE] [--checkpoints FILE]: check each
municipality's audit chain — edited events, missing numbers, deleted newest events, a
re-hashed chain (the head's signature), and with ``--checkpoints`` the chain against
the signed checkpoints written out of the database (the checkpoint file, or the
application log). Changes nothing. Exits non-zero if anything is wrong."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from municipalities.audit_chain import Checkpoint, checkpoints_read, verify_chain
from municipalities.models import AuditChainHead, AuditEvent, Municipality


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain, its signed head and its checkpoints."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--municipality", help="6-digit local government code")
        parser.add_argument(
            "--checkpoints",
            metavar="FILE",
            help="the checkpoint file (AUDIT_CHECKPOINT_FILE) or a log holding checkpoints",
        )

    def handle(self, *args, **options) -> None:
        checkpoints: dict[int, list[Checkpoint]] = {}
        broken = 0
        if options["checkpoints"]:
            broken += self._read_checkpoints(options["checkpoints"], checkpoints)
        municipalities = Municipality.objects.filter(
            Q(pk__in=AuditEvent.objects.values("municipality_id"))
            | Q(pk__in=AuditChainHead.objects.values("pk"))
            | Q(pk__in=list(checkpoints))
        )
        if options["municipality"]:
            municipalities = municipalities.filter(code=options["municipality"])
        else:
            unknown = set(checkpoints) - set(municipalities.values_list("pk", flat=True))
            for municipality_id in sorted(unknown):
                code = checkpoints[municipality_id][0].municipality
                self.stdout.write(
                    f"{code} (id {municipality_id}): has checkpoints but no longer exists"
                )
                broken += 1
        for municipality in municipalities.order_by("code"):
            problems = verify_chain(municipality.pk, checkpoints.get(municipality.pk, ()))
            count = AuditEvent.objects.filter(municipality=municipality).count()
            status = "OK" if not problems else f"{len(problems)} problem(s)"
            self.stdout.write(f"{municipality.code} {municipality}: {count} events, {status}")
            for problem in problems[:50]:
                self.stdout.write(f"  {problem}")
            broken += bool(problems)
        if broken:
            raise CommandError(f"The audit trail was tampered with ({broken} finding(s) above).")

    def _read_checkpoints(self, path: str, into: dict[int, list[Checkpoint]]) -> int:
        """Read the checkpoint file into ``into`` by municipality; its problems' count."""
        with open(path, encoding="utf-8", errors="replace") as lines:
            found, problems = checkpoints_read(lines)
        for checkpoint in found:
            into.setdefault(checkpoint.municipality_id, []).append(checkpoint)
        self.stdout.write(f"checkpoints: {len(found)} in {path}")
        for problem in problems[:50]:
            self.stdout.write(f"  {problem}")
        return len(problems)
