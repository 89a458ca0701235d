"""Normalising Japanese names for search: kanji in any of their variant forms (異体字),
hiragana, katakana, any width.

Variant kanji fold to their modern form through ``joyokanji``: the old forms of the
常用漢字表 (文化庁, 平成22年内閣告示第2号: 齋→斎, 邊→辺, 澤→沢, 廣→広 …) and the
variants usual in names (髙→高, 𠮷→吉, 﨑→崎). Only the search keys are folded: a name
is shown as it was registered."""

from __future__ import annotations

import re
import unicodedata

import jaconv
import joyokanji

_SPACES = re.compile(r"[\s\u3000・･·]+")


def search_key(text: str) -> str:
    """One form for comparison: NFKC (half-width kana → full-width, full-width ASCII →
    ASCII, compatibility ideographs → unified), variant kanji → modern form, hiragana →
    katakana, spaces and middle dots removed, lower case."""
    text = unicodedata.normalize("NFKC", text or "")
    text = joyokanji.convert(text, variants=True)
    text = jaconv.hira2kata(text)
    return _SPACES.sub("", text).lower()


def kana_reading(text: str) -> str:
    """A kana reading as stored: full-width katakana, single spaces between names."""
    text = unicodedata.normalize("NFKC", text or "")
    text = jaconv.hira2kata(text)
    return re.sub(r"[\s\u3000]+", " ", text).strip()


def is_kana_reading(text: str) -> bool:
    """Katakana (or hiragana), long-vowel marks, middle dots and spaces only."""
    return bool(re.fullmatch(r"[\u30a0-\u30ff\u3040-\u309f\s\u3000・ー]+", text or ""))


def variant_characters() -> str:
    """Every character ``search_key`` folds to another kanji (for finding the names
    stored before the folding)."""
    folded = joyokanji.convert
    candidates = {chr(c) for c in range(0x3400, 0x2FA20)}
    return "".join(sorted(c for c in candidates if folded(c, variants=True) != c))
