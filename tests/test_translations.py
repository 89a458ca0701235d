"""The Japanese catalogue is complete and the committed .mo matches the .po."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest

LOCALE = Path(__file__).resolve().parent.parent / "locale"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


@pytest.fixture(scope="module")
def ja():
    return polib.pofile(str(LOCALE / "ja" / "LC_MESSAGES" / "django.po"))


def test_every_message_has_a_japanese_translation(ja):
    assert [e.msgid for e in ja.untranslated_entries()] == []
    assert [e.msgid for e in ja.fuzzy_entries()] == []


def test_placeholders_survive_translation(ja):
    for entry in ja.translated_entries():
        translated = entry.msgstr or entry.msgstr_plural.get(0, "")
        assert sorted(PLACEHOLDER.findall(entry.msgid)) == sorted(
            PLACEHOLDER.findall(translated)
        ), entry.msgid


@pytest.mark.parametrize("language", ["ja", "en"])
def test_compiled_catalogue_is_up_to_date(language):
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    mo = polib.mofile(str(LOCALE / language / "LC_MESSAGES" / "django.mo"))
    # Keyed with the context: one msgid can mean two things ("to" つなぎ先 / 御中).
    compiled = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural.get(0, "") for e in mo}
    expected = {
        (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural.get(0, "")
        for e in po.translated_entries()
        if not e.obsolete
    }
    assert {k: compiled.get(k) for k in expected} == expected, "run `make messages`"
