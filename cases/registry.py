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
