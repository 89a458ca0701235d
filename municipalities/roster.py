"""Loading a roster of implementing municipalities for one fiscal year (the file is
read by ``municipalities.roster_files``).

A roster file lists municipalities by code, by name, or both (optionally with the
prefecture). Each row is resolved against the national code table shipped with the
app. The load is all or nothing: if any row is rejected, or the count differs from
the expected total, nothing is written. Loading the same file twice changes nothing.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from municipalities.codes import (
    PREFECTURES,
    LocalGovernment,
    check_digit,
    code_table,
    normalize_code,
    normalize_name,
)
from municipalities.models import (
    Municipality,
    ParticipationKind,
    ProgramParticipation,
    RosterImport,
    User,
)
from municipalities.roster_files import (
    RosterFile,
    RosterFileError,
    RosterRow,
    roster_read,
)
from portal.errors import CaseRuleError

KIND_ALIASES: dict[str, str] = {
    ParticipationKind.IMPLEMENTATION.value: ParticipationKind.IMPLEMENTATION,
    "本格実施": ParticipationKind.IMPLEMENTATION,
    "実施": ParticipationKind.IMPLEMENTATION,
    "重層事業": ParticipationKind.IMPLEMENTATION,
    ParticipationKind.TRANSITION.value: ParticipationKind.TRANSITION,
    "移行準備事業": ParticipationKind.TRANSITION,
    "移行準備": ParticipationKind.TRANSITION,
    ParticipationKind.MODEL.value: ParticipationKind.MODEL,
    "モデル事業": ParticipationKind.MODEL,
}


STATUS_LABELS: dict[str, Any] = {
    "added": gettext_lazy("added"),
    "updated": gettext_lazy("updated"),
    "unchanged": gettext_lazy("unchanged"),
    "removed": gettext_lazy("removed"),
    "rejected": gettext_lazy("rejected"),
}


@dataclass
class RowOutcome:
    line: int
    status: str  # added | updated | unchanged | rejected | removed
    code: str = ""
    prefecture: str = ""
    name: str = ""
    reason: str = ""
    changes: list[str] = field(default_factory=list)


@dataclass
class RosterReport:
    fiscal_year: int
    file_name: str
    rows: list[RowOutcome] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    applied: bool = False
    total_resolved: int = 0
    expected_total: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and not any(r.status == "rejected" for r in self.rows)

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def counts(self) -> dict[str, int]:
        return {s: self.count(s) for s in ("added", "updated", "unchanged", "removed", "rejected")}

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        data["counts"] = self.counts
        return data

    def as_text(self, *, every_row: bool = True) -> str:
        """The report; with ``every_row`` False only rejections, errors and counts."""
        lines = []
        if not self.applied and every_row:
            lines.append(_("Outcome of each row if the roster were applied:"))
        for r in self.rows:
            if r.status == "rejected":
                label = r.name or r.code or "?"
                lines.append(f"  {r.line:>5}: {STATUS_LABELS['rejected']} {label}: {r.reason}")
            elif every_row and r.status in ("added", "updated", "removed"):
                detail = f" ({'; '.join(r.changes)})" if r.changes else ""
                place = f"{r.code} {r.prefecture}{r.name}"
                lines.append(f"  {r.line:>5}: {STATUS_LABELS[r.status]} {place}{detail}")
        error_label = _("Error")
        for e in self.errors:
            lines.append(f"  {error_label}: {e}")
        c = self.counts
        lines.append(
            _(
                "added %(added)d, updated %(updated)d, unchanged %(unchanged)d, "
                "removed %(removed)d, rejected %(rejected)d"
            )
            % c
        )
        if self.applied:
            lines.append(_("The roster was applied."))
        elif self.ok and not any(r.status != "unchanged" for r in self.rows):
            lines.append(_("The database already matches this roster; nothing was changed."))
        else:
            lines.append(_("Nothing was changed."))
        return "\n".join(lines)


# --- Resolving --------------------------------------------------------------------


def _resolve(row: RosterRow) -> LocalGovernment | str:
    """The row's municipality, or the reason it is rejected."""
    prefecture = normalize_name(row.prefecture)
    if prefecture and prefecture not in PREFECTURES:
        return _("unknown prefecture %(prefecture)s") % {"prefecture": row.prefecture}
    if row.code:
        return _resolve_code(row, prefecture)
    if not row.name:
        return _("neither a code nor a name is given")
    return _resolve_name(row, prefecture)


def _resolve_code(row: RosterRow, prefecture: str) -> LocalGovernment | str:
    """By the code (5 digits, or 6 with the check digit), checked against the name and
    prefecture when they are given too."""
    code = normalize_code(row.code)
    if len(code) == 5 and code.isascii() and code.isdigit():
        code += check_digit(code)  # a 5-digit JIS X 0402 code without its check digit
    elif not (len(code) == 6 and code.isascii() and code.isdigit()):
        return _("the code %(code)s is not six digits") % {"code": row.code}
    elif check_digit(code[:5]) != code[5]:
        return _("the check digit of code %(code)s is wrong (expected %(digit)s)") % {
            "code": code,
            "digit": check_digit(code[:5]),
        }
    gov = code_table().by_code.get(code)
    if gov is None:
        return _("no municipality has the code %(code)s") % {"code": code}
    if row.name and normalize_name(row.name) != normalize_name(gov.name):
        return _("the code %(code)s is %(real)s, not %(name)s") % {
            "code": code,
            "real": f"{gov.prefecture}{gov.name}",
            "name": row.name,
        }
    if prefecture and prefecture != gov.prefecture:
        return _("the code %(code)s is in %(real)s, not %(prefecture)s") % {
            "code": code,
            "real": gov.prefecture,
            "prefecture": row.prefecture,
        }
    return gov


def _resolve_name(row: RosterRow, prefecture: str) -> LocalGovernment | str:
    """By the name (within the prefecture when given), with close real names suggested
    when none matches."""
    table = code_table()
    matches = table.lookup_name(row.name, prefecture or None)
    if len(matches) == 1:
        return matches[0]
    if matches:
        return _(
            "%(name)s exists in several prefectures (%(found)s): give the prefecture or the code"
        ) % {"name": row.name, "found": "、".join(g.prefecture for g in matches)}
    elsewhere = table.lookup_name(row.name)
    if prefecture and elsewhere:
        return _("%(name)s is not in %(prefecture)s (it is in %(found)s)") % {
            "name": row.name,
            "prefecture": row.prefecture,
            "found": "、".join(g.prefecture for g in elsewhere),
        }
    suggestions = _similar_names(row.name)
    if suggestions:
        return _("unknown municipality name %(name)s (did you mean: %(suggestions)s?)") % {
            "name": row.name,
            "suggestions": "、".join(suggestions),
        }
    return _("unknown municipality name %(name)s") % {"name": row.name}


def _similar_names(name: str) -> list[str]:
    """Real names one or two characters away (typical of OCR and typing errors)."""
    table = code_table()
    close = difflib.get_close_matches(normalize_name(name), list(table.by_name), n=3, cutoff=0.7)
    return [f"{g.prefecture}{g.name}" for key in close for g in table.by_name[key]]


def _resolve_kind(row: RosterRow, default: str) -> str | None:
    if not row.kind:
        return default
    return KIND_ALIASES.get(normalize_name(row.kind).lower())


# --- Loading ----------------------------------------------------------------------


def roster_import(
    *,
    content: bytes,
    file_name: str,
    fiscal_year: int,
    kind: str = ParticipationKind.IMPLEMENTATION,
    expected_total: int | None = None,
    dry_run: bool = False,
    user: User | None = None,
) -> RosterReport:
    """Read a roster file and load it (``roster_load``); a file that cannot be read, or
    is past the limits of ``municipalities.roster_files``, changes nothing."""
    try:
        roster = roster_read(content, file_name)
    except RosterFileError as exc:
        report = RosterReport(
            fiscal_year=fiscal_year, file_name=file_name, expected_total=expected_total
        )
        report.errors.append(str(exc))
        return report
    return roster_load(
        roster=roster,
        fiscal_year=fiscal_year,
        kind=kind,
        expected_total=expected_total,
        dry_run=dry_run,
        user=user,
    )


def roster_load(
    *,
    roster: RosterFile,
    fiscal_year: int,
    kind: str = ParticipationKind.IMPLEMENTATION,
    expected_total: int | None = None,
    dry_run: bool = False,
    user: User | None = None,
    preview: RosterImport | None = None,
) -> RosterReport:
    """Check the rows of a roster file and, unless ``dry_run`` or anything is wrong, apply
    them.

    Applying adds missing municipalities, updates changed names, records each one's
    participation for ``fiscal_year``, and removes that year's participation of
    municipalities no longer listed. It is one transaction: all or nothing.
    An applied load is kept as a ``RosterImport`` with the rows and the file's SHA-256
    (not its bytes); ``preview`` is the record of an earlier dry run of the same rows
    (the admin's upload step), which then becomes it.
    """
    report = RosterReport(
        fiscal_year=fiscal_year, file_name=roster.name, expected_total=expected_total
    )
    if not 1999 <= fiscal_year <= 2100:
        report.errors.append(_("The fiscal year %(year)d is out of range.") % {"year": fiscal_year})
        return report

    resolved: dict[str, tuple[RosterRow, LocalGovernment, str]] = {}
    for row in roster.rows:
        result = _resolve(row)
        if isinstance(result, str):
            report.rows.append(
                RowOutcome(
                    line=row.line,
                    status="rejected",
                    code=row.code,
                    prefecture=row.prefecture,
                    name=row.name,
                    reason=result,
                )
            )
            continue
        row_kind = _resolve_kind(row, kind)
        if row_kind is None:
            report.rows.append(
                RowOutcome(
                    line=row.line,
                    status="rejected",
                    code=result.code,
                    prefecture=result.prefecture,
                    name=result.name,
                    reason=_("unknown kind %(kind)s") % {"kind": row.kind},
                )
            )
            continue
        if result.code in resolved:
            first = resolved[result.code][0]
            report.rows.append(
                RowOutcome(
                    line=row.line,
                    status="rejected",
                    code=result.code,
                    prefecture=result.prefecture,
                    name=result.name,
                    reason=_("duplicate of line %(line)d") % {"line": first.line},
                )
            )
            continue
        resolved[result.code] = (row, result, row_kind)

    report.total_resolved = len(resolved)
    if expected_total is not None and len(resolved) != expected_total:
        report.errors.append(
            _("The file lists %(found)d distinct municipalities but %(expected)d were expected.")
            % {"found": len(resolved), "expected": expected_total}
        )

    with transaction.atomic():
        # First work out every row's outcome without writing anything.
        _plan_and_apply(report, resolved, fiscal_year, record=None)
        changed = any(r.status != "unchanged" for r in report.rows)
        if report.ok and not dry_run and changed:
            if preview is not None:
                record = preview
                record.status = RosterImport.Status.APPLIED
                record.applied_at = timezone.now()
                record.save(update_fields=["status", "applied_at"])
            else:
                record = RosterImport.objects.create(
                    fiscal_year=fiscal_year,
                    kind=kind,
                    expected_total=expected_total,
                    file_name=roster.name[:255],
                    file_sha256=roster.sha256,
                    rows=roster.rows_as_json(),
                    status=RosterImport.Status.APPLIED,
                    created_by=user,
                    applied_at=timezone.now(),
                )
            report.rows = [r for r in report.rows if r.status == "rejected"]
            _plan_and_apply(report, resolved, fiscal_year, record=record)
            report.rows.sort(key=lambda r: (r.status != "rejected", r.line))
            record.report = report.to_json()
            record.save(update_fields=["report"])
        else:
            report.rows.sort(key=lambda r: (r.status != "rejected", r.line))
    return report


def roster_preview(
    *,
    roster: RosterFile,
    fiscal_year: int,
    kind: str,
    expected_total: int | None,
    user: User,
) -> RosterImport:
    """The admin's upload step: check the rows without applying them and keep them, with
    the report, for ``roster_preview_apply`` (rejected if anything is wrong)."""
    report = roster_load(
        roster=roster,
        fiscal_year=fiscal_year,
        kind=kind,
        expected_total=expected_total,
        dry_run=True,
        user=user,
    )
    return RosterImport.objects.create(
        fiscal_year=fiscal_year,
        kind=kind,
        expected_total=expected_total,
        file_name=roster.name[:255],
        file_sha256=roster.sha256,
        rows=roster.rows_as_json(),
        status=RosterImport.Status.PREVIEWED if report.ok else RosterImport.Status.REJECTED,
        report=report.to_json(),
        created_by=user,
    )


@transaction.atomic
def roster_preview_apply(*, pk: int, file_sha256: str, user: User) -> RosterReport:
    """The admin's confirm step: apply exactly the rows that were previewed, checked again
    against the database (it may have changed since). ``file_sha256`` is the file the
    confirming page showed; a confirm naming another file, or a preview already applied
    or rejected, is refused with ``CaseRuleError`` and changes nothing."""
    record = RosterImport.objects.select_for_update().get(pk=pk)
    if record.status != RosterImport.Status.PREVIEWED:
        raise CaseRuleError(_("This roster import was already handled."))
    if not constant_time_compare(file_sha256, record.file_sha256):
        raise CaseRuleError(
            _("The confirmation names another file than this preview; nothing was changed.")
        )
    report = roster_load(
        roster=RosterFile.from_json(record.file_name, record.file_sha256, record.rows),
        fiscal_year=record.fiscal_year,
        kind=record.kind,
        expected_total=record.expected_total,
        user=user,
        preview=record,
    )
    if not report.applied:
        # Either rejected, or the database already matched the file.
        record.status = RosterImport.Status.APPLIED if report.ok else RosterImport.Status.REJECTED
        record.applied_at = timezone.now() if report.ok else None
        record.report = report.to_json()
        record.save(update_fields=["status", "report", "applied_at"])
    return report


def _plan_municipality(
    outcome: RowOutcome, municipality: Municipality | None, gov: LocalGovernment, *, apply: bool
) -> Municipality | None:
    """Add the municipality or bring its names up to date (written when ``apply``)."""
    if municipality is None:
        outcome.status = "added"
        if apply:
            municipality = Municipality.objects.create(
                code=gov.code, prefecture=gov.prefecture, name=gov.name, name_kana=gov.name_kana
            )
        return municipality
    for attr in ("prefecture", "name", "name_kana"):
        old, new = getattr(municipality, attr), getattr(gov, attr)
        if old != new:
            outcome.changes.append(f"{attr}: {old} → {new}")
            setattr(municipality, attr, new)
    if outcome.changes:
        outcome.status = "updated"
        if apply:
            municipality.save()
    return municipality


def _plan_participation(
    outcome: RowOutcome,
    participation: ProgramParticipation | None,
    municipality: Municipality | None,
    fiscal_year: int,
    row_kind: str,
    *,
    record: RosterImport | None,
) -> None:
    """Record the year's participation or change its kind (written when ``record``)."""
    kind_label = ParticipationKind(row_kind).label
    if participation is None:
        if outcome.status != "added":
            outcome.status = "updated"
            outcome.changes.append(_("participation added: %(kind)s") % {"kind": kind_label})
        if record is not None:
            ProgramParticipation.objects.create(
                municipality=municipality,
                fiscal_year=fiscal_year,
                kind=row_kind,
                roster_import=record,
            )
    elif participation.kind != row_kind:
        outcome.status = "updated" if outcome.status == "unchanged" else outcome.status
        outcome.changes.append(
            _("kind: %(old)s → %(new)s")
            % {"old": participation.get_kind_display(), "new": kind_label}
        )
        if record is not None:
            participation.kind = row_kind
            participation.roster_import = record
            participation.save(update_fields=["kind", "roster_import", "updated_at"])


def _plan_and_apply(
    report: RosterReport,
    resolved: dict[str, tuple[RosterRow, LocalGovernment, str]],
    fiscal_year: int,
    *,
    record: RosterImport | None,
) -> None:
    """Work out each row's outcome; write it too when ``record`` (the import) is given."""
    apply = record is not None
    # One query for the municipalities, one for this year's participation.
    municipalities = Municipality.objects.filter(code__in=list(resolved))
    if apply:
        municipalities = municipalities.select_for_update()
    existing = {m.code: m for m in municipalities}
    participations = {
        p.municipality.code: p
        for p in ProgramParticipation.objects.select_related("municipality").filter(
            fiscal_year=fiscal_year
        )
    }
    for code, (row, gov, row_kind) in resolved.items():
        outcome = RowOutcome(
            line=row.line, status="unchanged", code=code, prefecture=gov.prefecture, name=gov.name
        )
        municipality = _plan_municipality(outcome, existing.get(code), gov, apply=apply)
        _plan_participation(
            outcome,
            participations.pop(code, None),
            municipality,
            fiscal_year,
            row_kind,
            record=record,
        )
        report.rows.append(outcome)
    # Listed for this year before, not any more.
    for code, participation in participations.items():
        report.rows.append(
            RowOutcome(
                line=0,
                status="removed",
                code=code,
                prefecture=participation.municipality.prefecture,
                name=participation.municipality.name,
                changes=[_("no longer listed for this fiscal year")],
            )
        )
        if apply:
            participation.delete()
    report.applied = apply
