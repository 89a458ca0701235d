"""Reading a roster file: CSV (UTF-8 with or without BOM, or Shift_JIS), TSV, Excel
``.xlsx`` or JSON, into rows of code, prefecture, name, kana and kind. Nothing here
knows the code table; ``municipalities.roster`` resolves and loads the rows."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from municipalities.codes import normalize_name

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
