"""The load test's parts that need no load: its figures and closing line, how its
virtual users read pages and fill forms, the refusal without PostgreSQL and Redis, and
the accounts it prepares, signed in and walked through the real pages (no load tool, no
server: the test client)."""

from __future__ import annotations

import base64
import datetime
from urllib.parse import urlencode

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from bench.generate import generate
from bench.loadtest import Refused, check_services, seconds_of
from bench.loadtest_accounts import ROLE_WEIGHTS, accounts_needed, prepare_accounts
from bench.loadtest_forms import form_errors, form_with, forms, links, started_participants
from bench.loadtest_summary import (
    EXPORT,
    KINDS,
    PAGE,
    RAMP_UP,
    SIGN_IN,
    STATISTICS,
    Sample,
    csv_table,
    last_line,
    markdown_table,
    percentile,
    split_ramp_up,
    summarise,
)
from municipalities.models import Membership, Role, User
from tests.factories import MunicipalityFactory

# --- figures ------------------------------------------------------------------------------


def test_percentile_is_the_nearest_rank():
    values = [float(v) for v in range(1, 101)]  # 1 … 100
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile([7.0], 95) == 7
    assert percentile([], 95) == 0


def test_the_closing_line_covers_the_pages_and_reports_the_others_apart():
    samples = [Sample("dashboard", PAGE, float(ms), True) for ms in range(10, 110)]
    samples += [Sample("case page", PAGE, 900.0, False)]
    samples += [Sample("statistics", STATISTICS, 5000.0, True)]
    samples += [Sample("export (CSV)", EXPORT, 7000.0, False)]
    samples += [Sample("login", SIGN_IN, 3000.0, True)]
    rows, totals = summarise(samples, seconds=10)
    assert [r.name for r in rows] == [
        "case page",
        "dashboard",
        "statistics",
        "export (CSV)",
        "login",
    ]
    pages = totals[PAGE]
    assert (pages.requests, pages.errors, pages.max) == (101, 1, 900)
    assert totals[EXPORT].errors == 1
    assert last_line(pages, 50) == (
        "loadtest: 101 requests, 1 errors, p50 60 ms, p95 105 ms, 10.1 req/s, 50 users"
    )
    table = markdown_table(rows, totals)
    assert "| statistics | statistics | 1 | 0 | 5000 | 5000 | 5000 | 0.10 |" in table
    assert "| **all pages** | **page** | **101** | **1** |" in table
    assert csv_table(rows, totals).splitlines()[0] == (
        "name,kind,requests,errors,p50 ms,p95 ms,max ms,req/s"
    )


def test_pages_before_the_last_sign_in_ended_are_the_ramp_up():
    samples = [
        Sample("login", SIGN_IN, 2000.0, True, at=100.0),
        Sample("dashboard", PAGE, 900.0, True, at=101.0),  # another user still signing in
        Sample("login", SIGN_IN, 3000.0, True, at=102.0),  # the last sign-in ends at 105
        Sample("dashboard", PAGE, 50.0, True, at=106.0),
        Sample("statistics", STATISTICS, 400.0, True, at=114.6),  # the last answer: 115
    ]
    split, seconds = split_ramp_up(samples)
    assert [s.kind for s in split] == [SIGN_IN, RAMP_UP, SIGN_IN, PAGE, STATISTICS]
    assert seconds[PAGE] == pytest.approx(10.0)
    assert seconds[RAMP_UP] == pytest.approx(5.0)
    assert seconds[SIGN_IN] == pytest.approx(15.0)
    _rows, totals = summarise(split, seconds)
    assert (totals[PAGE].requests, totals[PAGE].p95, totals[PAGE].per_second) == (1, 50, 0.1)
    assert totals[RAMP_UP].requests == 1
    rows, _totals = summarise(split, seconds)
    assert [(r.name, r.kind) for r in rows] == [
        ("dashboard", PAGE),
        ("statistics", STATISTICS),
        ("login", SIGN_IN),
    ]
    assert split_ramp_up([]) == ([], dict.fromkeys(KINDS, 0.0))


def test_an_unknown_kind_of_request_is_refused():
    with pytest.raises(ValueError, match="unknown kind"):
        summarise([Sample("x", "elsewhere", 1.0, True)], seconds=1)


# --- reading pages ------------------------------------------------------------------------

PAGE_HTML = """
<a href="/cases/12/">A</a><a href="/cases/12/">again</a><a href="/cases/7/edit/">edit</a>
<a href="?fiscal_year=2026&amp;export=csv">CSV</a>
<form method="get" action="/cases/persons/"><input name="q"></form>
<form method="post">
  <input type="hidden" name="csrfmiddlewaretoken" value="tok">
  <input type="datetime-local" name="occurred_at" value="2026-11-30T10:00">
  <select name="method"><option value="">---------</option><option value="3">来所</option>
    <option value="4">電話</option></select>
  <select name="assigned_to"><option value="">-</option><option value="9" selected>私</option>
  </select>
  <label><input type="checkbox" name="categories" value="1"> 1</label>
  <label><input type="checkbox" name="categories" value="2" checked> 2</label>
  <input type="radio" name="urgency" value="normal" checked><input type="radio" name="urgency"
    value="urgent">
  <textarea name="summary">
前回の続き</textarea>
  <button type="submit" name="save">保存</button>
</form>
<div class="error" role="alert"><p>Nothing &amp; saved.</p></div>
<span class="field-error" role="alert">必須です。</span>
"""


def test_a_form_is_read_as_a_browser_would_send_it():
    get_form, form = forms(PAGE_HTML)
    assert (get_form.method, get_form.action) == ("get", "/cases/persons/")
    assert form_with(PAGE_HTML, "summary") == form
    assert form.method == "post"
    assert form.fields == [
        ("csrfmiddlewaretoken", "tok"),
        ("occurred_at", "2026-11-30T10:00"),
        ("method", ""),
        ("assigned_to", "9"),
        ("categories", "2"),
        ("urgency", "normal"),
        ("summary", "前回の続き"),
    ]
    assert form.choices["method"] == ["3", "4"]
    sent = form.data(summary="新しい記録", categories=["1", "2"])
    assert ("csrfmiddlewaretoken", "tok") in sent
    assert ("summary", "新しい記録") in sent
    assert [v for k, v in sent if k == "categories"] == ["1", "2"]


def test_filling_a_form_chooses_only_what_would_be_sent_blank():
    form = form_with(PAGE_HTML, "summary")
    for _ in range(20):
        values = form.filled(summary="記録")
        assert values["method"] in ("3", "4")
        assert "assigned_to" not in values  # already chosen
        assert "categories" not in values  # boxes stay as the user left them
        assert values["summary"] == "記録"


def test_links_are_unescaped_distinct_and_matched_whole():
    assert links(PAGE_HTML, r"/cases/\d+/") == ["/cases/12/"]
    assert links(PAGE_HTML, r"\?[^\"]*export=(csv|xlsx)") == ["?fiscal_year=2026&export=csv"]


def test_form_errors_are_read_for_the_error_report():
    assert form_errors(PAGE_HTML) == "Nothing & saved. 必須です。"


# --- the run's settings -------------------------------------------------------------------


def test_the_load_test_refuses_sqlite_and_a_missing_broker():
    with pytest.raises(Refused, match="DATABASE_URL=postgres"):
        check_services({"DATABASE_URL": "sqlite:///db.sqlite3", "CELERY_BROKER_URL": "redis://x"})
    with pytest.raises(Refused, match="CELERY_BROKER_URL=redis"):
        check_services({"DATABASE_URL": "postgres://u@h/db"})
    check_services({"DATABASE_URL": "postgres://u@h/db", "CELERY_BROKER_URL": "redis://h/9"})


def test_durations_are_read_like_the_load_tool_reads_them():
    assert seconds_of("3m") == 180
    assert seconds_of("90s") == 90
    assert seconds_of("1h30m") == 5400
    assert seconds_of("45") == 45
    with pytest.raises(Refused):
        seconds_of("three minutes")


@pytest.mark.parametrize("users", [1, 50, 75, 150])
def test_every_role_gets_at_least_its_share_of_accounts(users):
    needed = accounts_needed(users)
    total = sum(ROLE_WEIGHTS.values())
    for role, weight in ROLE_WEIGHTS.items():
        assert needed[role] > users * weight / total


# --- accounts, signed in and walked through the real pages --------------------------------

TODAY = datetime.date(2026, 11, 27)


@pytest.fixture
def data_set(db):
    municipalities = [
        MunicipalityFactory(code="272035", prefecture="大阪府", name="豊中市"),
        MunicipalityFactory(code="322016", prefecture="島根県", name="松江市"),
        MunicipalityFactory(code="331007", prefecture="岡山県", name="岡山市"),
    ]
    generate(90, seed=5, today=TODAY, municipalities=municipalities)
    return municipalities


def _sign_in(client, account: dict, password: str) -> None:
    response = client.post(
        "/login/", {"username": account["username"], "password": password}, secure=True
    )
    assert response.status_code == 302, form_errors(response.content.decode())
    home = client.get(response["Location"], secure=True)
    if "totp_base32" in account:
        # The code the load client computes from the key it was given.
        assert home["Location"].startswith("/login/code/")
        key = base64.b32decode(account["totp_base32"])
        code = f"{TOTP(key).token():06d}"
        response = client.post(home["Location"], {"code": code}, secure=True)
        assert response.status_code == 302, form_errors(response.content.decode())
        home = client.get(response["Location"], secure=True)
    if home.status_code == 302:  # on to the role's own home
        home = client.get(home["Location"], secure=True)
    assert home.status_code == 200


def _submit(client, page: str, field: str, **values) -> object:
    html = client.get(page, secure=True).content.decode()
    form = form_with(html, field)
    assert form is not None, f"{page} has no form with {field}"
    return client.post(
        form.action or page,
        urlencode(form.data(**form.filled(**values))),
        content_type="application/x-www-form-urlencoded",
        secure=True,
    )


@pytest.mark.real_second_factor
def test_accounts_sign_in_in_their_municipality_and_role_and_do_what_the_role_does(
    data_set, client
):
    accounts = prepare_accounts(users=20, municipalities=2, password="load-test-pass-1")
    codes = [m["code"] for m in accounts["municipalities"]]
    assert len(codes) == 2
    for role, role_accounts in accounts["accounts"].items():
        assert len(role_accounts) == accounts_needed(20)[role]
        for account in role_accounts:
            membership = Membership.objects.get(user__username=account["username"], is_active=True)
            assert (membership.role, membership.municipality.code) == (
                role,
                account["municipality"],
            )
            assert account["municipality"] in codes
    # The generator's staff first (they have cases), then accounts of the load test.
    caseworkers = [a["username"] for a in accounts["accounts"][Role.CASEWORKER]]
    assert caseworkers[0].startswith("gen-")
    managers = accounts["accounts"][Role.MANAGER]
    assert any(m["username"].startswith("loadtest-") for m in managers)
    assert TOTPDevice.objects.filter(
        user__username__in=[m["username"] for m in managers]
    ).count() == len(managers)

    caseworker, coordinator, community, manager = (
        accounts["accounts"][role][0]
        for role in (Role.CASEWORKER, Role.COORDINATOR, Role.COMMUNITY_WORKER, Role.MANAGER)
    )
    _sign_in(client, caseworker, "load-test-pass-1")
    dashboard = client.get("/cases/", secure=True).content.decode()
    case = links(dashboard, r"/cases/\d+/")[0]
    response = _submit(client, f"{case}consultations/new/", "summary", summary="電話で確認。")
    assert response.status_code == 302
    response = _submit(
        client,
        "/cases/intake/",
        "summary",
        **{
            "person-name": "負荷 試験",
            "person-name_kana": "フカ シケン",
            "summary": "来所。",
        },
    )
    assert response.status_code == 302, form_errors(response.content.decode())

    client.logout()
    _sign_in(client, community, "load-test-pass-1")
    response = _submit(client, "/community/concerns/new/", "observation", observation="気づき")
    assert response.status_code == 302

    client.logout()
    _sign_in(client, manager, "load-test-pass-1")
    statistics = client.get("/cases/statistics/", secure=True).content.decode()
    export = links(statistics, r"\?[^\"]*export=(csv|xlsx)")[0]
    assert client.get("/cases/statistics/" + export, secure=True).status_code == 200

    client.logout()
    _sign_in(client, coordinator, "load-test-pass-1")
    assert client.get("/participation/inbox/", secure=True).status_code == 200
    catalogue = client.get("/participation/", secure=True).content.decode()
    started = [
        assignment
        for menu in links(catalogue, r"/participation/menus/\d+/")
        for assignment in started_participants(
            client.get(menu, secure=True).content.decode(), datetime.date.today()
        )
    ]
    assert started, "the generated menus have participants who have started"
    response = _submit(client, started[0], "attendance", held_on=datetime.date.today().isoformat())
    assert response.status_code == 302, form_errors(response.content.decode())

    # A second run takes the same accounts, gives the managers new keys and adds none.
    users = User.objects.count()
    again = prepare_accounts(users=20, municipalities=2, password="load-test-pass-2")
    assert again["accounts"][Role.CASEWORKER] == accounts["accounts"][Role.CASEWORKER]
    assert [a["username"] for a in again["accounts"][Role.MANAGER]] == [
        m["username"] for m in managers
    ]
    assert again["accounts"][Role.MANAGER][0]["totp_base32"] != managers[0]["totp_base32"]
    assert User.objects.count() == users
