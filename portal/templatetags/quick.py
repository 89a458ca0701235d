"""Faster ``{% url %}`` and ``|date`` for what list pages render on every row, with the
same output as Django's (a built-in library of the template engine, so templates keep
the usual tag and filter).

A list page links each row to its record and shows its dates: on the dashboard that is
130 ``reverse()`` calls (about 40 µs each) and 110 ``|date`` calls (about 30 µs each),
half of its template's time (bench/README.md). Here:

- ``{% url "name" pk %}`` with one whole number and no ``as`` is the URL reversed once per
  name, URL configuration and script prefix, with the number put in its place. The
  first reversal is checked with numbers of other lengths: a URL whose number is not
  written as is (or twice) is never cached. ``{% url "name" %}`` is reversed once
  likewise. Anything else is Django's tag as it is.
- ``|date:"Y-m-d"`` (and ``"Y-m-d H:i"``, ``"Y-m-d H:i:s"``) of a date or datetime is
  written directly; these formats have no names or words in them, so no language
  changes them. Any other format or value goes to Django's filter.
"""

from __future__ import annotations

import datetime
import html
from typing import Any

from django import template
from django.conf import settings
from django.template import defaultfilters
from django.template.base import Parser, Token
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()

# A number no URL holds otherwise, and numbers of other lengths: the URL of each, with
# the first's place taken by it, must be the URL of the first with that number.
_MARK = 7_318_204_659
_PROBES = (0, 42, 8_642_097_315)
# (URL configuration, script prefix, view name, current app) -> (before, after) the
# number, or None when the URL does not write its number as is.
_urls: dict[tuple[Any, ...], tuple[str, str] | None] = {}


def _url_parts(view_name: str, current_app: str | None) -> tuple[str, str] | None:
    key = (get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), view_name, current_app)
    try:
        return _urls[key]
    except KeyError:
        pass
    url = reverse(view_name, args=[_MARK], current_app=current_app)
    parts = None
    if url.count(str(_MARK)) == 1:
        before, after = url.split(str(_MARK))
        if all(
            reverse(view_name, args=[n], current_app=current_app) == f"{before}{n}{after}"
            for n in _PROBES
        ):
            parts = (before, after)
    _urls[key] = parts
    return parts


def escape_text(value: Any) -> str:
    """Django's ``conditional_escape`` for tags that write a list's rows in Python: safe
    text as it is, anything else as escaped text, without the checks for lazy arguments
    that ``format_html`` makes of each one (they cost more than the escaping on fifty
    rows)."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def number_url(view_name: str, number: int) -> str:
    """``reverse(view_name, args=[number])`` as ``{% url %}`` here writes it, for template
    tags written in Python."""
    if type(number) is int and number >= 0:
        parts = _url_parts(view_name, None)
        if parts is not None:
            return f"{parts[0]}{number}{parts[1]}"
    return reverse(view_name, args=[number])


# (URL configuration, script prefix, view name, current app) -> the URL of a route
# without arguments.
_plain_urls: dict[tuple[Any, ...], str] = {}


def _plain_url(view_name: str, current_app: str | None) -> str:
    key = (get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), view_name, current_app)
    try:
        return _plain_urls[key]
    except KeyError:
        url = _plain_urls[key] = reverse(view_name, current_app=current_app)
        return url


def plain_url(view_name: str) -> str:
    """``reverse(view_name)`` of a route without arguments, as ``{% url %}`` here writes
    it, for template tags written in Python."""
    return _plain_url(view_name, None)


def _current_app(context: template.Context) -> str | None:
    try:
        return context.request.current_app
    except AttributeError:
        try:
            return context.request.resolver_match.namespace
        except AttributeError:
            return None


class QuickURLNode(URLNode):
    def render(self, context: template.Context) -> str:
        if self.asvar or self.kwargs or len(self.args) > 1:
            return super().render(context)
        url = self._url(context)
        if url is None:
            return super().render(context)
        return conditional_escape(url) if context.autoescape else url

    def _url(self, context: template.Context) -> str | None:
        """The URL without ``reverse()``, or None where Django's tag must write it."""
        if not self.args:
            try:
                return _plain_url(self.view_name.resolve(context), _current_app(context))
            except NoReverseMatch:
                return None
        number = self.args[0].resolve(context)
        if type(number) is not int or number < 0:
            return None
        try:
            parts = _url_parts(self.view_name.resolve(context), _current_app(context))
        except NoReverseMatch:
            return None
        return None if parts is None else f"{parts[0]}{number}{parts[1]}"


@register.tag
def url(parser: Parser, token: Token) -> URLNode:
    node = django_url(parser, token)
    return QuickURLNode(node.view_name, node.args, node.kwargs, node.asvar)


_FORMATS = {
    "Y-m-d": "{0.year:04d}-{0.month:02d}-{0.day:02d}",
    "Y-m-d H:i": "{0.year:04d}-{0.month:02d}-{0.day:02d} {0.hour:02d}:{0.minute:02d}",
    "Y-m-d H:i:s": (
        "{0.year:04d}-{0.month:02d}-{0.day:02d} {0.hour:02d}:{0.minute:02d}:{0.second:02d}"
    ),
}


@register.filter(expects_localtime=True, is_safe=False)
def date(value: Any, arg: str | None = None) -> str:
    pattern = _FORMATS.get(arg) if arg else None
    if pattern is not None and isinstance(value, datetime.date):
        if type(value) is datetime.date and arg != "Y-m-d":
            return defaultfilters.date(value, arg)
        return pattern.format(value)
    return defaultfilters.date(value, arg)
