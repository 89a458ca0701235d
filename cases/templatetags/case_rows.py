"""Rows of the caseworker's lists written in Python: the dashboard's open cases and the
name search's persons. A hundred open cases, or fifty persons found, each a row of
links, conditions, translations and a date, took the template language longer than
the rest of the page (bench/README.md). The markup is the template's, byte for byte
(tests compare them)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from portal.templatetags.quick import date, number_url, plain_url
from portal.templatetags.quick import escape_text as _esc

register = template.Library()


@register.simple_tag
def open_case_row(case: Any) -> SafeString:
    """One row of "my open cases": the case's number (a link), its person (and whether
    the case is sensitive), its status, route and the day it was opened."""
    sensitive = ""
    if case.is_sensitive:
        # As {% translate %} writes a literal's translation: not escaped.
        sensitive = f' <span class="badge warn">{_("sensitive")}</span>'
    url = number_url("cases:case_detail", case.pk)
    return SafeString(
        "\n      <tr>"
        f'<td><a href="{_esc(url)}">{_esc(case.number)}</a></td>'
        f"<td>{_esc(case.person.name)}{sensitive}</td>"
        f'<td><span class="status status-{_esc(case.status)}">'
        f"{_esc(case.get_status_display())}</span></td>"
        f"<td>{_esc(case.route)}</td>"
        f"<td>{_esc(date(case.opened_on, 'Y-m-d'))}</td></tr>\n    "
    )


@register.simple_tag
def person_row(person: Any) -> SafeString:
    """One row of the name search: the person (a link), reading, date of birth and age,
    their open cases the searcher may see (links), and a new intake for them."""
    born = _esc(date(person.birth_date, "Y-m-d") or "—")
    age = person.age
    if age is not None:
        # As {% translate %} writes a literal's translation: not escaped.
        born += f"（{_esc(age)}{_('yrs')}）"
    cases = " ".join(
        f'<a href="{_esc(number_url("cases:case_detail", c.pk))}" class="nowrap">'
        f"{_esc(c.number)}</a>"
        for c in person.open_case_list
    )
    url = number_url("cases:person_detail", person.pk)
    intake = f"{_esc(plain_url('cases:intake'))}?person={_esc(person.pk)}"
    return SafeString(
        f'\n      <tr><td><a href="{_esc(url)}">{_esc(person.name)}</a></td>'
        f"<td>{_esc(person.name_kana)}</td><td>{born}</td><td>{cases or '—'}</td>\n"
        f'      <td><a href="{intake}">{_("New intake for this person")}</a></td></tr>\n    '
    )
