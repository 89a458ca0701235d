"""A select box's options written in Python, as ``select_option.html`` writes each one.

The template language spent some 60 µs on each option (its loops, conditions and
filters), so that the three select boxes of a list page's filter form took longer than
the list (bench/README.md). ``select_options`` writes the same markup byte for byte:
the value and attributes through ``stringformat:'s'``, the label as ``{{ }}`` writes it
(localised, escaped), and the empty choice worded for people: 「選択してください」 where
a choice is required, 「指定しない」 where it may stay empty. A test renders every kind of
select both ways in both languages."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import render_value_in_context
from django.template.context import Context
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.translation import gettext

register = template.Library()

EMPTY_LABEL = "---------"


def _as_s(value: Any) -> str:
    """``{{ value|stringformat:'s' }}``."""
    if isinstance(value, tuple):
        value = str(value)
    text = "%s" % value  # noqa: UP031  (the filter's own formatting)
    return text if isinstance(value, SafeData) else conditional_escape(text)


def _attrs(attrs: dict[str, Any]) -> str:
    """``django/forms/widgets/attrs.html``."""
    return "".join(
        f" {conditional_escape(name)}" + ("" if value is True else f'="{_as_s(value)}"')
        for name, value in attrs.items()
        if value is not False
    )


def _label(option: dict[str, Any], required: Any, context: Context) -> str:
    label = option["label"]
    if label == EMPTY_LABEL:
        return conditional_escape(gettext("Choose…") if required else gettext("Not specified"))
    return render_value_in_context(label, context)


@register.simple_tag(takes_context=True)
def select_options(context: Context, widget: dict[str, Any]) -> SafeString:
    """The options (and groups) of the select ``widget`` (a widget's template context)."""
    required = widget["attrs"].get("required")
    parts = []
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            label = render_value_in_context(group_name, context)
            parts.append(f'\n  <optgroup label="{label}">')
        for option in group_choices:
            parts.append(
                f'\n  <option value="{_as_s(option["value"])}"{_attrs(option["attrs"])}>'
                f"{_label(option, required, context)}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    return mark_safe("".join(parts))  # noqa: S308  (every part escaped above)
