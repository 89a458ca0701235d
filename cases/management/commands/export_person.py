"""manage.py export_person <id> [--output FILE]

Everything the portal holds on one person, as a readable Markdown document (for a
disclosure request, 開示請求): personal details, households, cases with their issues,
consultations (withdrawn entries included), consent, plans, meetings, referrals, the
assessments, and
what the program apps add to each case's timeline. The export is itself audited."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.assessment.export import export_lines as assessment_export_lines
from cases.core.casepage import case_page
from cases.models import Case, Person
from municipalities.audit import audit_write
from municipalities.models import AuditEvent


class Command(BaseCommand):
    help = "Export everything held on one person as a readable document."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("person_id", type=int)
        parser.add_argument("--output", type=Path, help="Write to this file (default: stdout)")

    def handle(self, *args, **options) -> None:
        person = Person.objects.filter(pk=options["person_id"]).first()
        if person is None:
            raise CommandError(f"No person with id {options['person_id']}")
        text = "\n".join(render(person))
        audit_write(
            user=None,
            municipality_id=person.municipality_id,
            action=AuditEvent.Action.EXPORT,
            obj=person,
            person_id=person.pk,
            detail={"what": "disclosure export", "via": "export_person"},
        )
        if options["output"]:
            options["output"].write_text(text, encoding="utf-8")
            self.stdout.write(f"Written to {options['output']}")
        else:
            self.stdout.write(text)


def render(person: Person) -> list[str]:
    lines = [f"# {person.name}（{person.name_kana}）", ""]
    for label, value in (
        ("生年月日", person.birth_date),
        ("性別", person.get_sex_display()),
        ("住所", person.address),
        ("電話（自宅）", person.phone_home),
        ("電話（携帯）", person.phone_mobile),
        ("メール", person.email),
        ("登録日時", person.created_at),
    ):
        lines.append(f"- {label}: {value or '—'}")
    memberships = person.memberships.select_related("household")
    if memberships:
        lines += ["", "## 世帯"]
        lines += [
            f"- {m.household}（{m.get_relationship_display()}）"
            + (f" 転出 {m.left_at}" if m.left_at else "")
            for m in memberships
        ]
    consents = person.consents.prefetch_related("agencies").order_by("given_on")
    if consents:
        lines += ["", "## 同意"]
        for c in consents:
            agencies = "、".join(a.name for a in c.agencies.all()) or "—"
            lines.append(
                f"- {c.given_on} {c.purpose}（{c.scope}）{c.get_method_display()} / "
                f"{c.get_legal_basis_display()} / 機関: {agencies}"
                + (f" / 撤回 {c.withdrawn_on}" if c.withdrawn_on else "")
            )
    for case in Case.objects.filter(person=person).select_related("person", "route", "assigned_to"):
        page = case_page_for_export(case)
        lines += [
            "",
            f"## ケース {case.number}（{case.get_status_display()}）",
            f"- 受付日: {case.opened_on} / 経路: {case.route} / 担当: {case.assigned_to or '—'}",
            "- 課題: " + ("、".join(str(c.category) for c in page["categories"]) or "—"),
        ]
        if case.closed_on:
            lines.append(f"- 終結: {case.closed_on} {case.close_reason}")
        lines += ["", "### 経過"]
        for entry in sorted(page["timeline"], key=lambda e: e.at):
            withdrawn = getattr(entry.obj, "deleted_at", None)
            body = (entry.body or "").replace("\n", " ")
            lines.append(
                f"- {entry.at:%Y-%m-%d %H:%M} [{entry.kind}] {entry.title}"
                + (f"：{body}" if body else "")
                + ("（撤回済み）" if withdrawn else "")
            )
        lines += assessment_export_lines(case)
    return lines


def case_page_for_export(case: Case) -> dict:
    """The case page's data for the operator running the command (no staff user)."""
    return case_page(None, case.pk, case=case, timeline_page=None)
