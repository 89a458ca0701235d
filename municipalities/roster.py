"""Reading and loading a roster of implementing municipalities for one fiscal year.

A roster file lists municipalities by code, by name, or both (optionally with the
prefecture). Each row is resolved against the national code table shipped with the
app. The load is all or nothing: if any row is rejected, or the count differs from
the expected total, nothing is written. Loading the same file twice changes nothing.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
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

MAX_ROWS = 5000

# Column names accepted in a header row (compared after NFKC, lower case, no spaces).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "code": (
        "code",
        "団体コード",
        "全国地方公共団体コード",
        "地方公共団体コード",
        "市区町村コード",
    ),
    "prefecture": ("prefecture", "都道府県", "都道府県名"),
    "name": ("name", "市区町村", "市区町村名", "団体名", "自治体名", "自治体"),
    "name_kana": ("name_kana", "kana", "ふりがな", "フリガナ", "市区町村名カナ", "よみ"),
    "kind": ("kind", "区分", "実施区分"),
}

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


class RosterFileError(Exception):
    """The file as a whole cannot be read (encoding, format, missing columns)."""


@dataclass
class RosterRow:
    line: int
    code: str = ""
    prefecture: str = ""
    name: str = ""
    name_kana: str = ""
    kind: str = ""


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


# --- Reading ----------------------------------------------------------------------


# C1 controls and the private-use area: what cp932 makes of bytes that are not text.
NOT_SHIFT_JIS = re.compile("[\x80-\x9f\ue000-\uf8ff]")


def _decode(content: bytes) -> str:
    """UTF-8 (with or without BOM) or Shift_JIS (as Excel on Windows writes it)."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = content.decode("cp932")
    except UnicodeDecodeError as exc:
        raise RosterFileError(
            _("The file is neither UTF-8 nor Shift_JIS text (byte %(pos)d).") % {"pos": exc.start}
        ) from exc
    # Python's cp932 maps bytes that Shift_JIS text never contains (0x80, 0xA0, 0xFD-0xFF)
    # to C1 controls and private-use characters: such a file is something else.
    stray = NOT_SHIFT_JIS.search(text)
    if stray:
        raise RosterFileError(
            _("The file is neither UTF-8 nor Shift_JIS text (character %(pos)d).")
            % {"pos": stray.start() + 1}
        )
    return text


UPLOAD_EXTENSIONS = (".csv", ".tsv", ".txt", ".xlsx", ".json")
# Leading bytes of formats that are not roster text (checked for text extensions).
BINARY_SIGNATURES = (
    b"PK\x03\x04",  # zip: xlsx, docx …
    b"%PDF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",  # JPEG
    b"MZ",  # Windows program
    b"\x7fELF",  # program
)
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0"  # old Office files (.xls, .doc)


def roster_check_upload(content: bytes, file_name: str) -> None:
    """Refuse an uploaded file whose name or content is not one of the roster formats,
    with a message saying why, before it is parsed or kept."""
    extension = "." + file_name.lower().rsplit(".", 1)[-1] if "." in file_name else ""
    if extension == ".xls" or content.startswith(OLE_SIGNATURE):
        raise RosterFileError(
            _("Old Excel files (.xls) cannot be read: save the file as .xlsx or CSV.")
        )
    if extension not in UPLOAD_EXTENSIONS:
        raise RosterFileError(
            _("Only CSV, TSV, Excel (.xlsx) and JSON files can be uploaded (.csv, .tsv, "
              ".txt, .xlsx, .json).")
        )  # fmt: skip
    if extension == ".xlsx":
        if not content.startswith(b"PK\x03\x04"):
            raise RosterFileError(_("The file is named .xlsx but is not an Excel file."))
        return
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise RosterFileError(
            _("UTF-16 text cannot be read: save the file as CSV in UTF-8 or Shift_JIS.")
        )
    if content.startswith(BINARY_SIGNATURES) or b"\x00" in content:
        raise RosterFileError(
            _("The file is not text: a %(extension)s file must be CSV, TSV or JSON text.")
            % {"extension": extension}
        )
    _decode(content)


def _header_key(cell: Any) -> str | None:
    text = normalize_name(str(cell or "")).lower()
    for key, aliases in COLUMN_ALIASES.items():
        if text in {normalize_name(a).lower() for a in aliases}:
            return key
    return None


def _rows_from_table(table: list[list[Any]]) -> list[RosterRow]:
    if not table:
        raise RosterFileError(_("The file is empty."))
    header = [_header_key(c) for c in table[0]]
    if "code" not in header and "name" not in header:
        raise RosterFileError(
            _("The first row must name the columns; a code or name column is required.")
        )
    if len(table) - 1 > MAX_ROWS:
        raise RosterFileError(_("The file has more than %(max)d rows.") % {"max": MAX_ROWS})
    rows = []
    for index, cells in enumerate(table[1:], start=2):
        values = {
            key: unicodedata.normalize("NFKC", str(cell if cell is not None else "")).strip()
            for key, cell in zip(header, cells, strict=False)
            if key
        }
        if not any(values.values()):
            continue
        for key, value in values.items():
            if any(unicodedata.category(ch) == "Cc" for ch in value):
                raise RosterFileError(
                    _("Line %(line)d contains control characters.") % {"line": index}
                )
            if len(value) > 100:
                raise RosterFileError(
                    _("Line %(line)d: the %(column)s value is too long.")
                    % {"line": index, "column": key}
                )
        rows.append(RosterRow(line=index, **values))
    if not rows:
        raise RosterFileError(_("The file has no data rows."))
    return rows


def roster_parse(content: bytes, file_name: str) -> list[RosterRow]:
    """Rows of a CSV/TSV (UTF-8 or Shift_JIS), Excel (.xlsx) or JSON roster file."""
    lower = file_name.lower()
    if lower.endswith(".xlsx"):
        return _rows_from_table(_read_xlsx(content))
    text = _decode(content)
    if lower.endswith(".json"):
        return _rows_from_table(_read_json(text))
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        table = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise RosterFileError(_("The CSV file is malformed: %(error)s") % {"error": exc}) from exc
    return _rows_from_table(table)


def _read_xlsx(content: bytes) -> list[list[Any]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise RosterFileError(_("The Excel file cannot be read.")) from exc
    sheet = workbook.worksheets[0]
    table = [list(row) for row in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 2)]
    workbook.close()
    return table


def _read_json(text: str) -> list[list[Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RosterFileError(_("The JSON file is malformed: %(error)s") % {"error": exc}) from exc
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise RosterFileError(_("A JSON roster must be a list of objects."))
    keys = list(COLUMN_ALIASES)
    return [keys] + [[item.get(k, "") for k in keys] for item in data]


# --- Resolving --------------------------------------------------------------------


def _resolve(row: RosterRow) -> LocalGovernment | str:
    """The row's municipality, or the reason it is rejected."""
    table = code_table()
    prefecture = normalize_name(row.prefecture)
    if prefecture and prefecture not in PREFECTURES:
        return _("unknown prefecture %(prefecture)s") % {"prefecture": row.prefecture}
    if row.code:
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
        gov = table.by_code.get(code)
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
    if not row.name:
        return _("neither a code nor a name is given")
    matches = table.lookup_name(row.name, prefecture or None)
    if len(matches) == 1:
        return matches[0]
    if not matches:
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
    return _(
        "%(name)s exists in several prefectures (%(found)s): give the prefecture or the code"
    ) % {"name": row.name, "found": "、".join(g.prefecture for g in matches)}


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
    preview: RosterImport | None = None,
) -> RosterReport:
    """Check a roster file and, unless ``dry_run`` or anything is wrong, apply it.

    Applying adds missing municipalities, updates changed names, records each one's
    participation for ``fiscal_year``, and removes that year's participation of
    municipalities no longer listed. It is one transaction: all or nothing.
    An applied load is kept as a ``RosterImport``; ``preview`` is the record of an
    earlier dry run of the same file (the admin's upload step), which then becomes it.
    """
    report = RosterReport(
        fiscal_year=fiscal_year, file_name=file_name, expected_total=expected_total
    )
    if not 1999 <= fiscal_year <= 2100:
        report.errors.append(_("The fiscal year %(year)d is out of range.") % {"year": fiscal_year})
        return report
    try:
        rows = roster_parse(content, file_name)
    except RosterFileError as exc:
        report.errors.append(str(exc))
        return report

    resolved: dict[str, tuple[RosterRow, LocalGovernment, str]] = {}
    for row in rows:
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
                    file_name=file_name[:255],
                    file_sha256=hashlib.sha256(content).hexdigest(),
                    content=content,
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
        municipality = existing.get(code)
        if municipality is None:
            outcome.status = "added"
            if apply:
                municipality = Municipality.objects.create(
                    code=code, prefecture=gov.prefecture, name=gov.name, name_kana=gov.name_kana
                )
        else:
            for attr in ("prefecture", "name", "name_kana"):
                old, new = getattr(municipality, attr), getattr(gov, attr)
                if old != new:
                    outcome.changes.append(f"{attr}: {old} → {new}")
                    setattr(municipality, attr, new)
            if outcome.changes:
                outcome.status = "updated"
                if apply:
                    municipality.save()
        participation = participations.pop(code, None)
        kind_label = ParticipationKind(row_kind).label
        if participation is None:
            if outcome.status != "added":
                outcome.status = "updated"
                outcome.changes.append(_("participation added: %(kind)s") % {"kind": kind_label})
            if apply:
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
            if apply:
                participation.kind = row_kind
                participation.roster_import = record
                participation.save(update_fields=["kind", "roster_import", "updated_at"])
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
