"""What the program apps add to the shared case model, registered from their
``AppConfig.ready()`` so that ``cases`` never imports them.

A timeline provider takes a case and returns ``TimelineEntry`` items (one query per
case page at most).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_timeline_providers: list[Callable[[Any], list[Any]]] = []


def register_timeline(provider: Callable[[Any], list[Any]]) -> Callable[[Any], list[Any]]:
    if provider not in _timeline_providers:
        _timeline_providers.append(provider)
    return provider


def timeline_providers() -> tuple[Callable[[Any], list[Any]], ...]:
    return tuple(_timeline_providers)


# An anonymiser blanks a program's free text about anonymised persons: it takes the
# municipality id, the ids of the cases and persons being anonymised and the marker text,
# updates its rows set-based and returns {label: rows changed}.
_anonymisers: list[Callable[..., dict[str, int]]] = []


def register_anonymiser(anonymiser: Callable[..., dict[str, int]]) -> Callable[..., dict[str, int]]:
    if anonymiser not in _anonymisers:
        _anonymisers.append(anonymiser)
    return anonymiser


def anonymisers() -> tuple[Callable[..., dict[str, int]], ...]:
    return tuple(_anonymisers)
