"""What a flag is about and what its rule saw, as the flag queue and a flag's page show
them: one call per flag rather than an ``{% include %}`` with a chain of ``{% if %}`` per
detail, which was most of the flag queue's template time (bench/README.md). The queue's
rows are written here whole (``flag_row``): its fifty rows of tags took the template
language longer than the rest of the page."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.templatetags.quick import date, number_url
from portal.templatetags.quick import escape_text as _esc

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
            return SafeString(
                f'<a href="{_esc(url)}">{_esc(case.number)}</a> {_esc(case.person.name)}'
            )
        caseworker = case.assigned_to or "—"
        return SafeString(
            f"{_esc(_('Case'))} {_esc(case.number)}（{_esc(_('caseworker'))}: {_esc(caseworker)}）"
        )
    subject = flag.subject
    if not subject:
        return SafeString("")
    label = f"{_esc(subject.label)} #{_esc(flag.subject_id)}"
    if can_see_cases and subject.url_name:
        url = number_url(subject.url_name, flag.subject_id)
        return SafeString(f'<a href="{_esc(url)}">{label}</a>')
    return SafeString(label)


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
    return SafeString(
        "".join(
            f'<span class="badge">{_esc(_detail_text(key, value))}</span>'
            for key, value in detail.items()
            if value is not False and value is not None
        )
    )


@register.simple_tag
def flag_row(flag: Any, can_see_cases: bool) -> SafeString:
    """One row of the flag queue: the rule (a link to the flag, and whether it is back
    from a snooze), what it is about, what the rule saw and since when."""
    snoozed = ""
    if flag.state == "snoozed":
        # As {% translate %} writes a literal's translation: not escaped.
        snoozed = f' <span class="badge">{_("back from snooze")}</span>'
    url = number_url("cases:flag_detail", flag.pk)
    return SafeString(
        f'<tr>\n  <td><a href="{_esc(url)}">{_esc(flag.rule_title)}</a>{snoozed}</td>\n'
        f"  <td>{flag_about(flag, can_see_cases)}</td>\n"
        f"  <td>{flag_detail_badges(flag.detail)}</td>\n"
        f"  <td>{_esc(date(flag.raised_at, 'Y-m-d'))}</td>\n</tr>"
    )
