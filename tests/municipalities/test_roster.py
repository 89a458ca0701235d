"""The roster loader: good path, every rejection (database unchanged), idempotence,
encodings and formats."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from municipalities.models import (
    Municipality,
    ParticipationKind,
    ProgramParticipation,
    RosterImport,
)
from municipalities.roster import roster_import
from tests.conftest import ROSTER_FY2022

pytestmark = pytest.mark.django_db


def snapshot() -> tuple:
    """Everything a roster load may change."""
    return (
        sorted(Municipality.objects.values_list("code", "prefecture", "name", "name_kana")),
        sorted(
            ProgramParticipation.objects.values_list("municipality__code", "fiscal_year", "kind")
        ),
        RosterImport.objects.count(),
    )


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode(encoding)


def load(content: bytes, name: str = "roster.csv", **kwargs):
    kwargs.setdefault("fiscal_year", 2022)
    return roster_import(content=content, file_name=name, **kwargs)


def test_fy2022_fixture_loads_every_municipality_with_its_real_prefecture():
    report = load(ROSTER_FY2022.read_bytes(), ROSTER_FY2022.name, expected_total=133)
    assert report.ok
    assert report.applied
    assert report.counts["added"] == 133
    assert Municipality.objects.count() == 133
    assert (
        ProgramParticipation.objects.filter(
            fiscal_year=2022, kind=ParticipationKind.IMPLEMENTATION
        ).count()
        == 133
    )
    # Entries the damaged table put under the wrong heading.
    assert Municipality.objects.get(name="広尾町").prefecture == "北海道"
    assert Municipality.objects.get(name="岩泉町").prefecture == "岩手県"
    assert Municipality.objects.get(name="豊中市").prefecture == "大阪府"
    # The OCR error and the ambiguous names.
    assert Municipality.objects.get(code="023213").name == "鰺ヶ沢町"
    assert Municipality.objects.get(name="太子町").prefecture == "大阪府"
    assert Municipality.objects.get(name="美郷町").prefecture == "島根県"
    assert Municipality.objects.get(name="川上村").prefecture == "奈良県"
    assert Municipality.objects.get(code="131121").name_kana == "セタガヤク"
    record = RosterImport.objects.get()
    assert record.status == RosterImport.Status.APPLIED
    assert record.report["counts"]["added"] == 133


def test_the_heading_count_of_134_is_reported_not_silently_accepted():
    report = load(ROSTER_FY2022.read_bytes(), ROSTER_FY2022.name, expected_total=134)
    assert not report.ok
    assert not report.applied
    assert report.errors == ["ファイルに記載された自治体は 133 件ですが、想定は 134 件です。"]
    assert snapshot() == ([], [], 0)


def test_loading_twice_changes_nothing(fy2022_roster):
    before = snapshot()
    report = load(ROSTER_FY2022.read_bytes(), ROSTER_FY2022.name)
    assert report.ok
    assert not report.applied
    assert report.counts == {
        "added": 0,
        "updated": 0,
        "unchanged": 133,
        "removed": 0,
        "rejected": 0,
    }
    assert snapshot() == before


def test_a_later_fiscal_year_adds_history_instead_of_overwriting(fy2022_roster):
    rows = [["code", "name"], ["272035", "豊中市"], ["162019", "富山市"]]
    report = load(csv_bytes(rows), fiscal_year=2023, kind=ParticipationKind.TRANSITION)
    assert report.applied
    assert report.counts["updated"] == 2  # existing municipalities, new participation
    toyonaka = Municipality.objects.get(code="272035")
    assert sorted(toyonaka.participations.values_list("fiscal_year", "kind")) == [
        (2022, "implementation"),
        (2023, "transition"),
    ]
    assert ProgramParticipation.objects.filter(fiscal_year=2022).count() == 133


def test_a_corrected_roster_for_the_same_year_removes_and_changes_kinds():
    load(csv_bytes([["code"], ["272035"], ["162019"]]))
    report = load(csv_bytes([["code", "kind"], ["272035", "移行準備事業"]]))
    assert report.applied
    assert report.counts == {"added": 0, "updated": 1, "unchanged": 0, "removed": 1, "rejected": 0}
    assert list(ProgramParticipation.objects.values_list("municipality__code", "kind")) == [
        ("272035", "transition")
    ]
    # The municipality itself stays: other years may refer to it.
    assert Municipality.objects.filter(code="162019").exists()


def test_names_and_prefectures_are_resolved_to_codes():
    rows = [["都道府県", "市区町村名"], ["兵庫県", "太子町"], ["", "鎌倉市"], ["", "ｾﾀｶﾞﾔｸ"]]
    report = load(csv_bytes(rows[:3]))
    assert report.applied
    assert set(Municipality.objects.values_list("code", flat=True)) == {"284645", "142042"}


def test_five_digit_codes_and_full_width_digits_are_accepted():
    report = load(csv_bytes([["団体コード"], ["27203"], ["１３１１２"]]))
    assert report.applied
    assert set(Municipality.objects.values_list("code", flat=True)) == {"272035", "131121"}


REJECTIONS = [
    pytest.param(
        [["code", "name"], ["272036", "豊中市"]], "検査数字が正しくありません", id="bad-check-digit"
    ),
    pytest.param([["name"], ["豊中町"]], "自治体名 豊中町 が見つかりません", id="unknown-name"),
    pytest.param([["name"], ["鱒ヶ沢町"]], "もしかして：青森県鰺ヶ沢町", id="ocr-misspelling"),
    pytest.param([["name"], ["太子町"]], "複数の都道府県（大阪府、兵庫県）", id="ambiguous-name"),
    pytest.param(
        [["name"], ["美郷町"]], "複数の都道府県（秋田県、島根県、宮崎県）", id="ambiguous-three"
    ),
    pytest.param(
        [["prefecture", "name"], ["青森県", "広尾町"]],
        "広尾町 は 青森県 にありません（北海道 にあります）",
        id="wrong-prefecture",
    ),
    pytest.param(
        [["code", "name"], ["272035", "豊中市"], ["27203", ""]],
        "2 行目と重複しています",
        id="duplicate-by-code",
    ),
    pytest.param(
        [["name"], ["玉村町"], ["玉村町"]], "2 行目と重複しています", id="duplicate-by-name"
    ),
    pytest.param(
        [["code", "name"], ["272035", "松江市"]],
        "松江市 ではなく 大阪府豊中市 のコード",
        id="code-name-mismatch",
    ),
    pytest.param([["code"], ["999997"]], "該当する自治体がありません", id="unknown-code"),
    pytest.param([["code"], ["12-345"]], "6桁ではありません", id="malformed-code"),
    pytest.param(
        [["prefecture", "name"], ["大坂府", "豊中市"]],
        "都道府県 大坂府 が見つかりません",
        id="bad-pref",
    ),
    pytest.param([["name", "kind"], ["豊中市", "本格的"]], "区分 本格的 が不明です", id="bad-kind"),
]


@pytest.mark.parametrize(("rows", "reason"), REJECTIONS)
def test_each_rejection_is_reported_and_changes_nothing(fy2022_roster, rows, reason):
    before = snapshot()
    # A good row besides the bad one: all or nothing means it is not applied either.
    report = load(
        csv_bytes([*rows, ["042030", ""] if rows[0][0] == "code" else ["仙台市"]]), fiscal_year=2022
    )
    assert not report.ok
    assert not report.applied
    rejected = [r for r in report.rows if r.status == "rejected"]
    assert rejected, report.as_text()
    assert reason in rejected[0].reason, report.as_text()
    assert snapshot() == before


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "ファイルが空です"),
        (b"code,name\n", "header-only.csv", "データ行がありません"),
        (b"foo,bar\n1,2\n", "no-columns.csv", "団体コードまたは名称の列が必要です"),
        (b"\xff\xfe\x00\x81\x00", "binary.csv", "UTF-8 または Shift_JIS のテキストではありません"),
        (b"code,name\n272035,\x07\n", "control.csv", "2 行目に制御文字"),
        (b"not a zip", "roster.xlsx", "Excel ファイルを読み込めません"),
        (b'{"code": 1}', "roster.json", "オブジェクトの配列"),
        (b"[{", "roster.json", "形式が正しくありません"),
        (("name\n" + "x" * 500 + "\n").encode(), "long.csv", "長すぎます"),
    ],
)
def test_unreadable_files_are_rejected_with_a_message(fy2022_roster, content, name, message):
    before = snapshot()
    report = load(content, name)
    assert not report.ok
    assert not report.applied
    assert any(message in e for e in report.errors), report.errors
    assert snapshot() == before


def test_out_of_range_fiscal_year_is_rejected():
    report = load(csv_bytes([["code"], ["272035"]]), fiscal_year=1900)
    assert not report.ok
    assert snapshot() == ([], [], 0)


def test_shift_jis_csv_as_excel_writes_it():
    rows = [
        ["都道府県", "市区町村名"],
        ["大阪府", "豊中市"],
        ["青森県", "鰺ヶ沢町"],
        ["東京都", "墨田区"],
    ]
    content = csv_bytes(rows, encoding="cp932")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    report = load(content)
    assert report.applied, report.as_text()
    assert set(Municipality.objects.values_list("name", flat=True)) == {
        "豊中市",
        "鰺ヶ沢町",
        "墨田区",
    }


def test_utf8_with_bom_and_crlf():
    content = "\ufeffcode,name\r\n272035,豊中市\r\n".encode()
    assert load(content).applied
    assert Municipality.objects.get().name == "豊中市"


def test_tab_separated_file():
    assert load("団体コード\t団体名\n272035\t豊中市\n".encode(), "roster.tsv").applied


def test_excel_file():
    wb = Workbook()
    ws = wb.active
    ws.append(["全国地方公共団体コード", "都道府県名", "市区町村名"])
    ws.append(["272035", "大阪府", "豊中市"])
    ws.append([131121, "東京都", "世田谷区"])  # Excel often stores codes as numbers
    buf = io.BytesIO()
    wb.save(buf)
    report = load(buf.getvalue(), "roster.xlsx")
    assert report.applied, report.as_text()
    assert Municipality.objects.count() == 2


def test_json_file():
    content = json.dumps([{"code": "272035"}, {"name": "鎌倉市"}], ensure_ascii=False).encode()
    assert load(content, "roster.json").applied
    assert Municipality.objects.count() == 2


def test_dry_run_reports_without_writing():
    report = load(ROSTER_FY2022.read_bytes(), dry_run=True)
    assert report.ok
    assert not report.applied
    assert report.counts["added"] == 133
    assert snapshot() == ([], [], 0)


def test_command_loads_and_prints_the_report(capsys):
    call_command(
        "load_roster", str(ROSTER_FY2022), "--fiscal-year", "2022", "--expected-total", "133"
    )
    out = capsys.readouterr().out
    assert "133" in out
    assert Municipality.objects.count() == 133


def test_command_exits_non_zero_on_a_bad_file(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([["name"], ["豊中市"], ["太子町"]]))
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("load_roster", str(bad), "--fiscal-year", "2022")
    assert snapshot() == ([], [], 0)


def test_command_on_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("load_roster", str(tmp_path / "nope.csv"), "--fiscal-year", "2022")
