"""Reading a roster file: CSV (UTF-8 with or without BOM, or Shift_JIS), TSV, Excel
``.xlsx`` or JSON, into rows of code, prefecture, name, kana and kind. Nothing here
knows the code table; ``municipalities.roster`` resolves and loads the rows.

A file is bounded before it is read whole: its size, then the rows, columns, filled
cells and length of a cell as they are read, and for ``.xlsx`` the unpacked size of
every part and the XML in it before openpyxl opens the file. A file past a limit is
refused with a ``RosterFileError`` that says which.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any
from xml.parsers import expat

from django.conf import settings
from django.utils.translation import gettext as _

from municipalities.codes import normalize_name

# A roster lists at most Japan's 1,741 municipalities (about 1,800 with the prefectures)
# in a handful of columns: code, prefecture, name, kana, kind. The limits leave room for
# blank lines, notes and the other columns of a published table, and refuse anything
# that cannot be a roster before it costs time or memory.
MAX_ROWS = 5000
# Six columns matter; a ministry's table carries a dozen or two more (population, notes…).
MAX_COLUMNS = 50
# Filled cells: the whole country in a dozen filled columns is about 21,000.
MAX_CELLS = 50_000
# A name is at most a dozen characters; a note column may hold a few sentences.
MAX_CELL_CHARS = 1000
# A CSV line with every column at its longest, quoted, with its separator: longer lines
# are refused before the csv module splits them. (csv.field_size_limit is the whole
# process's setting, so it is left alone; a longer quoted field spanning several lines
# is refused by the cell length.)
MAX_LINE_CHARS = MAX_COLUMNS * (MAX_CELL_CHARS + 3)

# .xlsx: a zip of XML parts. The declared unpacked size of every part is checked before
# anything is unpacked (Python's zipfile never yields more than the declared size: a
# part that unpacks to more fails its CRC). The whole country in fifteen columns, as
# openpyxl writes it, is a 1.8 MB sheet; a part may be twice that. openpyxl reads the
# parts other than sheets (shared strings, styles…) whole, at up to ~30 bytes of memory
# per byte of XML (a crafted styles part), so this also bounds that to ~120 MB.
XLSX_MAX_PART_BYTES = 4 * 1024 * 1024
XLSX_MAX_TOTAL_BYTES = 16 * 1024 * 1024
# XML parts compress 2 to 20 times (the national table's sheet 14); zip bombs 1,000 times.
# Apache POI refuses past 100 too.
XLSX_MAX_RATIO = 100
XLSX_RATIO_FROM_BYTES = 1024 * 1024
# XML elements in all the parts, counted as the XML streams by: the fifteen-column
# national table, as openpyxl writes it, has 80,000; the rest is room for formatting.
XLSX_MAX_ELEMENTS = 200_000
# Cells in one row of any sheet: Excel has 16,384 columns, so no file it writes has more.
# openpyxl builds a row whole before it can be cut to its first columns; this stops an
# 8-million-cell row before it is built.
XLSX_MAX_ROW_CELLS = 16_384
SHEET_ROW = "http://schemas.openxmlformats.org/spreadsheetml/2006/main row"

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


@dataclass(frozen=True)
class RosterFile:
    """A roster file as read: its name, the SHA-256 of its bytes and its rows. The bytes
    themselves are not kept."""

    name: str
    sha256: str
    rows: list[RosterRow]

    def rows_as_json(self) -> list[dict[str, Any]]:
        return [asdict(row) for row in self.rows]

    @classmethod
    def from_json(cls, name: str, sha256: str, rows: list[dict[str, Any]]) -> RosterFile:
        """The file as kept in a ``RosterImport`` (``rows_as_json``)."""
        return cls(name=name, sha256=sha256, rows=[RosterRow(**row) for row in rows])


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


def _is_blank(cell: Any) -> bool:
    return cell is None or cell == ""


def _check_cells(cells: Sequence[Any], line: int, filled: int) -> int:
    """Refuse a row past the column or cell-length limit, or one that brings the file past
    ``MAX_CELLS`` filled cells; the count of filled cells with this row's."""
    if len(cells) > MAX_COLUMNS:
        beyond = cells[MAX_COLUMNS:]
        # Counted in C: an .xlsx row can be thousands of empty cells wide.
        if beyond.count(None) + beyond.count("") != len(beyond):
            raise RosterFileError(
                _("Line %(line)d has more than %(max)d columns.")
                % {"line": line, "max": MAX_COLUMNS}
            )
    for cell in cells[:MAX_COLUMNS]:
        if _is_blank(cell):
            continue
        filled += 1
        if isinstance(cell, str) and len(cell) > MAX_CELL_CHARS:
            raise RosterFileError(
                _("Line %(line)d has a value longer than %(max)d characters.")
                % {"line": line, "max": MAX_CELL_CHARS}
            )
    if filled > MAX_CELLS:
        raise RosterFileError(
            _("The file has more than %(max)d filled cells.") % {"max": MAX_CELLS}
        )
    return filled


def _row_values(header: list[str | None], cells: Sequence[Any], line: int) -> dict[str, str]:
    values = {
        key: unicodedata.normalize("NFKC", str(cell if cell is not None else "")).strip()
        for key, cell in zip(header, cells, strict=False)
        if key
    }
    for key, value in values.items():
        if any(unicodedata.category(ch) == "Cc" for ch in value):
            raise RosterFileError(_("Line %(line)d contains control characters.") % {"line": line})
        if len(value) > 100:
            raise RosterFileError(
                _("Line %(line)d: the %(column)s value is too long.")
                % {"line": line, "column": key}
            )
    return values


def _rows_from_table(table: Iterable[Sequence[Any]]) -> list[RosterRow]:
    """The rows of a table read lazily, each checked against the limits as it comes, so
    that reading stops at the first row past one."""
    lines = iter(table)
    first = next(lines, None)
    if first is None:
        raise RosterFileError(_("The file is empty."))
    filled = _check_cells(first, 1, 0)
    header = [_header_key(c) for c in first[:MAX_COLUMNS]]
    if "code" not in header and "name" not in header:
        raise RosterFileError(
            _("The first row must name the columns; a code or name column is required.")
        )
    rows = []
    for index, cells in enumerate(lines, start=2):
        if index - 1 > MAX_ROWS:
            raise RosterFileError(_("The file has more than %(max)d rows.") % {"max": MAX_ROWS})
        filled = _check_cells(cells, index, filled)
        values = _row_values(header, cells, index)
        if any(values.values()):
            rows.append(RosterRow(line=index, **values))
    if not rows:
        raise RosterFileError(_("The file has no data rows."))
    return rows


def roster_parse(content: bytes, file_name: str) -> list[RosterRow]:
    """Rows of a CSV/TSV (UTF-8 or Shift_JIS), Excel (.xlsx) or JSON roster file."""
    if len(content) > settings.ROSTER_UPLOAD_MAX_BYTES:
        raise RosterFileError(
            _("The file is too large (at most %(max)d bytes).")
            % {"max": settings.ROSTER_UPLOAD_MAX_BYTES}
        )
    lower = file_name.lower()
    if lower.endswith(".xlsx"):
        return _rows_from_table(_read_xlsx(content))
    text = _decode(content)
    if lower.endswith(".json"):
        return _rows_from_table(_read_json(text))
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    return _rows_from_table(_read_delimited(text, delimiter))


def roster_read(content: bytes, file_name: str) -> RosterFile:
    """The file's rows and the SHA-256 of its bytes (``roster_parse``)."""
    return RosterFile(
        name=file_name,
        sha256=hashlib.sha256(content).hexdigest(),
        rows=roster_parse(content, file_name),
    )


# --- CSV and TSV --------------------------------------------------------------------


def _bounded_lines(text: str) -> Iterator[str]:
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if len(line) > MAX_LINE_CHARS:
            raise RosterFileError(
                _("Line %(line)d is longer than %(max)d characters.")
                % {"line": number, "max": MAX_LINE_CHARS}
            )
        yield line


def _read_delimited(text: str, delimiter: str) -> Iterator[list[str]]:
    try:
        yield from csv.reader(_bounded_lines(text), delimiter=delimiter)
    except csv.Error as exc:
        raise RosterFileError(_("The CSV file is malformed: %(error)s") % {"error": exc}) from exc


# --- JSON ---------------------------------------------------------------------------


def _json_not_flat() -> RosterFileError:
    return RosterFileError(
        _("A JSON roster must be a list of objects whose values are text or numbers.")
    )


class _JsonObjects:
    """``object_pairs_hook`` that refuses, while the file is being decoded, an object past
    the row or column limit or one holding another object or a list."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        self.count += 1
        if self.count > MAX_ROWS:
            raise RosterFileError(_("The file has more than %(max)d rows.") % {"max": MAX_ROWS})
        if len(pairs) > MAX_COLUMNS:
            raise RosterFileError(
                _("Line %(line)d has more than %(max)d columns.")
                % {"line": self.count + 1, "max": MAX_COLUMNS}
            )
        if any(isinstance(value, dict | list) for _key, value in pairs):
            raise _json_not_flat()
        return dict(pairs)


def _read_json(text: str) -> list[list[Any]]:
    """The canonical columns first, then the object's other values (checked against the
    limits like any other column, not read)."""
    try:
        # Integers stay text: a code is text, and no long digit string is converted.
        data = json.loads(text, object_pairs_hook=_JsonObjects(), parse_int=str)
    except RecursionError as exc:  # lists within lists, deeper than Python recurses
        raise _json_not_flat() from exc
    except ValueError as exc:
        raise RosterFileError(_("The JSON file is malformed: %(error)s") % {"error": exc}) from exc
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise RosterFileError(_("A JSON roster must be a list of objects."))
    keys = list(COLUMN_ALIASES)
    return [keys] + [
        [item.get(k, "") for k in keys] + [v for k, v in item.items() if k not in keys]
        for item in data
    ]


# --- Excel ----------------------------------------------------------------------------

# What a damaged or hostile zip or workbook raises in zipfile, zlib and openpyxl.
XLSX_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    RuntimeError,  # an encrypted part, an unknown compression method
    AttributeError,  # a chart sheet first
)


def _read_xlsx(content: bytes) -> Iterator[Sequence[Any]]:
    """The first sheet's rows, once the parts' sizes and XML are within the limits. Rows
    are as wide as their last cell (not the sheet's declared dimension)."""
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            _check_xlsx_sizes(archive)
            _check_xlsx_xml(archive)
        workbook = load_workbook(
            io.BytesIO(content), read_only=True, data_only=True, keep_links=False
        )
    except XLSX_ERRORS as exc:
        raise RosterFileError(_("The Excel file cannot be read.")) from exc
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        yield from sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 2)
    except XLSX_ERRORS as exc:
        raise RosterFileError(_("The Excel file cannot be read.")) from exc
    finally:
        workbook.close()


def _check_xlsx_sizes(archive: zipfile.ZipFile) -> None:
    """Refuse a part, or all of them, that would unpack past the limits, from the sizes
    the zip declares (nothing is unpacked)."""
    total = 0
    for info in archive.infolist():
        part = info.filename[:100]
        if info.file_size > XLSX_MAX_PART_BYTES:
            raise RosterFileError(
                _(
                    "%(part)s in the Excel file unpacks to more than %(max)d MB: "
                    "a roster is far smaller."
                )
                % {"part": part, "max": XLSX_MAX_PART_BYTES // 2**20}
            )
        if info.file_size > XLSX_RATIO_FROM_BYTES and info.file_size > XLSX_MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise RosterFileError(
                _(
                    "%(part)s in the Excel file is compressed more than %(max)d times, "
                    "as zip bombs are; it is not read."
                )
                % {"part": part, "max": XLSX_MAX_RATIO}
            )
        total += info.file_size
    if total > XLSX_MAX_TOTAL_BYTES:
        raise RosterFileError(
            _("The Excel file unpacks to more than %(max)d MB: a roster is far smaller.")
            % {"max": XLSX_MAX_TOTAL_BYTES // 2**20}
        )


class _XmlCount:
    """Expat handlers that count one part's elements and each row's cells as the XML
    streams by, building nothing, and stop at a limit."""

    def __init__(self, part: str, elements: int) -> None:
        self.part = part
        self.elements = elements  # in the parts read so far and this one
        self.depth = 0
        self.row_depth = 0  # depth of the row being read, 0 outside rows
        self.rows = 0
        self.row_cells = 0

    def start(self, name: str, attributes: dict[str, str]) -> None:
        self.elements += 1
        self.depth += 1
        if self.elements > XLSX_MAX_ELEMENTS:
            raise RosterFileError(
                _("The Excel file holds more than %(max)d XML elements: a roster has far fewer.")
                % {"max": XLSX_MAX_ELEMENTS}
            )
        if self.row_depth and self.depth == self.row_depth + 1:
            self.row_cells += 1
            if self.row_cells > XLSX_MAX_ROW_CELLS:
                raise RosterFileError(
                    _("Line %(line)d has more than %(max)d columns (%(part)s).")
                    % {"line": self.rows, "max": MAX_COLUMNS, "part": self.part}
                )
        elif name == SHEET_ROW:
            self.row_depth = self.depth
            self.rows += 1
            self.row_cells = 0

    def end(self, name: str) -> None:
        if self.depth == self.row_depth:
            self.row_depth = 0
        self.depth -= 1

    def doctype(self, *args: Any) -> None:
        # Excel never writes one; a document type is how XML entity bombs are declared.
        raise RosterFileError(
            _("%(part)s in the Excel file declares a document type, which Excel never writes.")
            % {"part": self.part}
        )


def _check_xlsx_xml(archive: zipfile.ZipFile) -> None:
    """Stream every part through expat before openpyxl opens the file. A part that is not
    XML (an image) is skipped: openpyxl's parser, expat too, stops where this one does."""
    elements = 0
    for info in archive.infolist():
        count = _XmlCount(info.filename[:100], elements)
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.StartElementHandler = count.start
        parser.EndElementHandler = count.end
        parser.StartDoctypeDeclHandler = count.doctype
        try:
            with archive.open(info) as stream:
                while chunk := stream.read(64 * 1024):
                    parser.Parse(chunk, False)
                parser.Parse(b"", True)
        except expat.ExpatError:
            pass
        elements = count.elements
