"""Walk the URL configuration: the route tests (isolation, CSRF) are generated from it,
so a new route is covered as soon as it exists."""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern

ROUTE_PARAM = re.compile(r"(?<!\?P)<(?:(\w+):)?(\w+)>")
REGEX_PARAM = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def walk(
    patterns=None, prefix: str = "", skip_namespaces: frozenset[str] = frozenset({"admin"})
) -> Iterator[tuple[str, URLPattern]]:
    """(route, pattern) of every leaf, the route joined from its resolvers'."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.namespace in skip_namespaces:
                continue
            yield from walk(p.url_patterns, prefix + _text(p.pattern), skip_namespaces)
        elif isinstance(p, URLPattern):
            yield prefix + _text(p.pattern), p


def _text(pattern) -> str:
    text = str(pattern)
    if isinstance(pattern, RegexPattern):
        text = text.removeprefix("^").removesuffix("$")
    return text


def params(route: str) -> list[str]:
    return [m.group(2) for m in ROUTE_PARAM.finditer(route)] + REGEX_PARAM.findall(route)


def fill(route: str, ids: dict[str, int]) -> str:
    """The URL of a route with its parameters taken from ``ids``."""

    def value(name: str) -> str:
        if name not in ids:
            raise AssertionError(f"no test id for <{name}> in {route}")
        return str(ids[name])

    url = ROUTE_PARAM.sub(lambda m: value(m.group(2)), route)
    url = REGEX_PARAM.sub(lambda m: value(m.group(1)), url)
    return "/" + url.replace("\\", "")
