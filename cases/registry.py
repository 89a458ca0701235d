"""The one registry through which the programs declare themselves to the shared case
model, so that ``cases`` never names a program in code or templates.

A program app calls ``register_program`` from its ``AppConfig.ready()`` with a
``Program``: its key and label, the roles that receive referrals to it, whom its waiting
referrals are flagged to, what it adds to the case page (links, timeline rows, kinds of
flag subject), how its free text is anonymised and where its demo seeder lives. Its
referral rules and statistics sections register here too (``register_rule``,
``register_section``, ``register_indicator``), as do the consultation pillar's own.

The registry imports no model and no app: ``cases.models`` reads the program choices
from it (``program_choices`` is a callable, evaluated when used), and the engine reads the
rules. Registration happens once per process, before the first request or task.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# A timeline provider takes a case and the most rows of one growing kind the page needs
# (None: all) and returns ``cases.core.timeline.RowKind`` items: a queryset and the named
# fields read of it in the case page's one statement, and how each row becomes a
# ``TimelineEntry``.
TimelineProvider = Callable[[Any, int | None], list[Any]]
# An anonymiser blanks a program's free text about anonymised persons: it takes the
# municipality id, the ids of the cases and persons being anonymised and the marker text,
# updates its rows set-based and returns {label: rows changed}.
Anonymiser = Callable[..., dict[str, int]]


@dataclass(frozen=True)
class CaseLink:
    """A link the case page offers to a program's page about the case: the URL name is
    reversed with the case id."""

    label: Any
    url_name: str


@dataclass(frozen=True)
class FlagSubject:
    """A kind of record a referral rule can flag. ``url_name`` (reversed with the record's
    id) is its page for case staff; ``per_case``: the record belongs to a case, so
    re-evaluating a case re-evaluates it."""

    key: str
    label: Any
    url_name: str | None = None
    per_case: bool = True


@dataclass(frozen=True)
class Program:
    """What a program (or, for referrals, the network of agencies) declares."""

    key: str
    label: Any
    order: int = 100
    # The role that works in the program: sees referrals to and from it (its inbox).
    staff_role: str | None = None
    # Who answers a referral to the program.
    receiving_roles: tuple[str, ...] = ()
    # Who is flagged when a referral to the program waits past its deadline.
    flag_audience: str | None = None
    # Offered as a destination when a caseworker refers a case.
    referable: bool = True
    case_links: tuple[CaseLink, ...] = ()
    flag_subjects: tuple[FlagSubject, ...] = ()
    timeline: TimelineProvider | None = None
    anonymiser: Anonymiser | None = None
    # "module:function" of the demo seeder, imported only by ``seed_demo``; seeders run
    # in ``demo_order``.
    demo: str | None = None
    demo_order: int = 100


_programs: dict[str, Program] = {}


def register_program(program: Program) -> Program:
    """Declare a program (once per process; registering the same key again replaces it)."""
    _programs[program.key] = program
    return program


def programs() -> list[Program]:
    return sorted(_programs.values(), key=lambda p: (p.order, p.key))


def get_program(key: str) -> Program | None:
    return _programs.get(key)


def program_choices() -> list[tuple[str, Any]]:
    """(key, label) of every program, in order: the choices of a referral's programs."""
    return [(p.key, p.label) for p in programs()]


def program_label(key: str) -> str:
    program = _programs.get(key)
    return str(program.label) if program else key


def receiving_roles(key: str) -> tuple[str, ...]:
    program = _programs.get(key)
    return program.receiving_roles if program else ()


def program_of_role(role: str) -> str | None:
    """The program a role works in (its referral inbox), None for roles that see cases."""
    for program in programs():
        if program.staff_role == role:
            return program.key
    return None


def flag_audiences() -> dict[str, str]:
    """{program key: role} for flags about referrals waiting to be answered."""
    return {p.key: p.flag_audience for p in programs() if p.flag_audience}


def case_links() -> list[CaseLink]:
    return [link for program in programs() for link in program.case_links]


def flag_subject(key: str) -> FlagSubject | None:
    for program in programs():
        for subject in program.flag_subjects:
            if subject.key == key:
                return subject
    return None


def flag_subject_choices() -> list[tuple[str, Any]]:
    """(key, label) of every kind of flag subject, by key."""
    subjects = [s for p in programs() for s in p.flag_subjects]
    return [(s.key, s.label) for s in sorted(subjects, key=lambda s: s.key)]


def timeline_providers() -> tuple[TimelineProvider, ...]:
    return tuple(p.timeline for p in programs() if p.timeline is not None)


def anonymisers() -> tuple[Anonymiser, ...]:
    return tuple(p.anonymiser for p in programs() if p.anonymiser is not None)


def demo_seeders() -> list[tuple[str, str]]:
    """(program key, "module:function") of every demo seeder, in the order they run."""
    ordered = sorted((p for p in _programs.values() if p.demo), key=lambda p: (p.demo_order, p.key))
    return [(p.key, p.demo) for p in ordered if p.demo]


# --- announcements ----------------------------------------------------------------------
# A service announces that a case changed; whoever needs to know subscribes (the referral
# engine re-evaluates the case after commit). Services never call up into the engine.

_case_changed: list[Callable[[Any], None]] = []


def on_case_changed(subscriber: Callable[[Any], None]) -> None:
    """Call ``subscriber(case)`` whenever a service changes a case (inside its
    transaction: a subscriber that acts later defers itself to the commit)."""
    if subscriber not in _case_changed:
        _case_changed.append(subscriber)


def announce_case_changed(case: Any) -> None:
    for subscriber in _case_changed:
        subscriber(case)


# --- referral rules --------------------------------------------------------------------
# ``cases.engine.rules.Rule`` items by code; the engine runs them in ``order``.

_rules: dict[str, Any] = {}


def register_rule(rule: Any) -> Any:
    _rules[rule.code] = rule
    return rule


def all_rules() -> list[Any]:
    return sorted(_rules.values(), key=lambda r: (r.order, r.code))


def get_rule(code: str) -> Any | None:
    return _rules.get(code)


# --- statistics --------------------------------------------------------------------------
# Sections are detailed tables for one municipality (with the grouped counts they read,
# run in one statement with the others); indicators are the national figures.

_sections: list[tuple[int, Callable[..., Any], Callable[..., Any] | None]] = []
_indicators: dict[str, Any] = {}


def register_section(
    order: int, section: Callable[..., Any], parts: Callable[..., Any] | None = None
) -> Callable[..., Any]:
    if all(s is not section for _o, s, _p in _sections):
        _sections.append((order, section, parts))
    return section


def register_indicator(indicator: Any) -> Any:
    _indicators[indicator.code] = indicator
    return indicator


def indicators() -> list[Any]:
    return sorted(_indicators.values(), key=lambda i: (i.order, i.code))


def sections() -> list[Callable[..., Any]]:
    return [s for s, _p in sections_with_parts()]


def sections_with_parts() -> list[tuple[Callable[..., Any], Callable[..., Any] | None]]:
    """(section, its grouped counts or None) in section order."""
    return [(s, p) for _o, s, p in sorted(_sections, key=lambda item: item[0])]


# --- actions on a record ---------------------------------------------------------------
# What a program offers to do with a record of another (a community concern can become
# an outreach target): shown on that record's page, keyed by the kind of flag subject.


@dataclass(frozen=True)
class RecordAction:
    """A link on the page of a ``subject`` record (``FlagSubject.key``); ``url_name`` is
    reversed with the record's id."""

    subject: str
    label: Any
    url_name: str


_record_actions: list[RecordAction] = []


def register_record_action(action: RecordAction) -> RecordAction:
    if action not in _record_actions:
        _record_actions.append(action)
    return action


def record_actions(subject: str) -> list[RecordAction]:
    return [a for a in _record_actions if a.subject == subject]


# --- the five 事業 of the statistics ------------------------------------------------------
# The law (社会福祉法 第106条の4 第2項) makes the program five 事業, which the national
# survey counts one by one. Each is declared once (a later declaration with the same key
# replaces it, so a program app can take over a 事業 the consultation pillar declared);
# an indicator names its 事業 by ``business`` (see ``cases.statistics.Indicator``).


@dataclass(frozen=True)
class Business:
    """A 事業 of the statistics: its key, its name, its place on the page and, while its
    own records are missing, a note saying what its figures leave out."""

    key: str
    label: Any
    order: int = 100
    note: Any = ""


_businesses: dict[str, Business] = {}


def register_business(business: Business) -> Business:
    _businesses[business.key] = business
    return business


def businesses() -> list[Business]:
    return sorted(_businesses.values(), key=lambda b: (b.order, b.key))


def get_business(key: str) -> Business | None:
    return _businesses.get(key)


# --- supporters around a case (ecomap) ---------------------------------------------------
# A supporter provider takes a case and returns ``cases.core.timeline.RowKind`` items whose
# builders make ``Supporter``s: the places, menus and people of a program linked to the
# case, read in the ecomap's one statement with the core's own (agencies, household).


@dataclass(frozen=True)
class Supporter:
    """One node around the person on the ecomap. ``key`` is stable (``agency:12``,
    ``participation.menu:3``): the caseworker's mark on the relationship is stored by it."""

    key: str
    label: str
    kind: Any  # what it is, shown under the name (関係機関, 参加支援 …)


SupporterProvider = Callable[[Any], list[Any]]
_supporter_providers: list[SupporterProvider] = []


def register_supporter_provider(provider: SupporterProvider) -> SupporterProvider:
    """Declare where a program's supporters of a case come from (once per process)."""
    if provider not in _supporter_providers:
        _supporter_providers.append(provider)
    return provider


def supporter_providers() -> tuple[SupporterProvider, ...]:
    return tuple(_supporter_providers)
