"""The benchmarks, as functions over whatever database Django is connected to.

``bench/run.py`` (``make bench``) prepares a PostgreSQL database of the requested size
and calls them; the test suite calls each one on a tiny generated data set so they
cannot rot. They return plain dicts (figures, no verdicts); nothing here asserts a time.

Each benchmark that has a "limit" runs the same work as SQL straight on a cursor:

- the referral scan: the rules' own SQL (compiled from their querysets once, outside
  the timing) and the hand-written SQL of ``bench/limit_sql.py``;
- a page: every statement the page issued (captured once), replayed on a cursor inside
  a transaction that is rolled back, so audit rows written by the page are replayed too.
"""

from __future__ import annotations

import datetime
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection, reset_queries, transaction
from django.db.models import Count, Q
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench.profile import profile_requests
from bench.writes import writes

ROSTER_FILE = Path(__file__).resolve().parent.parent / "fixtures" / "roster_fy2022.csv"
SKIP_ON_REPLAY = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK", "BEGIN", "COMMIT")


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def _p95(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


# --- roster and generator ----------------------------------------------------------------


def roster_import(path: Path = ROSTER_FILE, fiscal_year: int = 2022) -> dict[str, Any]:
    """Seconds to import the roster through the same code as ``load_roster`` (a second
    import of the same file changes nothing but still validates every row)."""
    from municipalities.roster import roster_import as import_roster

    content = path.read_bytes()
    start = time.perf_counter()
    report = import_roster(
        content=content,
        file_name=path.name,
        fiscal_year=fiscal_year,
        expected_total=None,
        dry_run=False,
    )
    seconds = time.perf_counter() - start
    return {"seconds": round(seconds, 3), "rows": len(content.splitlines()) - 1, "ok": report.ok}


def generator(cases: int, seed: int = 1, today: datetime.date | None = None) -> dict[str, Any]:
    from bench.generate import generate

    result = generate(cases, seed=seed, today=today)
    return {
        "cases": result.cases,
        "rows": result.total_rows,
        "seconds": round(result.seconds, 2),
        "rows_per_second": round(result.rows_per_second),
        "by_table": result.rows,
    }


# --- the referral scan ---------------------------------------------------------------------


def _municipalities_with_cases() -> list[int]:
    from cases.models import Case

    return list(Case.objects.values_list("municipality_id", flat=True).distinct().order_by())


def scan(as_of: datetime.date | None = None, *, from_scratch: bool = True) -> dict[str, Any]:
    """A full scan of every municipality (twice: the first raises the flags, the second
    finds them all raised), then the same rules as SQL run straight on a cursor.

    ``from_scratch`` deletes every flag first (a data set reused from an earlier run
    has them) and vacuums the table, so that the first scan raises them all again as in
    a data set that never had any. Benchmark data only."""
    from bench.limit_sql import hand_written_first_run, hand_written_scan
    from cases.engine.flags import evaluate, rule_settings
    from cases.models import Case, Flag
    from cases.registry import all_rules

    as_of = as_of or timezone.localdate()
    if from_scratch:
        Flag.objects.all().delete()
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            # Outside the timing: without it the first scan inserts every flag next to
            # the dead row (and unique-index entry) of the flag just deleted for the
            # same subject, with autovacuum working through those 1.2 million dead rows
            # during the timed scan; a data set that never had flags has neither.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE) cases_flag")
    mids = _municipalities_with_cases()
    cases = Case.objects.count()
    result: dict[str, Any] = {"cases": cases, "municipalities": len(mids)}
    if not Flag.objects.exists():
        # The first run's limit, on the same empty table: the hand-written INSERT …
        # SELECT of every rule, committed, then deleted (and the table vacuumed again
        # after it).
        result["hand_written_first_run"] = hand_written_first_run(mids, as_of)
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE) cases_flag")
    for label in ("first", "second"):
        start = time.perf_counter()
        raised = 0
        for mid in mids:
            raised += sum(o.raised for o in evaluate(mid, as_of).values())
        seconds = time.perf_counter() - start
        if label == "first" and connection.vendor == "postgresql":
            # Outside the timing, what autovacuum does within a minute of a million
            # inserts: the second run is the hourly steady state, which reads flags
            # that are vacuumed (hint bits set, visibility map) and planned with
            # statistics of a table that has them, not of the table emptied above.
            with connection.cursor() as cursor:
                if connection.in_atomic_block:
                    cursor.execute("ANALYZE cases_flag")
                else:
                    cursor.execute("VACUUM (ANALYZE) cases_flag")
        result[label] = {
            "seconds": round(seconds, 3),
            "cases_per_second": round(cases / seconds) if seconds else 0,
            "flags_raised": raised,
        }
    compiled = []
    for mid in mids:
        settings = rule_settings(mid)
        for rule in all_rules():
            enabled, params = settings[rule.code]
            if enabled:
                sql, sql_params = rule.query(mid, as_of, params).query.sql_with_params()
                compiled.append((rule.code, sql, sql_params))
    by_rule: dict[str, int] = {}
    start = time.perf_counter()
    with connection.cursor() as cursor:
        for code, sql, sql_params in compiled:
            cursor.execute(sql, sql_params)
            by_rule[code] = by_rule.get(code, 0) + len(cursor.fetchall())
    orm_sql = time.perf_counter() - start
    matched = sum(by_rule.values())
    result["rules_sql"] = {"seconds": round(orm_sql, 3), "rows": matched, "by_rule": by_rule}
    hand = hand_written_scan(mids, as_of)
    result["hand_written_sql"] = hand
    # The limit is the faster of the two ways of running the rules as bare SQL (for some
    # rules the planner does better with the ORM's formulation than with ours).
    limit = min(t for t in (hand["seconds"], orm_sql) if t) if (hand["seconds"] or orm_sql) else 0
    result["sql_limit_seconds"] = round(limit, 3)
    for label in ("first", "second"):
        seconds = result[label]["seconds"]
        result[f"ratio_{label}_to_hand_written"] = (
            round(seconds / hand["seconds"], 2) if hand["seconds"] else None
        )
        result[f"ratio_{label}_to_limit"] = round(seconds / limit, 2) if limit else None
    first_run = result.get("hand_written_first_run") or {}
    for key, limit_seconds in (
        ("ratio_first_to_first_run_limit", first_run.get("seconds")),
        ("ratio_first_to_uncommitted_limit", first_run.get("seconds_before_commit")),
    ):
        first = result["first"]["seconds"]
        result[key] = round(first / limit_seconds, 2) if limit_seconds else None
    return result


def reevaluate(samples: int = 50, as_of: str | None = None) -> dict[str, Any]:
    """What a save costs the worker: ``cases.evaluate_case`` on one open case of the
    largest municipality, for ``samples`` cases."""
    from cases.engine.tasks import evaluate_case
    from cases.models import Case

    mid = largest_municipality()
    ids = list(
        Case.objects.filter(municipality_id=mid)
        .exclude(status=Case.Status.CLOSED)
        .order_by("pk")
        .values_list("pk", flat=True)[:samples]
    )
    times, statements = [], []
    for case_id in ids:
        # The log keeps 9,000 statements: full, a capture would count none.
        reset_queries()
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            evaluate_case(case_id, as_of)
        times.append(time.perf_counter() - start)
        statements.append(len(captured.captured_queries))
    return {
        "samples": len(times),
        "median_ms": _ms(_median(times)),
        "p95_ms": _ms(_p95(times)),
        "statements": max(statements, default=0),
        "by_rule": _reevaluate_by_rule(mid, ids, as_of),
    }


def _reevaluate_by_rule(mid: int, ids: list[int], as_of: str | None) -> dict[str, float]:
    """Each case rule's own query filtered to one case, as it ran one rule at a time:
    its median over the same cases, in ms (building the query included)."""
    from cases.engine.flags import rule_settings
    from cases.registry import all_rules, flag_subject
    from portal.tasks import task_date

    day = task_date(as_of) or timezone.localdate()
    settings = rule_settings(mid)
    by_rule = {}
    for rule in all_rules():
        subject = flag_subject(rule.subject)
        enabled, params = settings[rule.code]
        if not enabled or (subject is not None and not subject.per_case):
            continue
        times = []
        for case_id in ids:
            start = time.perf_counter()
            list(rule.query(mid, day, params).filter(flag_case__in=[case_id]))
            times.append(time.perf_counter() - start)
        by_rule[rule.code] = _ms(_median(times))
    return by_rule


# --- pages -------------------------------------------------------------------------------


def largest_municipality() -> int:
    from cases.models import Case

    row = (
        Case.objects.values("municipality_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "municipality_id")
        .first()
    )
    if row is None:
        raise RuntimeError("No cases: generate data first.")
    return row["municipality_id"]


@dataclass
class Page:
    name: str
    user: Any
    url: str
    repeat: int


def _persona(mid: int, role: str) -> Any:
    from municipalities.models import Membership

    membership = (
        Membership.objects.filter(municipality_id=mid, role=role, is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if membership is None:
        raise RuntimeError(f"No {role} in municipality {mid}.")
    return membership.user


def _system_admin() -> Any:
    from municipalities.models import User

    user, _created = User.objects.get_or_create(
        username="bench-system-admin", defaults={"is_system_admin": True}
    )
    return user


def pages(
    repeat: int = 20, slow_repeat: int = 5, only: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """Server time of the main pages of the largest municipality through the test client,
    with the query count and the time of the same SQL replayed on a cursor."""
    import jaconv

    from cases.models import Case, Consultation
    from municipalities.models import Role

    mid = largest_municipality()
    caseworker = _persona(mid, Role.CASEWORKER)
    # The caseworker's busiest open case that is not sensitive (a sensitive case asks
    # for the purpose of access first).
    case = (
        Case.objects.filter(
            municipality_id=mid, assigned_to=caseworker, is_sensitive=False, deleted_at=None
        )
        .exclude(status=Case.Status.CLOSED)
        .annotate(n=Count("consultations"))
        .order_by("-n", "pk")
        .first()
    )
    if case is None:
        case = Case.objects.filter(municipality_id=mid, is_sensitive=False).order_by("pk").first()
    person = case.person
    surname = person.name.split()[0]
    kana = jaconv.kata2hira(person.name_kana.split()[0])
    has_consultations = Consultation.objects.filter(
        Q(case__municipality_id=mid), case=case
    ).exists()
    search = reverse("cases:person_search")
    page_list = [
        Page("dashboard", caseworker, reverse("cases:dashboard"), repeat),
        Page(
            "name search (kanji)",
            caseworker,
            f"{search}?q={surname}",
            repeat,
        ),
        Page("name search (kana)", caseworker, f"{search}?q={kana}", repeat),
        Page("case page", caseworker, reverse("cases:case_detail", args=[case.pk]), repeat),
        Page("flag queue", caseworker, reverse("cases:flag_queue"), repeat),
        Page(
            "menu catalogue",
            _persona(mid, Role.COORDINATOR),
            reverse("participation:catalogue"),
            repeat,
        ),
        Page(
            "statistics (municipality)",
            _persona(mid, Role.MANAGER),
            reverse("cases:statistics"),
            slow_repeat,
        ),
        Page(
            "statistics (national)",
            _system_admin(),
            reverse("cases:national_statistics"),
            slow_repeat,
        ),
    ]
    # The fixed cost every page pays, measured first (bench/urls.py).
    page_list.insert(0, Page("bare logged-in page", caseworker, "/bench/bare/", repeat))
    with override_settings(ROOT_URLCONF="bench.urls"):
        results = measure_pages([p for p in page_list if only is None or p.name in only])
    figures = {
        "municipality_id": mid,
        "case_id": case.pk,
        "case_has_consultations": has_consultations,
        "pages": results,
    }
    if only is None:
        client = Client()
        _login(client, caseworker)
        figures["writes"] = writes(client, case, repeat)
    return figures


def _login(client: Client, user: Any) -> None:
    """Log in; a manager's or system administrator's session has passed the second factor
    (a confirmed TOTP device of the bench user), as after typing the code."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from municipalities.security import PENDING_SESSION_KEY, second_factor_required

    client.force_login(user)
    if second_factor_required(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.pop(PENDING_SESSION_KEY, None)
        session.save()


def measure_pages(pages: list[Page]) -> dict[str, dict[str, Any]]:
    """Each page's server time, query count, SQL replayed and profile split.

    The pages are timed in turns, one request of each page per round, and their SQL
    replayed the same way: a machine whose speed changes from one minute to the next
    (a shared virtual machine's does by half) then slows every page of a round alike,
    and a page is compared with the bare page and its own SQL of the same minutes."""
    clients = {}
    for page in pages:
        clients[page.name] = client = Client()
        _login(client, page.user)
        client.get(page.url)  # warm up: templates, translations, the session
    times: dict[str, list[float]] = {page.name: [] for page in pages}
    for round_ in range(max((page.repeat for page in pages), default=0)):
        for page in pages:
            if round_ < page.repeat:
                times[page.name].append(_timed_get(page, clients[page.name]))
    statements = {page.name: _statements(page, clients[page.name]) for page in pages}
    sql_times: dict[str, list[float]] = {page.name: [] for page in pages}
    for round_ in range(max((_sql_repeat(page) for page in pages), default=0)):
        for page in pages:
            if round_ < _sql_repeat(page):
                sql_times[page.name].append(_replay(statements[page.name][1]))
    results = {}
    for page in pages:
        server = _median(times[page.name])
        sql = _median(sql_times[page.name])
        results[page.name] = {
            "url": page.url,
            "requests": len(times[page.name]),
            "median_ms": _ms(server),
            "p95_ms": _ms(_p95(times[page.name])),
            "queries": statements[page.name][0],
            "sql_median_ms": _ms(sql),
            "ratio_to_sql": round(server / sql, 2) if sql else None,
            # Where the time goes, per request (bench/profile.py).
            "split_ms": profile_requests(clients[page.name], page.url, min(page.repeat, 10)),
        }
    return results


def _sql_repeat(page: Page) -> int:
    return max(3, page.repeat // 2)


def _timed_get(page: Page, client: Client) -> float:
    start = time.perf_counter()
    response = client.get(page.url)
    seconds = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"{page.name}: HTTP {response.status_code} for {page.url}")
    return seconds


def _statements(page: Page, client: Client) -> tuple[int, list[str]]:
    """The number of queries of one request of ``page`` and the statements to replay.
    The captured request's writes are rolled back, so that its statements replay as they
    ran (its audit event takes the same place in the municipality's chain)."""
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        client.get(page.url)
        transaction.set_rollback(True)
    statements = [
        q["sql"] for q in captured.captured_queries if not q["sql"].startswith(SKIP_ON_REPLAY)
    ]
    return len(captured.captured_queries), statements


def _replay(statements: list[str]) -> float:
    """Run the captured statements on a cursor, in a transaction that is rolled back."""
    start = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                if cursor.description is not None:
                    cursor.fetchall()
        transaction.set_rollback(True)
    return time.perf_counter() - start


# --- all of it ------------------------------------------------------------------------------


def run_all(
    *,
    repeat: int = 20,
    slow_repeat: int = 5,
    samples: int = 50,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    log("scan …")
    scan_result = scan()
    log("one-case re-evaluation …")
    reeval = reevaluate(samples)
    log("pages …")
    page_result = pages(repeat, slow_repeat)
    return {"scan": scan_result, "reevaluate": reeval, "pages": page_result}
