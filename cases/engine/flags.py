"""The referral engine and what people do with its flags.

``evaluate`` runs every enabled rule of one municipality as of a date: per rule one
set-based query finds the subjects, new flags are inserted with ON CONFLICT DO NOTHING
(the partial unique constraint makes re-runs, re-delivered tasks and concurrent scans
add nothing), and unresolved flags whose subject no longer matches are resolved with
the reason recorded. With ``case_ids`` it re-evaluates only those cases (after a save).
"""

from __future__ import annotations

import datetime
import functools
import operator
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.engine.combined import case_matches, rule_sql, rule_subjects
from cases.engine.rules import Rule
from cases.models import Flag, RuleSetting
from cases.registry import all_rules, flag_subject

FLAG_KEYS = ("flag_subject", "flag_case", "flag_user", "flag_audience")


@dataclass
class RuleOutcome:
    matched: int = 0
    raised: int = 0
    resolved: int = 0


def rule_settings(municipality_id: int) -> dict[str, tuple[bool, dict[str, int]]]:
    """Each rule's switch and thresholds for the municipality (one query)."""
    stored = {s.rule: s for s in RuleSetting.objects.filter(municipality_id=municipality_id)}
    result = {}
    for rule in all_rules():
        setting = stored.get(rule.code)
        params = {**rule.defaults, **(setting.params if setting else {})}
        result[rule.code] = (setting.enabled if setting else True, params)
    return result


def _json(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value


def evaluate(
    municipality_id: int,
    as_of: datetime.date | None = None,
    *,
    case_ids: list[int] | None = None,
    rules: list[Rule] | None = None,
) -> dict[str, RuleOutcome]:
    as_of = as_of or timezone.localdate()
    settings = rule_settings(municipality_id)
    if case_ids is not None:
        return _evaluate_cases(municipality_id, as_of, case_ids, rules or all_rules(), settings)
    outcomes: dict[str, RuleOutcome] = {}
    chosen = rules or all_rules()
    unresolved = _unresolved_subjects(municipality_id, [r.code for r in rules] if rules else None)
    for rule in chosen:
        enabled, params = settings[rule.code]
        if not enabled:
            # A switched-off rule raises nothing; its open flags are resolved.
            outcome = RuleOutcome()
            outcome.resolved = _resolve(
                municipality_id, rule, None, None, _("The rule was switched off.")
            )
            outcomes[rule.code] = outcome
            continue
        existing = unresolved.get((rule.code, rule.subject), set())
        outcomes[rule.code] = _evaluate_rule(municipality_id, rule, params, as_of, existing)
    return outcomes


def _unresolved_subjects(
    municipality_id: int, codes: list[str] | None = None
) -> dict[tuple[str, str], set[int]]:
    """{(rule, subject type): subjects with an unresolved flag} of every rule of the
    municipality, in one statement (read from the index of
    flag_one_unresolved_per_subject, whose leading column is the municipality) rather than
    one per rule: the steady-state scan is two statements per rule, and this was one of
    them (bench/README.md)."""
    subjects: dict[tuple[str, str], set[int]] = {}
    rows = Flag.objects.filter(
        municipality_id=municipality_id, resolved_at__isnull=True
    ).order_by()  # no sort of them all by the model's ordering
    if codes is not None:
        rows = rows.filter(rule__in=codes)
    for rule, subject_type, subject_id in rows.values_list("rule", "subject_type", "subject_id"):
        subjects.setdefault((rule, subject_type), set()).add(subject_id)
    return subjects


def _evaluate_cases(
    municipality_id: int,
    as_of: datetime.date,
    case_ids: list[int],
    rules: list[Rule],
    settings: dict[str, tuple[bool, dict[str, int]]],
) -> dict[str, RuleOutcome]:
    """Re-evaluating a few cases (after a save) in a fixed number of statements, whatever
    the number of rules and of their matches: the cases' unresolved flags of every rule
    (one), every case rule's own query for the cases as one statement
    (``cases.engine.combined``), then at most one insert of the new flags, one update of
    the details of flags whose rule now sees something else (the person consented since
    the flag was raised: hand over rather than take it to a 支援会議), and one update
    closing those whose condition no longer holds (and one more for the flags of rules
    switched off)."""
    unresolved = Flag.objects.filter(
        municipality_id=municipality_id, case_id__in=case_ids, resolved_at__isnull=True
    )
    known: dict[str, dict[int, tuple[int, Any]]] = {}
    for pk, code, subject_id, detail in unresolved.values_list(
        "pk", "rule", "subject_id", "detail"
    ):
        known.setdefault(code, {})[subject_id] = (pk, detail)
    outcomes: dict[str, RuleOutcome] = {}
    active, switched_off = [], []
    for rule in rules:
        enabled, params = settings[rule.code]
        subject = flag_subject(rule.subject)
        if not enabled:
            outcomes[rule.code] = RuleOutcome(resolved=len(known.get(rule.code, ())))
            if known.get(rule.code):
                switched_off.append(rule.code)
        elif subject is None or subject.per_case:
            active.append((rule, params))
        # else: not records of a case (a concern): the periodic scan covers them
    matches = case_matches(municipality_id, as_of, active, case_ids)
    new: list[Flag] = []
    changed: list[Flag] = []
    stale: list[Q] = []
    for rule, _params in active:
        existing = known.get(rule.code, {})
        outcome, fresh, seen_anew, gone = _compare(
            municipality_id, rule, matches[rule.code], existing, as_of
        )
        if gone:
            stale.append(Q(rule=rule.code, subject_type=rule.subject, subject_id__in=sorted(gone)))
        new += fresh
        changed += seen_anew
        outcomes[rule.code] = outcome
    if new:
        Flag.objects.bulk_create(new, ignore_conflicts=True)
    if changed:
        Flag.objects.bulk_update(changed, ["detail"])
    _close(unresolved, stale, switched_off)
    return outcomes


def _compare(
    municipality_id: int,
    rule: Rule,
    rows: list[dict],
    existing: dict[int, tuple[int, Any]],
    as_of: datetime.date,
) -> tuple[RuleOutcome, list[Flag], list[Flag], set[int]]:
    """One rule's rows for the cases against its unresolved flags: the outcome, the new
    flags, the flags whose detail changed (only their id and new detail) and the subjects
    that no longer match."""
    fresh, seen_anew = [], []
    for row in rows:
        flag = _new_flag(municipality_id, rule, row, as_of)
        if flag.subject_id not in existing:
            fresh.append(flag)
        elif existing[flag.subject_id][1] != flag.detail:
            seen_anew.append(Flag(pk=existing[flag.subject_id][0], detail=flag.detail))
    subjects = {row["flag_subject"] for row in rows}
    gone = set(existing) - subjects
    outcome = RuleOutcome(matched=len(subjects), raised=len(fresh), resolved=len(gone))
    return outcome, fresh, seen_anew, gone


def _close(unresolved: QuerySet, stale: list[Q], switched_off: list[str]) -> None:
    """Resolve the cases' flags whose condition no longer holds (``stale``: per rule, its
    subjects that no longer match) and those of rules switched off: one update each, only
    when there is something to resolve."""
    now = timezone.now()
    if stale:
        unresolved.filter(functools.reduce(operator.or_, stale)).update(
            resolved_at=now, resolution=_("The condition no longer holds.")
        )
    if switched_off:
        unresolved.filter(rule__in=switched_off).update(
            resolved_at=now, resolution=_("The rule was switched off.")
        )


def _new_flag(municipality_id: int, rule: Rule, row: dict, as_of: datetime.date) -> Flag:
    return Flag(
        municipality_id=municipality_id,
        rule=rule.code,
        subject_type=rule.subject,
        subject_id=row["flag_subject"],
        case_id=row.get("flag_case"),
        assigned_to_id=row.get("flag_user"),
        audience=row.get("flag_audience") or rule.audience,
        detail={k: _json(v) for k, v in row.items() if k not in FLAG_KEYS},
        as_of=as_of,
    )


def _evaluate_rule(
    municipality_id: int,
    rule: Rule,
    params: dict[str, int],
    as_of: datetime.date,
    existing: set[int],
) -> RuleOutcome:
    """One rule over the whole municipality (the scan); ``existing``: the subjects with an
    unresolved flag of the rule, read before (``_unresolved_subjects``)."""
    # With subject_type, the conditions of flag_one_unresolved_per_subject exactly.
    unresolved = Flag.objects.filter(
        municipality_id=municipality_id,
        rule=rule.code,
        subject_type=rule.subject,
        resolved_at__isnull=True,
    )
    if not existing and connection.vendor == "postgresql":
        # No flag of this rule yet (a new municipality, a national import, a rule just
        # switched on): every match becomes a flag, inserted by the database itself.
        # Otherwise the few changes are cheaper to find in Python (bench/README.md).
        compiled = rule_sql(rule, municipality_id, as_of, params)
        if compiled is None:
            compiled = rule.query(municipality_id, as_of, params).query.sql_with_params()
        return _evaluate_rule_in_sql(municipality_id, rule, compiled, as_of)
    # A scan with the rule's flags there (the hourly steady state): the matching subjects
    # alone first, by the rule's query compiled once for every municipality
    # (``combined.rule_subjects``). Their detail columns (e.g. every out-of-touch case's
    # last contact) are read only for the few new subjects, not computed and converted
    # for every match to be thrown away.
    subjects = rule_subjects(rule, municipality_id, as_of, params)
    fresh = subjects - existing
    rows = []
    if fresh:
        qs = rule.query(municipality_id, as_of, params)
        if len(fresh) > 500:  # many (a first scan on SQLite): no long IN list
            rows = [row for row in qs if row["flag_subject"] in fresh]
        else:
            rows = list(qs.filter(flag_subject__in=sorted(fresh)))
    outcome = RuleOutcome(matched=len(subjects))
    new = [
        _new_flag(municipality_id, rule, row, as_of)
        for row in rows
        if row["flag_subject"] not in existing
    ]
    if new:
        Flag.objects.bulk_create(new, ignore_conflicts=True)
    outcome.raised = len(new)
    # Only flags seen unresolved above whose subject no longer matches are resolved: no
    # UPDATE at all when nothing changed (the usual case), and never a NOT IN list of
    # every matching subject. A flag inserted meanwhile by a concurrent scan is for a
    # subject that matched there and is left to the next scan.
    stale = existing - subjects
    if stale:
        outcome.resolved = unresolved.filter(subject_id__in=sorted(stale)).update(
            resolved_at=timezone.now(), resolution=_("The condition no longer holds.")
        )
    return outcome


_columns: dict[str, list[str]] = {}


def _evaluate_rule_in_sql(
    municipality_id: int, rule: Rule, compiled: tuple[str, Any], as_of: datetime.date
) -> RuleOutcome:
    """What the Python path of ``_evaluate_rule`` does when the rule has no unresolved
    flag, in one statement (PostgreSQL): the rule's query as a CTE and every match
    inserted as a flag (ON CONFLICT DO NOTHING, as ``bulk_create(ignore_conflicts=True)``).
    No row travels to Python: a first scan raises a flag for every match, and building
    that many flag instances in Python would be most of its time.

    There is nothing to compare and nothing to resolve (the caller has just read that
    the rule has no unresolved flag here); a flag inserted meanwhile by a concurrent scan
    is skipped by the unique constraint and, as on the Python path, one whose subject no
    longer matches is left to the next scan. Anti-joining the matches with the
    municipality's flags and looking for flags to resolve cost a read of all of its
    flags per rule."""
    sql, sql_params = compiled  # the rule's query (``combined.rule_sql``)
    names = _columns.get(rule.code)
    with connection.cursor() as cursor:
        if names is None:
            cursor.execute(f"SELECT * FROM ({sql}) AS m LIMIT 0", sql_params)  # noqa: S608
            names = _columns[rule.code] = [d.name for d in cursor.description]
        detail = [n for n in names if n not in FLAG_KEYS]
        pairs = ", ".join(f"'{n}', m.{connection.ops.quote_name(n)}" for n in detail)
        audience = "m.flag_audience" if "flag_audience" in names else "NULL"
        case = "m.flag_case" if "flag_case" in names else "NULL"
        user = "m.flag_user" if "flag_user" in names else "NULL"
        statement = f"""
            WITH m AS ({sql}),
            ins AS (
                INSERT INTO cases_flag (municipality_id, rule, subject_type, subject_id, case_id,
                    audience, assigned_to_id, detail, state, raised_at, as_of, note, resolution)
                SELECT %s, %s, %s, m.flag_subject, {case}, COALESCE({audience}, %s), {user},
                    jsonb_build_object({pairs}), %s, %s, %s, '', ''
                FROM m
                /* conflict */
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM m), (SELECT count(*) FROM ins)
            """  # noqa: S608  (only column names the rule's own query returned)
        params = [
            *sql_params,
            municipality_id,
            rule.code,
            rule.subject,
            rule.audience,
            Flag.State.OPEN,
            timezone.now(),
            as_of,
        ]
        try:
            # A plain INSERT first: ON CONFLICT's speculative insertion costs about a
            # tenth more per flag, for a conflict that only a concurrent scan of the
            # same municipality and rule can cause (the caller found no flag of it).
            with transaction.atomic():
                cursor.execute(statement, params)
        except IntegrityError:
            cursor.execute(statement.replace("/* conflict */", "ON CONFLICT DO NOTHING"), params)
        matched, raised = cursor.fetchone()
    return RuleOutcome(matched=matched, raised=raised)


def _resolve(
    municipality_id: int,
    rule: Rule,
    still_matching: list[int] | None,
    case_ids: list[int] | None,
    reason: str,
) -> int:
    qs = Flag.objects.filter(
        municipality_id=municipality_id, rule=rule.code, resolved_at__isnull=True
    )
    if case_ids is not None:
        qs = qs.filter(case_id__in=case_ids)
    if still_matching:
        qs = qs.exclude(subject_id__in=still_matching)
    return qs.update(resolved_at=timezone.now(), resolution=reason)


def resolve_subject(municipality_id: int, subject_type: str, subject_id: int, reason: str) -> int:
    """Resolve every unresolved flag about one subject (e.g. a concern just taken up)."""
    return Flag.objects.filter(
        municipality_id=municipality_id,
        subject_type=subject_type,
        subject_id=subject_id,
        resolved_at__isnull=True,
    ).update(resolved_at=timezone.now(), resolution=reason)
