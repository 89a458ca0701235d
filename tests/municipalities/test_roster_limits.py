"""A roster file is bounded before it is read whole: rows, columns, filled cells, the
length of a cell and of a line, JSON nesting, and for .xlsx the unpacked size of its
parts and the XML in them. A file past a limit is refused with a message and changes
nothing; what is kept of an upload is its rows and hash, never its bytes."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl.worksheet._reader import WorkSheetParser

from municipalities import roster_files
from municipalities.models import Municipality, RosterImport
from tests.municipalities.test_admin import confirm, upload
from tests.municipalities.test_roster import load, snapshot

pytestmark = pytest.mark.django_db

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOCUMENT_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def xlsx(sheet_data: str, shared_strings: str | None = None, *, prolog: str = "") -> bytes:
    """A minimal workbook written part by part, so that a test can make any part as
    large, as wide or as compressible as it needs without openpyxl building it."""
    overrides = f'<Override PartName="/xl/workbook.xml" ContentType="{SHEET_TYPE}.sheet.main+xml"/>'
    overrides += (
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{SHEET_TYPE}.worksheet+xml"/>'
    )
    relations = (
        f'<Relationship Id="rId1" Type="{DOCUMENT_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    )
    if shared_strings is not None:
        overrides += (
            f'<Override PartName="/xl/sharedStrings.xml" '
            f'ContentType="{SHEET_TYPE}.sharedStrings+xml"/>'
        )
        relations += (
            f'<Relationship Id="rId2" Type="{DOCUMENT_RELS}/sharedStrings" '
            f'Target="sharedStrings.xml"/>'
        )
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>{overrides}</Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{PACKAGE_RELS}"><Relationship Id="rId1" '
            f'Type="{DOCUMENT_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="{DOCUMENT_RELS}"><sheets>'
            '<sheet name="名簿" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{PACKAGE_RELS}">{relations}</Relationships>'
        ),
        "xl/worksheets/sheet1.xml": (
            f'{prolog}<worksheet xmlns="{MAIN}"><sheetData>{sheet_data}</sheetData></worksheet>'
        ),
    }
    if shared_strings is not None:
        parts["xl/sharedStrings.xml"] = f'<sst xmlns="{MAIN}">{shared_strings}</sst>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def text_cell(value: str) -> str:
    return f'<c t="inlineStr"><is><t>{value}</t></is></c>'


def xlsx_rows(rows: list[list[str]]) -> bytes:
    return xlsx("".join("<row>" + "".join(map(text_cell, r)) + "</row>" for r in rows))


def csv_file(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def json_file(rows: list[list[str]]) -> bytes:
    """Objects keyed by the header; values past it get keys of their own."""
    header, *data = rows
    keys = [*header, *(f"column{i}" for i in range(len(header), max(map(len, data))))]
    return json.dumps([dict(zip(keys, r, strict=False)) for r in data]).encode()


FORMATS = {"roster.csv": csv_file, "roster.json": json_file, "roster.xlsx": xlsx_rows}


def refused(content: bytes, name: str, message: str) -> None:
    """The load is refused with ``message`` and nothing is written."""
    before = snapshot()
    report = load(content, name)
    assert not report.applied
    assert any(message in e for e in report.errors), report.errors
    assert snapshot() == before


@pytest.fixture
def rows_never_built(monkeypatch):
    """Fails the test if openpyxl builds a row of the sheet."""

    def parse_row(self, row):
        raise AssertionError("openpyxl built a row")

    monkeypatch.setattr(WorkSheetParser, "parse_row", parse_row)


# --- .xlsx: the parts and their XML, before openpyxl ----------------------------------


def test_xlsx_row_of_200000_columns_is_refused_before_the_row_is_built(rows_never_built):
    wide = "".join(f"<c><v>{i}</v></c>" for i in range(200_000))
    content = xlsx(f"<row>{text_cell('code')}{wide}</row><row>{text_cell('272035')}</row>")
    started = time.perf_counter()
    refused(
        content,
        "roster.xlsx",
        "1 行目の列数が上限（50 列）を超えています（xl/worksheets/sheet1.xml）",
    )
    assert time.perf_counter() - started < 2


def test_xlsx_whose_shared_strings_unpack_past_the_limit_is_refused_unread(monkeypatch):
    def read_string_table(source):
        raise AssertionError("the shared strings were read")

    monkeypatch.setattr("openpyxl.reader.excel.read_string_table", read_string_table)
    # Varied strings: compressed about ten times, so the size is what refuses it.
    strings = "".join(f"<si><t>{i:x}{i * 7919 % 1000003}</t></si>" for i in range(200_000))
    content = xlsx('<row><c t="s"><v>0</v></c></row>', shared_strings=strings)
    assert len(strings) > roster_files.XLSX_MAX_PART_BYTES
    assert len(content) < 2 * 1024 * 1024  # within the upload limit
    refused(content, "roster.xlsx", "xl/sharedStrings.xml は展開すると上限（4 MB）を超えます")


def test_xlsx_part_compressed_like_a_zip_bomb_is_refused(rows_never_built):
    strings = "<si><t>" + "東京都" * 400_000 + "</t></si>"  # 3.6 MB: within the size limit
    content = xlsx('<row><c t="s"><v>0</v></c></row>', shared_strings=strings)
    refused(content, "roster.xlsx", "xl/sharedStrings.xml は 100 倍を超えて圧縮されています")


def test_xlsx_with_too_many_xml_elements_is_refused(monkeypatch, rows_never_built):
    monkeypatch.setattr(roster_files, "XLSX_MAX_ELEMENTS", 1000)
    rows = "".join(f"<row>{text_cell(str(i))}</row>" for i in range(400))
    refused(xlsx(rows), "roster.xlsx", "XML 要素の数が上限（1000 個）を超えています")


def test_xlsx_declaring_a_document_type_is_refused(rows_never_built):
    bomb = '<!DOCTYPE worksheet [<!ENTITY a "272035">]>'
    content = xlsx(f"<row>{text_cell('code')}</row><row>{text_cell('&a;')}</row>", prolog=bomb)
    refused(content, "roster.xlsx", "文書型宣言（DOCTYPE）があります")


def test_xlsx_sheet_wider_than_its_values_is_read():
    """Empty cells past the column limit (formatting) are not values: the file loads."""
    empty = "".join(f'<c r="{chr(65 + i // 26)}{chr(65 + i % 26)}2" s="1"/>' for i in range(60))
    content = xlsx(f"<row>{text_cell('code')}</row><row>{text_cell('272035')}{empty}</row>")
    assert load(content, "roster.xlsx").applied


# --- every format: rows, columns, cells, length ------------------------------------


@pytest.mark.parametrize("name", FORMATS)
def test_too_many_filled_cells_are_refused(name):
    header = ["code", *(f"note{i}" for i in range(10))]
    rows = [header, *([str(r), *(str(r * 11 + c) for c in range(10))] for r in range(5000))]
    refused(FORMATS[name](rows), name, "値の入ったセルの数が上限（50000 個）を超えています")


@pytest.mark.parametrize("name", FORMATS)
def test_a_row_past_the_column_limit_is_refused(name):
    rows = [["code", "note"], ["272035", *([""] * 49), "x"]]
    refused(FORMATS[name](rows), name, "2 行目の列数が上限（50 列）を超えています")


@pytest.mark.parametrize("name", FORMATS)
def test_an_overlong_cell_is_refused_even_in_a_column_not_read(name):
    rows = [["code", "note"], ["272035", "あ" * 1001]]
    refused(FORMATS[name](rows), name, "2 行目に上限（1000 文字）を超える長さの値があります")


def test_csv_line_past_the_limit_is_refused():
    content = b"code\n272035" + b"," * 60_000 + b"\n"
    refused(content, "roster.csv", "2 行目の長さが上限（50150 文字）を超えています")


@pytest.mark.parametrize(
    "content",
    [
        b"[" * 100_000 + b"]" * 100_000,
        json.dumps([{"code": "272035", "note": {"inner": "x"}}]).encode(),
        json.dumps([{"code": "272035", "notes": ["x"] * 10}]).encode(),
    ],
    ids=["deep-lists", "nested-object", "nested-list"],
)
def test_json_that_is_not_a_flat_list_of_objects_is_refused(content):
    refused(content, "roster.json", "値が文字列か数値のオブジェクトの配列である必要があります")


def test_json_number_of_thousands_of_digits_is_refused_as_overlong():
    refused(b'[{"code": ' + b"1" * 5000 + b"}]", "roster.json", "上限（1000 文字）")


def test_command_refuses_a_file_past_the_size_limit_without_reading_it(tmp_path, settings):
    settings.ROSTER_UPLOAD_MAX_BYTES = 100
    path = tmp_path / "roster.csv"
    path.write_bytes(b"code\n" + b"272035\n" * 1000)
    out = io.StringIO()
    with pytest.raises(CommandError, match="rejected"):
        call_command("load_roster", str(path), "--fiscal-year", "2022", stdout=out)
    assert "上限は 100 バイトです" in out.getvalue()
    assert snapshot() == ([], [], 0)


# --- what is kept -----------------------------------------------------------------


def test_applied_load_keeps_the_rows_and_hash_not_the_file():
    content = "団体コード,市区町村名\n272035,豊中市\n".encode()
    assert load(content).applied
    record = RosterImport.objects.get()
    assert "content" not in {f.name for f in RosterImport._meta.get_fields()}
    assert record.file_sha256 == hashlib.sha256(content).hexdigest()
    assert record.rows == [
        {
            "line": 2,
            "code": "272035",
            "prefecture": "",
            "name": "豊中市",
            "name_kana": "",
            "kind": "",
        }
    ]


@pytest.fixture
def sysadmin(client, personas):
    client.force_login(personas.system_admin)
    return client


def test_admin_upload_past_a_limit_is_refused_on_the_form_and_nothing_is_kept(sysadmin):
    response = upload(sysadmin, b"code,name\n272035,\xe8\xb1\x8a\n" + b"x" * 60_000 + b"\n")
    assert response.status_code == 200
    assert "3 行目の長さが上限" in response.content.decode()
    assert not RosterImport.objects.exists()


def test_admin_confirm_applies_the_previewed_rows(sysadmin):
    content = "code,name\n272035,豊中市\n131121,世田谷区\n".encode("cp932")
    response = upload(sysadmin, content, "名簿.csv")
    assert response.status_code == 302
    record = RosterImport.objects.get()
    assert [row["name"] for row in record.rows] == ["豊中市", "世田谷区"]
    assert record.file_sha256 == hashlib.sha256(content).hexdigest()

    applied = confirm(sysadmin, record)
    assert "名簿を反映しました" in applied.content.decode()
    record.refresh_from_db()
    assert record.status == RosterImport.Status.APPLIED
    assert set(Municipality.objects.values_list("name", flat=True)) >= {"豊中市", "世田谷区"}
    assert RosterImport.objects.count() == 1


def test_admin_confirm_naming_another_file_changes_nothing(sysadmin):
    response = upload(sysadmin, b"code\n272035\n")
    assert response.status_code == 302
    record = RosterImport.objects.get()
    before = snapshot()
    page = confirm(sysadmin, record, file_sha256=hashlib.sha256(b"another file").hexdigest())
    assert "一致しません" in page.content.decode()
    record.refresh_from_db()
    assert record.status == RosterImport.Status.PREVIEWED
    assert snapshot() == before
