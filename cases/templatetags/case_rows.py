"""The dashboard's list of open cases, a row per case written in Python: the caseworker's
hundred open cases, each a row of a link, a condition, a translation and a date, took
the template language longer than the rest of the dashboard (bench/README.md). The
markup is the template's, byte for byte (a test compares them)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from portal.templatetags.quick import date, number_url
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
