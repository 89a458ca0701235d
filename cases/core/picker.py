"""Choosing a case by what people type: the full number (2026-00007), its sequence
alone (7), or the person's name or reading in any script — through the same scoped
reads as everything else, so a case the user may not see is never offered nor matched.

The pages offer the matches as the user types (``case_choices``, a JSON endpoint and a
``<datalist>``); what is submitted is resolved by ``case_from_reference``, which says
in Japanese when nothing or more than one case matches."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from cases.core.queries import cases_visible_to
from cases.core.text import search_key
from cases.models import Case
from portal.errors import CaseRuleError

LIMIT = 10
_FULL_NUMBER = re.compile(r"^\d{4}-\d{5}$")
_SEQUENCE = re.compile(r"^\d{1,5}$")


def _matching(user: Any, text: str) -> Any:
    text = (text or "").strip()
    token = text.split()[0] if text else ""
    qs = cases_visible_to(user).order_by("-opened_on", "-pk")
    if _FULL_NUMBER.match(token):
        return qs.filter(number=token)
    if _SEQUENCE.match(token):
        return qs.filter(number__endswith=f"-{int(token):05d}")
    key = search_key(text)
    if not key:
        return qs.none()
    return qs.filter(
        Q(person__search_name__contains=key)
        | Q(person__search_kana__contains=key)
        | Q(number__contains=text)
    )


def label(case: Case) -> str:
    """What the picker shows and submits: the number first, then the person."""
    return f"{case.number} {case.person.name}"


def case_choices(user: Any, text: str) -> list[Case]:
    """The user's cases matching what was typed, newest first, at most ``LIMIT``."""
    return list(_matching(user, text)[:LIMIT])


def case_from_reference(user: Any, text: str, field: str = "case_number") -> Case:
    """The one case ``text`` names, or ``CaseRuleError`` saying that none or several do."""
    matches = list(_matching(user, text)[:LIMIT])
    if not matches:
        raise CaseRuleError(_("No case matches “%(text)s”.") % {"text": text.strip()}, field)
    if len(matches) > 1:
        raise CaseRuleError(
            _("Several cases match “%(text)s”: %(cases)s. Choose one by its number.")
            % {"text": text.strip(), "cases": "、".join(label(c) for c in matches)},
            field,
        )
    return matches[0]
