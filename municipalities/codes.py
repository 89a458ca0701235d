"""全国地方公共団体コード: the 6-digit local government code with its check digit.

The first five digits are the JIS X 0402 code (two for the prefecture, three for the
municipality); the sixth is a check digit computed with weights 6, 5, 4, 3, 2 modulo 11
(総務省「全国地方公共団体コード」仕様).
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CODE_TABLE_PATH = Path(__file__).resolve().parent / "data" / "local_government_codes.csv"

_WEIGHTS = (6, 5, 4, 3, 2)
_SIX_DIGITS = re.compile(r"^[0-9]{6}$")

PREFECTURES: tuple[str, ...] = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県",
    "茨城県", "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県",
    "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県", "岐阜県",
    "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県",
    "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県",
    "徳島県", "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県",
    "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
)  # fmt: skip


def check_digit(first_five: str) -> str:
    """The check digit for a 5-digit JIS X 0402 code."""
    if len(first_five) != 5 or not first_five.isascii() or not first_five.isdigit():
        raise ValueError(f"expected five ASCII digits, got {first_five!r}")
    remainder = sum(int(d) * w for d, w in zip(first_five, _WEIGHTS, strict=True)) % 11
    # 11 - remainder, keeping only its last digit (remainder 0 → 1, remainder 1 → 0).
    return str((11 - remainder) % 10)


def is_valid_code(code: str) -> bool:
    return bool(_SIX_DIGITS.match(code)) and check_digit(code[:5]) == code[5]


def validate_local_government_code(value: str) -> None:
    """Model/form validator: six digits with a correct check digit."""
    if not _SIX_DIGITS.match(value or ""):
        raise ValidationError(_("A local government code has six digits."), code="code_format")
    if check_digit(value[:5]) != value[5]:
        raise ValidationError(
            _("The check digit of local government code %(code)s is wrong."),
            code="check_digit",
            params={"code": value},
        )


def normalize_code(raw: str) -> str:
    """Full-width digits and surrounding spaces are common in Excel exports."""
    return unicodedata.normalize("NFKC", raw or "").strip()


def normalize_name(raw: str) -> str:
    """Compare names after NFKC and with spaces removed (全角スペース included)."""
    text = unicodedata.normalize("NFKC", raw or "")
    return re.sub(r"\s+", "", text)


def prefecture_code(prefecture: str) -> str | None:
    """'東京都' → '13'."""
    try:
        return f"{PREFECTURES.index(prefecture) + 1:02d}"
    except ValueError:
        return None


@dataclass(frozen=True)
class LocalGovernment:
    code: str
    prefecture: str
    name: str
    name_kana: str


@dataclass(frozen=True)
class CodeTable:
    by_code: dict[str, LocalGovernment]
    by_name: dict[str, tuple[LocalGovernment, ...]]

    def lookup_name(self, name: str, prefecture: str | None = None) -> tuple[LocalGovernment, ...]:
        found = self.by_name.get(normalize_name(name), ())
        if prefecture:
            found = tuple(g for g in found if g.prefecture == normalize_name(prefecture))
        return found


@functools.cache
def code_table() -> CodeTable:
    """The national table of municipalities shipped with the app (see data/SOURCE.md)."""
    by_code: dict[str, LocalGovernment] = {}
    by_name: dict[str, list[LocalGovernment]] = {}
    with CODE_TABLE_PATH.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            gov = LocalGovernment(
                code=row["code"],
                prefecture=row["prefecture"],
                name=row["name"],
                name_kana=row["name_kana"],
            )
            by_code[gov.code] = gov
            by_name.setdefault(normalize_name(gov.name), []).append(gov)
    return CodeTable(by_code=by_code, by_name={k: tuple(v) for k, v in by_name.items()})
