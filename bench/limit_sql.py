"""The referral rules written by hand as plain SQL: the limit a scan is compared with.

Each statement finds the same subjects as the rule of the same name (``cases/rules.py``,
``participation/rules.py``, ``community/rules.py``) with the same thresholds, and
nothing else: no flags are written. Dates are computed here and passed as parameters, so
the SQL runs on PostgreSQL and SQLite alike (the test suite checks that both find the
same number of subjects as the rules).
"""

from __future__ import annotations

import datetime
import time
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction

from cases.engine.flags import rule_settings
from cases.engine.rules import years_before

TOKYO = ZoneInfo("Asia/Tokyo")

OPEN = "c.municipality_id = %(mid)s AND c.deleted_at IS NULL AND c.status <> 'closed'"


def _has_category(codes: str) -> str:
    return f"""EXISTS (SELECT 1 FROM cases_casecategory cc
        JOIN cases_issuecategory ic ON ic.id = cc.category_id
        WHERE cc.case_id = c.id AND cc.municipality_id = %(mid)s AND ic.code IN ({codes}))"""


def _start_of(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(0), TOKYO)


def _menu_created_on() -> str:
    if connection.vendor == "postgresql":
        return "(m.created_at AT TIME ZONE 'Asia/Tokyo')::date"
    return "date(m.created_at)"


RULES: dict[str, str] = {
    "needs_participation": f"""
        SELECT c.id FROM cases_case c
        WHERE {OPEN} AND c.opened_on <= %(opened_before)s
          AND {_has_category("'isolation', 'hikikomori', 'job_search'")}
          AND NOT EXISTS (SELECT 1 FROM participation_assignment a
                          WHERE a.case_id = c.id AND a.municipality_id = %(mid)s
                            AND a.status IN ('trial', 'active'))
          AND NOT EXISTS (SELECT 1 FROM cases_referral r
                          WHERE r.case_id = c.id AND r.municipality_id = %(mid)s
                            AND r.to_program = 'participation'
                            AND r.status IN ('proposed', 'accepted'))""",
    "participation_concern": """
        SELECT c.id FROM cases_case c
        WHERE {open} AND (
          EXISTS (SELECT 1 FROM participation_sessionlog l
                  JOIN participation_assignment a ON a.id = l.assignment_id
                  WHERE a.case_id = c.id AND l.municipality_id = %(mid)s
                    AND l.held_on >= %(since)s AND l.held_on <= %(as_of)s
                    AND l.concerns <> %(empty_list)s)
          OR EXISTS (
            SELECT 1 FROM participation_assignment a
            JOIN participation_menu m ON m.id = a.menu_id
            WHERE a.case_id = c.id AND a.municipality_id = %(mid)s
              AND a.status IN ('trial', 'active')
              AND (SELECT count(*) FROM participation_sessionlog l
                   WHERE l.assignment_id = a.id AND l.attendance = 'absent'
                     AND l.held_on > COALESCE(
                       (SELECT max(p.held_on) FROM participation_sessionlog p
                        WHERE p.assignment_id = a.id AND p.attendance <> 'absent'),
                       a.start_on, {menu_created_on})) >= %(missed)s))""",
    "community_concern_unanswered": """
        SELECT k.id FROM community_concern k
        WHERE k.municipality_id = %(mid)s AND k.status = 'received' AND k.case_id IS NULL
          AND k.created_at < %(received_before)s""",
    # Outreach: the targets' summary columns, kept by every contact.
    "outreach_contact_overdue": """
        SELECT t.id FROM outreach_outreachtarget t
        WHERE t.municipality_id = %(mid)s
          AND t.stage IN ('found', 'contact', 'relationship', 'consent')
          AND t.next_contact_on < %(cutoff)s""",
    "outreach_attempts_failing": """
        SELECT t.id FROM outreach_outreachtarget t
        LEFT JOIN cases_meeting m ON m.id = t.basis_meeting_id
        WHERE t.municipality_id = %(mid)s
          AND t.stage IN ('found', 'contact', 'relationship', 'consent')
          AND t.failed_in_a_row >= %(attempts)s
          AND NOT (m.held_on IS NOT NULL AND t.last_contact_on IS NOT NULL
                   AND m.held_on >= t.last_contact_on)""",
    "outreach_consented": """
        SELECT t.id FROM outreach_outreachtarget t
        WHERE t.municipality_id = %(mid)s AND t.stage = 'consent'
          AND t.stage_since <= %(consented_before)s""",
    "isolation_no_place": f"""
        SELECT c.id FROM cases_case c
        WHERE {OPEN} AND c.opened_on <= %(opened_before)s
          AND {_has_category("'isolation'")}
          AND NOT EXISTS (SELECT 1 FROM community_caseplace cp
                          WHERE cp.case_id = c.id AND cp.municipality_id = %(mid)s
                            AND cp.ended_on IS NULL)""",
    "out_of_touch": f"""
        SELECT c.id FROM cases_case c
        WHERE {OPEN}
          AND NOT EXISTS (SELECT 1 FROM cases_consultation k
                          WHERE k.case_id = c.id AND k.deleted_at IS NULL
                            AND k.occurred_at >= %(contact_since)s)
          AND (c.opened_on < %(cutoff)s
               OR EXISTS (SELECT 1 FROM cases_consultation k
                          WHERE k.case_id = c.id AND k.deleted_at IS NULL))""",
    "plan_review_due": f"""
        SELECT c.id, p.review_on FROM cases_case c
        JOIN (SELECT case_id, max(review_on) AS review_on FROM cases_supportplan
              WHERE municipality_id = %(mid)s AND status = 'decided'
              GROUP BY case_id HAVING min(review_on) < %(cutoff)s) p ON p.case_id = c.id
        WHERE {OPEN}""",
    "needs_multiagency": f"""
        SELECT c.id FROM cases_case c
        JOIN cases_casecategory cc ON cc.case_id = c.id AND cc.municipality_id = %(mid)s
        JOIN cases_issuecategory ic ON ic.id = cc.category_id AND ic.field <> 'other'
        WHERE {OPEN} AND c.opened_on <= %(opened_before)s
          AND NOT EXISTS (SELECT 1 FROM cases_meetingcase mc
                          JOIN cases_meeting m ON m.id = mc.meeting_id
                          WHERE mc.case_id = c.id AND mc.municipality_id = %(mid)s
                            AND m.kind = 'multiagency')
          AND NOT EXISTS (SELECT 1 FROM cases_referral r
                          WHERE r.case_id = c.id AND r.municipality_id = %(mid)s
                            AND r.to_program = 'multiagency'
                            AND r.status IN ('proposed', 'accepted'))
        GROUP BY c.id HAVING count(DISTINCT ic.field) >= %(fields)s""",
    "referral_not_acknowledged": """
        SELECT r.id FROM cases_referral r JOIN cases_case c ON c.id = r.case_id
        WHERE r.municipality_id = %(mid)s AND r.status = 'proposed'
          AND r.acknowledge_by < %(cutoff)s AND c.deleted_at IS NULL""",
    "household_pattern": """
        SELECT c.id FROM cases_case c
        WHERE {open} AND c.household_id IS NOT NULL AND (
          (EXISTS ({member} AND p.birth_date <= %(elderly)s)
           AND EXISTS ({member} AND p.birth_date <= %(middle_young)s
                       AND p.birth_date > %(middle_old)s AND hm.works = %(false)s)
           AND NOT {has_8050})
          OR (EXISTS ({member} AND hm.is_carer = %(true)s)
              AND EXISTS ({member} AND hm.needs_care = %(true)s AND p.birth_date <= %(elderly)s)
              AND EXISTS ({member} AND p.birth_date > %(minor)s
                          AND hm.relationship IN ('son', 'daughter', 'grandchild'))
              AND NOT {has_double_care})
          OR (EXISTS ({member} AND hm.is_carer = %(true)s AND p.birth_date > %(minor)s)
              AND NOT {has_young_carer}))""",
}

MEMBER = """SELECT 1 FROM cases_householdmember hm JOIN cases_person p ON p.id = hm.person_id
    WHERE hm.household_id = c.household_id AND hm.left_at IS NULL
      AND hm.municipality_id = %(mid)s AND p.municipality_id = %(mid)s"""


def _sql(code: str) -> str:
    sql = RULES[code]
    if code == "participation_concern":
        return sql.format(open=OPEN, menu_created_on=_menu_created_on())
    if code == "household_pattern":
        return sql.format(
            open=OPEN,
            member=MEMBER,
            has_8050=_has_category("'p8050'"),
            has_double_care=_has_category("'double_care'"),
            has_young_carer=_has_category("'young_carer'"),
        )
    return sql


def _params(code: str, mid: int, as_of: datetime.date, p: dict[str, int]) -> dict[str, Any]:
    days = datetime.timedelta(days=p.get("days", 0))
    grace = datetime.timedelta(days=p.get("grace_days", 0))
    base: dict[str, Any] = {"mid": mid, "as_of": as_of}
    if code in ("needs_participation", "isolation_no_place", "needs_multiagency"):
        base["opened_before"] = as_of - days
        base["fields"] = p.get("fields", 0)
    elif code == "participation_concern":
        base.update(since=as_of - days, missed=p["missed"], empty_list="[]")
    elif code == "community_concern_unanswered":
        base["received_before"] = _start_of(as_of - days + datetime.timedelta(days=1))
    elif code == "out_of_touch":
        cutoff = as_of - days
        base.update(cutoff=cutoff, contact_since=_start_of(cutoff))
    elif code in ("plan_review_due", "referral_not_acknowledged", "outreach_contact_overdue"):
        base["cutoff"] = as_of - grace
    elif code == "outreach_attempts_failing":
        base["attempts"] = p["attempts"]
    elif code == "outreach_consented":
        base["consented_before"] = as_of - days
    elif code == "household_pattern":
        base.update(
            elderly=years_before(as_of, p["elderly_age"]),
            middle_young=years_before(as_of, p["middle_age_min"]),
            middle_old=years_before(as_of, p["middle_age_max"] + 1),
            minor=years_before(as_of, p["minor_age"]),
            true=True,
            false=False,
        )
    return base


def hand_written_scan(municipality_ids: list[int], as_of: datetime.date) -> dict[str, Any]:
    """Run every enabled rule's hand-written SQL for each municipality; seconds and rows.
    Rules registered by programs that have no statement here are counted in ``missing``."""
    statements = []
    missing: set[str] = set()
    for mid in municipality_ids:
        for code, (enabled, params) in rule_settings(mid).items():
            if not enabled:
                continue
            if code not in RULES:
                missing.add(code)
                continue
            statements.append((code, _sql(code), _params(code, mid, as_of, params)))
    by_rule: dict[str, int] = {}
    start = time.perf_counter()
    with connection.cursor() as cursor:
        for code, sql, params in statements:
            cursor.execute(sql, params)
            by_rule[code] = by_rule.get(code, 0) + len(cursor.fetchall())
    seconds = time.perf_counter() - start
    return {
        "seconds": round(seconds, 3),
        "rows": sum(by_rule.values()),
        "by_rule": by_rule,
        "missing": sorted(missing),
    }


# The subject and case of each kind of subject the hand-written SQL returns (its first
# column): a first scan's flag names both.
_SUBJECT_CASE = {
    "case": "m.id",
    "referral": "(SELECT r.case_id FROM cases_referral r WHERE r.id = m.id)",
    "concern": "NULL",
    "outreach": "(SELECT t.case_id FROM outreach_outreachtarget t WHERE t.id = m.id)",
}


def hand_written_first_run(municipality_ids: list[int], as_of: datetime.date) -> dict[str, Any]:
    """The limit of a first scan: every enabled rule's hand-written SQL as an ``INSERT …
    SELECT`` of its flags (the rule, subject, case and audience; no detail) into the
    empty flags table, committed in one transaction: the flags inserted as durably as
    the scan inserts them, with the fewest commits. The time includes the commit (the
    flush of the write-ahead log, which a rolled-back insert never waits for and every
    real insert does); ``seconds_before_commit`` is the time without it. The flags are
    deleted afterwards, outside the timing. In a transaction that cannot commit (the
    tests'), the inserts are rolled back and the two times are the same."""
    from cases.registry import get_rule

    statements = []
    for mid in municipality_ids:
        for code, (enabled, params) in rule_settings(mid).items():
            rule = get_rule(code)
            if not enabled or code not in RULES or rule is None:
                continue
            case = _SUBJECT_CASE.get(rule.subject, "NULL")
            sql = f"""
                INSERT INTO cases_flag (municipality_id, rule, subject_type, subject_id,
                    case_id, audience, detail, state, raised_at, as_of, note, resolution)
                SELECT %(mid)s, %(code)s, %(subject)s, m.id, {case}, %(audience)s, %(detail)s,
                    'open', %(now)s, %(as_of)s, '', ''
                FROM ({_sql(code)}) m"""
            values = {
                **_params(code, mid, as_of, params),
                "code": code,
                "subject": rule.subject,
                "audience": rule.audience,
                "detail": "{}",
                "now": datetime.datetime.now(datetime.UTC),
            }
            statements.append((sql, values))
    committed = not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM cases_flag)")
        if cursor.fetchone()[0]:
            raise RuntimeError("the first run's limit needs an empty flags table")
    rows = 0
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for sql, values in statements:
            cursor.execute(sql, values)
            rows += cursor.rowcount
        before_commit = time.perf_counter() - start
        if not committed:
            transaction.set_rollback(True)
    seconds = time.perf_counter() - start if committed else before_commit
    if committed:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM cases_flag")
    return {
        "seconds": round(seconds, 3),
        "seconds_before_commit": round(before_commit, 3),
        "committed": committed,
        "rows": rows,
    }
