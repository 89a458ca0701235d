"""The 事業-by-事業 report as an Excel workbook shaped for pasting into the national
survey: one sheet per 事業, headed by the municipality code, name and 令和 year, then the
detailed tables. The file leaves the municipality, so counts of 1–4 are written "<5" as
on the national page."""

from __future__ import annotations

import io

from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from cases.statistics.queries import Period, Table, suppress
from cases.statistics.report import BusinessSection
from municipalities.models import Municipality
from portal.exports import neutralise

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Where the indicator table starts on each sheet (the header rows come first).
TABLE_ROW = 9


def _sheet_name(index: int, label: str) -> str:
    return f"{index}_" + "".join(ch for ch in label if ch not in "[]:*?/\\")[:28]


def survey_workbook(
    municipality: Municipality,
    period: Period,
    sections: list[BusinessSection],
    tables: list[Table] = (),
) -> bytes:
    """The five 事業 sheets first (in the survey's order), then the detailed tables."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for index, section in enumerate(sections, start=1):
        sheet = workbook.create_sheet(_sheet_name(index, section.label))
        sheet.append([neutralise(section.label)])
        sheet["A1"].font = Font(bold=True)
        run_by = section.operation + (f"（{section.contractors}）" if section.contractors else "")
        for label, value in (
            (_("Municipality code"), municipality.code),
            (_("Municipality"), f"{municipality.prefecture}{municipality.name}"),
            (_("Fiscal year"), period.label),
            (_("Period"), f"{period.start:%Y-%m-%d}〜{period.end:%Y-%m-%d}"),
            (_("Run by"), run_by or "—"),
            (_("Note"), section.note),
        ):
            sheet.append([label, neutralise(value)])
        sheet.append([])
        sheet.append(
            [_("Indicator"), _("Actual"), _("Target"), _("Achieved (%)"), _("What is counted")]
        )
        for row in section.rows:
            shown = suppress(row.actual)
            sheet.append(
                [
                    neutralise(row.title),
                    shown,
                    row.target if row.target is not None else "",
                    # A share of a suppressed count would give the count away.
                    row.progress if row.progress is not None and shown == row.actual else "",
                    neutralise(row.definition),
                ]
            )
        sheet.column_dimensions["A"].width = 44
        sheet.column_dimensions["E"].width = 80
    for index, table in enumerate(tables, start=len(sections) + 1):
        sheet = workbook.create_sheet(_sheet_name(index, table.title))
        sheet.append([neutralise(c) for c in table.columns])
        for row in table.rows:
            sheet.append([suppress(v) if isinstance(v, int) else neutralise(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def survey_response(
    municipality: Municipality,
    period: Period,
    sections: list[BusinessSection],
    tables: list[Table] = (),
) -> HttpResponse:
    workbook = survey_workbook(municipality, period, sections, tables)
    response = HttpResponse(workbook, content_type=XLSX)
    name = f"jigyo-report-{municipality.code}-{period.start:%Y%m}-{period.end:%Y%m}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
