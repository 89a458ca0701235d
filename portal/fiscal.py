"""Japanese fiscal years (April–March) and their Reiwa labels."""

from __future__ import annotations

import datetime

REIWA_FIRST_YEAR = 2019  # 令和元年 = 2019


def fiscal_year_of(day: datetime.date) -> int:
    """The fiscal year (named by its starting calendar year) that contains ``day``."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_range(fiscal_year: int) -> tuple[datetime.date, datetime.date]:
    """First and last day of a fiscal year: 1 April to 31 March."""
    return datetime.date(fiscal_year, 4, 1), datetime.date(fiscal_year + 1, 3, 31)


def reiwa_fiscal_year_label(fiscal_year: int) -> str:
    """2022 → '令和4年度', 2019 → '令和元年度'. Earlier years fall back to 平成."""
    if fiscal_year >= REIWA_FIRST_YEAR:
        n = fiscal_year - REIWA_FIRST_YEAR + 1
        return "令和元年度" if n == 1 else f"令和{n}年度"
    n = fiscal_year - 1988
    return "平成元年度" if n == 1 else f"平成{n}年度"


REIWA_FIRST_DAY = datetime.date(2019, 5, 1)
# The first day of each era (元号) a date of birth on a form may need, newest first.
ERAS = (
    ("令和", REIWA_FIRST_DAY),
    ("平成", datetime.date(1989, 1, 8)),
    ("昭和", datetime.date(1926, 12, 25)),
    ("大正", datetime.date(1912, 7, 30)),
)


def reiwa_date(day: datetime.date) -> str:
    """The date as Japanese official documents write it: 2026-12-01 → '令和8年12月1日'
    (令和 from 1 May 2019, 平成, 昭和 and 大正 before — a date of birth on a form —;
    the first year is 元年). Before 大正 the Western year."""
    for era, first in ERAS:
        if day >= first:
            n = day.year - first.year + 1
            year = "元" if n == 1 else str(n)
            return f"{era}{year}年{day.month}月{day.day}日"
    return f"{day.year}年{day.month}月{day.day}日"
