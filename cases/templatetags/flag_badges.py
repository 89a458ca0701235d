"""What a flag is about and what its rule saw, as the flag queue and a flag's page show
them: one call per flag rather than an ``{% include %}`` with a chain of ``{% if %}`` per
detail, which was most of the flag queue's template time (bench/README.md). The queue's
rows are written here whole (``flag_row``): its fifty rows of tags took the template
language longer than the rest of the page."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.templatetags.quick import date, number_url

register = template.Library()

# Detail keys shown as a label and the value.
_WITH_VALUE = {
    "last_contact": gettext_lazy("last contact"),
    "review_on": gettext_lazy("review date"),
    "fields": gettext_lazy("fields"),
    "opened_on": gettext_lazy("opened"),
    "acknowledge_by": gettext_lazy("deadline"),
    "urgency": gettext_lazy("urgency"),
    # The outreach rules' (``outreach.rules``), by the labels of the register's fields.
    "last_contact_on": gettext_lazy("last contact"),
    "next_contact_on": gettext_lazy("next contact planned"),
    "failed_in_a_row": gettext_lazy("failed attempts in a row"),
    "stage_since": gettext_lazy("in this stage since"),
}
# Detail keys shown as a label alone (the household patterns by their usual names).
_ALONE = {
    "p8050": "8050",
    "double_care": "ダブルケア",
    "young_carer": "ヤングケアラー",
    "concern": gettext_lazy("concern logged"),
    "missed_in_a_row": gettext_lazy("missed sessions in a row"),
}


@register.simple_tag
def flag_about(flag: Any, can_see_cases: bool) -> SafeString:
    """The case (its number and person for those who may open cases, else the number and
    its caseworker) or the record the flag is about."""
    if flag.case_id:
        case = flag.case
        if can_see_cases:
            url = number_url("cases:case_detail", flag.case_id)
            return format_html('<a href="{}">{}</a> {}', url, case.number, case.person.name)
        return format_html(
            "{} {}（{}: {}）", _("Case"), case.number, _("caseworker"), case.assigned_to or "—"
        )
    subject = flag.subject
    if not subject:
        return SafeString("")
    if can_see_cases and subject.url_name:
        url = number_url(subject.url_name, flag.subject_id)
        return format_html('<a href="{}">{} #{}</a>', url, subject.label, flag.subject_id)
    return format_html("{} #{}", subject.label, flag.subject_id)


def _detail_text(key: str, value: Any) -> str:
    if key in _WITH_VALUE:
        return f"{_WITH_VALUE[key]} {value}"
    if key in _ALONE:
        return str(_ALONE[key])
    if key == "suggest":
        if value == "handover":
            return _("consent in force: hand over to multi-agency collaboration")
        return _("no consent: discuss at a support meeting")
    if key == "to_program":
        return f"→ {value}"
    if key == "received":
        return f"{_('received')} {str(value)[:10]}"
    return f"{key} {value}"


@register.simple_tag
def flag_detail_badges(detail: dict[str, Any]) -> SafeString:
    """A badge per thing the rule saw (none for a value that is false or empty)."""
    return format_html_join(
        "",
        '<span class="badge">{}</span>',
        (
            (_detail_text(key, value),)
            for key, value in detail.items()
            if value is not False and value is not None
        ),
    )


_ROW = '<tr>\n  <td><a href="{}">{}</a>{}</td>\n  <td>{}</td>\n  <td>{}</td>\n  <td>{}</td>\n</tr>'


@register.simple_tag
def flag_row(flag: Any, can_see_cases: bool) -> SafeString:
    """One row of the flag queue: the rule (a link to the flag, and whether it is back
    from a snooze), what it is about, what the rule saw and since when."""
    snoozed = ""
    if flag.state == "snoozed":
        # As {% translate %} writes a literal's translation: not escaped.
        snoozed = SafeString(f' <span class="badge">{_("back from snooze")}</span>')
    return format_html(
        _ROW,
        number_url("cases:flag_detail", flag.pk),
        flag.rule_title,
        snoozed,
        flag_about(flag, can_see_cases),
        flag_detail_badges(flag.detail),
        date(flag.raised_at, "Y-m-d"),
    )
