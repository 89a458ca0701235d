"""What the program apps add to the shared case model, registered from their
``AppConfig.ready()`` so that ``cases`` never imports them.

A timeline provider takes a case and the most rows of one growing kind the page needs
(None: all) and returns ``cases.core.timeline.RowKind`` items: a ``values()`` queryset in
the shared row columns and how a row becomes a ``TimelineEntry``. The case page reads
every kind of every program in one statement.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_timeline_providers: list[Callable[[Any, int | None], list[Any]]] = []


def register_timeline(
    provider: Callable[[Any, int | None], list[Any]],
) -> Callable[[Any, int | None], list[Any]]:
    if provider not in _timeline_providers:
        _timeline_providers.append(provider)
    return provider


def timeline_providers() -> tuple[Callable[[Any, int | None], list[Any]], ...]:
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
