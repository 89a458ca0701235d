"""The load test's figures from the requests it made: one row per page, the totals of
the pages, of the statistics and the exports (reported apart: the heavy reads a manager
starts now and then) and of signing in, and the closing line. Pure functions."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass

# What a request is: an ordinary page (what the closing line covers), the statistics
# page, an export (CSV or Excel), or a step of signing in (the password is checked with
# Argon2, costly on purpose, once a working day per person, while a load test's ramp-up
# signs everybody in within seconds). The virtual users name each request with its kind.
# Requests started before the last virtual user has signed in are the ramp-up's.
PAGE, STATISTICS, EXPORT, SIGN_IN = "page", "statistics", "export", "sign-in"
RAMP_UP = "ramp-up"
KINDS = (PAGE, STATISTICS, EXPORT, SIGN_IN, RAMP_UP)
TOTAL_NAMES = {
    PAGE: "all pages",
    STATISTICS: "statistics (all)",
    EXPORT: "exports (all)",
    SIGN_IN: "sign-in (all)",
    RAMP_UP: "ramp-up (all)",
}


@dataclass(frozen=True)
class Sample:
    name: str
    kind: str
    ms: float
    ok: bool
    at: float = 0.0  # when it was sent (seconds since the epoch)


@dataclass(frozen=True)
class Row:
    name: str
    kind: str
    requests: int
    errors: int
    p50: float
    p95: float
    max: float
    per_second: float


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile: the smallest value with at least ``p`` % of the
    values at or below it (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def row(name: str, kind: str, samples: list[Sample], seconds: float) -> Row:
    times = [s.ms for s in samples]
    return Row(
        name=name,
        kind=kind,
        requests=len(samples),
        errors=sum(1 for s in samples if not s.ok),
        p50=percentile(times, 50),
        p95=percentile(times, 95),
        max=max(times, default=0.0),
        per_second=len(samples) / seconds if seconds > 0 else 0.0,
    )


def split_ramp_up(samples: list[Sample]) -> tuple[list[Sample], dict[str, float]]:
    """The samples with the pages, statistics and exports sent before the last sign-in
    ended counted as the ramp-up's; and how long each kind was measured, in seconds:
    from that moment to the last answer for those kinds, the whole run for sign-in and
    ramp-up."""
    if not samples:
        return [], dict.fromkeys(KINDS, 0.0)
    first = min(s.at for s in samples)
    last = max(s.at + s.ms / 1000 for s in samples)
    signed_in = max((s.at + s.ms / 1000 for s in samples if s.kind == SIGN_IN), default=first)
    split = [
        Sample(s.name, RAMP_UP, s.ms, s.ok, s.at) if s.kind != SIGN_IN and s.at < signed_in else s
        for s in samples
    ]
    steady = max(0.0, last - signed_in)
    return split, {PAGE: steady, STATISTICS: steady, EXPORT: steady} | {
        SIGN_IN: last - first,
        RAMP_UP: max(0.0, signed_in - first),
    }


def summarise(
    samples: Iterable[Sample], seconds: float | dict[str, float]
) -> tuple[list[Row], dict[str, Row]]:
    """One row per request name (pages first, then statistics, exports and sign-in,
    each by name; the ramp-up has no rows of its own), and a total row per kind.
    ``seconds``: how long the run (or each kind) was measured, for the rate."""
    if not isinstance(seconds, dict):
        seconds = dict.fromkeys(KINDS, seconds)
    by_name: dict[tuple[str, str], list[Sample]] = {}
    by_kind: dict[str, list[Sample]] = {kind: [] for kind in KINDS}
    for sample in samples:
        if sample.kind not in by_kind:
            raise ValueError(f"unknown kind of request: {sample.kind}")
        by_name.setdefault((sample.kind, sample.name), []).append(sample)
        by_kind[sample.kind].append(sample)
    rows = [
        row(name, kind, by_name[(kind, name)], seconds[kind])
        for kind, name in sorted(by_name, key=lambda key: (KINDS.index(key[0]), key[1]))
        if kind != RAMP_UP  # the ramp-up has its total only
    ]
    totals = {kind: row(TOTAL_NAMES[kind], kind, by_kind[kind], seconds[kind]) for kind in KINDS}
    return rows, totals


def last_line(pages: Row, users: int) -> str:
    """The closing line of ``make loadtest``, over the pages (statistics and exports are
    in the table, apart)."""
    return (
        f"loadtest: {pages.requests} requests, {pages.errors} errors, "
        f"p50 {pages.p50:.0f} ms, p95 {pages.p95:.0f} ms, "
        f"{pages.per_second:.1f} req/s, {users} users"
    )


def _cells(r: Row) -> list[str]:
    return [
        r.name,
        r.kind,
        str(r.requests),
        str(r.errors),
        f"{r.p50:.0f}",
        f"{r.p95:.0f}",
        f"{r.max:.0f}",
        f"{r.per_second:.2f}",
    ]


HEADER = ["name", "kind", "requests", "errors", "p50 ms", "p95 ms", "max ms", "req/s"]


def markdown_table(rows: list[Row], totals: dict[str, Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(_cells(r)) + " |" for r in rows]
    for kind in KINDS:
        lines.append("| " + " | ".join(f"**{c}**" for c in _cells(totals[kind])) + " |")
    return "\n".join(lines)


def csv_table(rows: list[Row], totals: dict[str, Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for r in [*rows, *(totals[kind] for kind in KINDS)]:
        writer.writerow(_cells(r))
    return out.getvalue()
