"""Django's ``i18n`` library with a faster ``{% translate "literal" %}``: the engine loads
this module for ``{% load i18n %}`` (TEMPLATES' ``libraries``), so templates keep the
usual tags.

A page renders its labels through some hundred ``{% translate %}`` tags, each of which
resolves its literal, looks it up in the catalogue, localises and escapes it again on
every render (about 9 µs each, bench/README.md). A tag whose message is a literal, with
no filter, context, ``noop`` or ``as``, always gives the same text in a language (a
literal is safe text, so autoescaping leaves it as it is): that text is kept on the
tag. Every other form is Django's tag as it is. A change of the language settings (as
tests make) forgets what was kept.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.core.signals import setting_changed
from django.template.base import Parser, Token
from django.template.context import Context
from django.templatetags import i18n
from django.utils.translation import get_language

register = template.Library()
register.tags.update(i18n.register.tags)
register.filters.update(i18n.register.filters)

# What settings a kept text depends on; a change of any of them starts a new generation.
_SETTINGS = {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "USE_I18N"}
_generation = [0]


def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in _SETTINGS:
        _generation[0] += 1


setting_changed.connect(_settings_changed, dispatch_uid="portal.quick_i18n")


class KeptTranslateNode(i18n.TranslateNode):
    """``{% translate "literal" %}``, its text kept per language."""

    def __init__(self, node: i18n.TranslateNode) -> None:
        super().__init__(node.filter_expression, node.noop, node.asvar, node.message_context)
        self._kept: dict[tuple[int, str | None], Any] = {}

    def render(self, context: Context) -> Any:
        key = (_generation[0], get_language())
        try:
            return self._kept[key]
        except KeyError:
            value = self._kept[key] = super().render(context)
            return value


def _keeps(node: i18n.TranslateNode) -> bool:
    expression = node.filter_expression
    return (
        not node.noop
        and node.asvar is None
        and node.message_context is None
        and not expression.filters
        and getattr(expression.var, "literal", None) is not None
    )


@register.tag("translate")
@register.tag("trans")
def do_translate(parser: Parser, token: Token) -> template.Node:
    node = i18n.do_translate(parser, token)
    return KeptTranslateNode(node) if _keeps(node) else node
