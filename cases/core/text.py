"""Normalising Japanese names for search: kanji, hiragana, katakana, any width."""

from __future__ import annotations

import re
import unicodedata

import jaconv

_SPACES = re.compile(r"[\s\u3000・･·]+")


def search_key(text: str) -> str:
    """One form for comparison: NFKC (half-width kana → full-width, full-width ASCII →
    ASCII), hiragana → katakana, spaces and middle dots removed, lower case."""
    text = unicodedata.normalize("NFKC", text or "")
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
