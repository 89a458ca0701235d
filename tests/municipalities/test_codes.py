from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from municipalities.codes import (
    check_digit,
    code_table,
    is_valid_code,
    validate_local_government_code,
)
from portal.fiscal import fiscal_year_of, fiscal_year_range, reiwa_date, reiwa_fiscal_year_label


@pytest.mark.parametrize(
    ("code", "place"),
    [
        ("011002", "札幌市"),
        ("012041", "旭川市"),
        ("131016", "千代田区"),
        ("141003", "横浜市"),
        ("012131", "苫小牧市"),  # weighted sum ≡ 0 (mod 11): check digit 1
        ("272311", "大阪狭山市"),
        ("131075", "墨田区"),
    ],
)
def test_check_digit_of_real_codes(code, place):
    assert check_digit(code[:5]) == code[5]
    assert is_valid_code(code)
    assert code_table().by_code[code].name == place


@pytest.mark.parametrize(
    "code", ["012040", "131017", "12041", "0120411", "０１２０４１", "abcdef", ""]
)
def test_invalid_codes_are_refused(code):
    assert not is_valid_code(code)
    with pytest.raises(ValidationError):
        validate_local_government_code(code)


def test_every_code_in_the_national_table_has_a_valid_check_digit():
    table = code_table()
    assert len(table.by_code) == 1741
    assert all(is_valid_code(code) for code in table.by_code)
    assert all(gov.name_kana for gov in table.by_code.values())


def test_names_in_several_prefectures_are_all_found():
    matches = code_table().lookup_name("太子町")
    assert {g.prefecture for g in matches} == {"大阪府", "兵庫県"}
    assert [g.code for g in code_table().lookup_name("太子町", "兵庫県")] == ["284645"]


@pytest.mark.parametrize(
    ("year", "label"),
    [(2019, "令和元年度"), (2022, "令和4年度"), (2026, "令和8年度"), (2018, "平成30年度")],
)
def test_reiwa_fiscal_year_label(year, label):
    assert reiwa_fiscal_year_label(year) == label


@pytest.mark.parametrize(
    ("day", "label"),
    [
        ("2026-12-01", "令和8年12月1日"),
        ("2019-05-01", "令和元年5月1日"),  # the first day of 令和
        ("2019-04-30", "平成31年4月30日"),  # the last day of 平成
        ("2020-01-01", "令和2年1月1日"),
        ("1989-01-08", "平成元年1月8日"),  # the first day of 平成
        ("1989-01-07", "昭和64年1月7日"),
        ("1944-05-01", "昭和19年5月1日"),  # a date of birth on the assessment sheet
        ("1926-12-24", "大正15年12月24日"),
        ("1900-01-01", "1900年1月1日"),
    ],
)
def test_reiwa_date(day, label):
    import datetime

    assert reiwa_date(datetime.date.fromisoformat(day)) == label


def test_fiscal_year_runs_april_to_march():
    import datetime

    assert fiscal_year_of(datetime.date(2023, 3, 31)) == 2022
    assert fiscal_year_of(datetime.date(2023, 4, 1)) == 2023
    assert fiscal_year_range(2022) == (datetime.date(2022, 4, 1), datetime.date(2023, 3, 31))
