"""Spreadsheet exports: CSV (UTF-8 with BOM so Excel opens it) and Excel (.xlsx).

Text cells that a spreadsheet would read as a formula (starting with = + - @, or a tab
or carriage return) are prefixed with an apostrophe (formula injection, CWE-1236)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse
from openpyxl import Workbook

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_response(
    filename: str, sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence]]]
) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for title, header, rows in sheets:
        writer.writerow([neutralise(title)])
        writer.writerow([neutralise(h) for h in header])
        for row in rows:
            writer.writerow([neutralise(v) for v in row])
        writer.writerow([])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(
    filename: str, sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence]]]
) -> HttpResponse:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for index, (title, header, rows) in enumerate(sheets, start=1):
        # Sheet names: at most 31 characters, no []:*?/\
        name = "".join(ch for ch in str(title) if ch not in "[]:*?/\\")[:28] or f"Sheet{index}"
        sheet = workbook.create_sheet(f"{index}_{name}"[:31])
        sheet.append([neutralise(h) for h in header])
        for row in rows:
            sheet.append([neutralise(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
