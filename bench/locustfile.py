"""The load test's virtual staff (locust), started by ``bench/loadtest.py``.

Each virtual user signs in with an account of its own (``LOADTEST_ACCOUNTS``, written by
``bench/loadtest_accounts.py``) in one municipality and one role, and does what that
role does, with think time between steps: caseworkers look at the dashboard, search by
kanji and by kana, open cases, record consultations and intakes; coordinators work
through the inbox, matching and session logs; community workers record concerns;
managers open the statistics and export them.

The server runs the production settings behind what would be the TLS proxy: the client
plays the proxy's part and sends ``X-Forwarded-Proto: https`` (trusted from the
loopback only), and, like a browser on ``localhost``, keeps and returns the Secure
cookies over the loopback. Forms are submitted as a browser does: the CSRF token from
the form, the cookie, and an https ``Referer`` of the page. Redirects are not followed
by the client: a form answered with a redirect is a success, and the page it leads to
is requested as the next page. Any answer outside 2xx/3xx, or a redirect to the login
page, is an error.

Every request is kept (name, kind, time, success) and written to ``LOADTEST_SAMPLES``
when the run stops; ``bench/loadtest.py`` makes the table from it.
"""

from __future__ import annotations

import csv
import datetime
import http.cookiejar
import itertools
import json
import os
import random
import sys
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pyotp
from locust import HttpUser, between, events, task
from locust.exception import StopUser

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loadtest_accounts import ROLE_WEIGHTS
from bench.loadtest_forms import Form, form_errors, form_with, links, started_participants
from bench.loadtest_summary import EXPORT, PAGE, SIGN_IN, STATISTICS, Sample

ACCOUNTS = json.loads(Path(os.environ["LOADTEST_ACCOUNTS"]).read_text(encoding="utf-8"))
SAMPLES: list[Sample] = []
WAIT_MIN, WAIT_MAX = (float(s) for s in os.environ.get("LOADTEST_WAIT", "2-8").split("-"))
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _names() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Surnames and given names (kanji, reading in katakana) of the generator."""
    surnames, given = [], []
    with (ROOT / "bench" / "data" / "names.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            (surnames if row["kind"] == "surname" else given).append((row["name"], row["kana"]))
    return surnames, given


SURNAMES, GIVEN_NAMES = _names()


def hiragana(katakana: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in katakana)


def send_secure_cookies_to_loopback(jar: http.cookiejar.CookieJar) -> None:
    """Return the Secure cookies over plain HTTP to the loopback only, as browsers treat
    ``localhost`` as a secure origin: the cookies of a loopback host lose the flag in
    the client's jar (the client's cookie policy is not used for the requests it sends)."""
    for cookie in jar:
        if cookie.secure and cookie.domain.lstrip(".") in LOOPBACK:
            cookie.secure = False


_next_account = {role: itertools.count() for role in ROLE_WEIGHTS}


def take_account(role: str) -> dict:
    """The next unused account of the role: one account per virtual user."""
    accounts = ACCOUNTS["accounts"][role]
    i = next(_next_account[role])
    if i >= len(accounts):
        raise StopUser(f"no account left for another {role}")
    return accounts[i]


@events.request.add_listener
def _keep(
    name: str,
    response_time: float,
    exception: Exception | None,
    context: dict,
    start_time: float = 0.0,
    **_kw,
):
    kind = context.get("kind", PAGE)
    SAMPLES.append(Sample(name, kind, response_time, exception is None, start_time))


@events.quitting.add_listener
def _write_samples(environment, **_kw) -> None:
    path = os.environ.get("LOADTEST_SAMPLES")
    if not path:
        return
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["name", "kind", "ms", "ok", "at"])
        writer.writerows((s.name, s.kind, f"{s.ms:.2f}", int(s.ok), f"{s.at:.3f}") for s in SAMPLES)


class Staff(HttpUser):
    abstract = True
    wait_time = between(WAIT_MIN, WAIT_MAX)
    role = ""

    def on_start(self) -> None:
        self.client.headers.update({"X-Forwarded-Proto": "https", "Accept-Language": "ja"})
        self.account = take_account(self.role)
        self.login()

    # -- requests

    def request(
        self,
        method: str,
        path: str,
        name: str,
        *,
        kind: str = PAGE,
        data: list[tuple[str, str]] | None = None,
        referer: str | None = None,
        code_step: bool = False,
        duplicates_hint: bool = False,
    ):
        """One request, not following redirects; the response, or None on an error.
        ``code_step``: a redirect to the second factor's step is expected;
        ``duplicates_hint``: the intake's 400 that shows possible duplicates for the user
        to rule out is an answer of the portal, not an error."""
        headers = {}
        if method == "POST":
            netloc = urlsplit(self.host).netloc
            headers["Referer"] = f"https://{netloc}{referer or path}"
        with self.client.request(
            method,
            path,
            name=name,
            data=data,
            headers=headers,
            allow_redirects=False,
            catch_response=True,
            context={"kind": kind},
        ) as response:
            send_secure_cookies_to_loopback(self.client.cookies)
            location = response.headers.get("Location", "")
            hint = duplicates_hint and response.status_code == 400
            if hint and 'id="duplicates"' in response.text:
                response.request_meta["name"] = "intake: possible duplicates shown"
                response.success()
                return response
            if hint and 'id="known-elsewhere"' in response.text:
                # Another agency may know the person: the portal asks to confirm.
                response.request_meta["name"] = "intake: known to another agency"
                response.success()
                return response
            if not 200 <= response.status_code < 400:
                response.failure(f"HTTP {response.status_code} {form_errors(response.text)}")
                return None
            to = urlsplit(location).path
            if (
                response.is_redirect
                and to.startswith("/login/")
                and not (code_step and to == "/login/code/")
            ):
                response.failure("sent to the login page")
                return None
            response.success()
            return response

    def get(self, path: str, name: str, kind: str = PAGE) -> str | None:
        response = self.request("GET", path, name, kind=kind)
        return response.text if response is not None else None

    def submit(self, page: str, form: Form, name: str, then: str, **values) -> str | None:
        """Submit ``form`` of ``page`` with ``values``; follow its redirect as ``then``.
        Returns the page it leads to."""
        response = self.request(
            "POST", form.action or page, name, data=form.data(**values), referer=page
        )
        if response is None:
            return None
        if response.is_redirect:
            return self.get(response.headers["Location"], then)
        return response.text

    def login(self) -> None:
        """Password, then (managers) the authenticator's code, as a person signs in."""
        page = self.get("/login/", "login page", kind=SIGN_IN)
        form = page and form_with(page, "username")
        if not form:
            raise StopUser("no login form")
        data = form.data(username=self.account["username"], password=ACCOUNTS["password"])
        response = self.request("POST", "/login/", "login", kind=SIGN_IN, data=data)
        if response is None or not response.is_redirect:
            raise StopUser("login refused")
        # The start page; a manager's session is sent on to the code step first.
        home = self.request("GET", response.headers["Location"], "home", code_step=True)
        location = home.headers.get("Location", "") if home is not None else ""
        if home is not None and urlsplit(location).path == "/login/code/":
            page = self.get(location, "second factor page", kind=SIGN_IN)
            form = page and form_with(page, "code")
            if not form:
                raise StopUser("no second-factor form")
            code = pyotp.TOTP(self.account["totp_base32"]).now()
            response = self.request(
                "POST", location, "second factor", kind=SIGN_IN, data=form.data(code=code)
            )
            if response is None or not response.is_redirect:
                raise StopUser("code refused")
            home = self.request("GET", response.headers["Location"], "home")
        if home is not None and home.is_redirect:
            # The start page sends each role on to its own home.
            home = self.request("GET", home.headers["Location"], "role home")
        if home is None or home.is_redirect:
            raise StopUser("sign-in did not reach the start page")

    # -- what several roles do

    def open_case(self, path: str) -> str | None:
        page = self.get(path, "case page")
        purpose = page and form_with(page, "purpose")
        if purpose:  # a sensitive case: the purpose of access is asked and recorded
            page = self.submit(
                path, purpose, "case page: purpose of access", "case page", purpose="支援のため"
            )
        return page

    @task(1)
    def flag_queue(self) -> None:
        """Every role has a queue of the referral engine's flags."""
        self.get("/cases/flags/", "flag queue")


def _note() -> str:
    return random.choice(
        (
            "電話で近況を確認。生活費の不安について継続して相談する。",
            "来所。就労についての希望を聞き取り、次回面談を設定した。",
            "訪問。家族の介護負担が大きく、関係機関と共有する。",
        )
    )


class Caseworker(Staff):
    weight = ROLE_WEIGHTS["caseworker"]
    role = "caseworker"
    cases: list[str]

    def on_start(self) -> None:
        super().on_start()
        self.cases = []
        self.dashboard()

    @task(3)
    def dashboard(self) -> None:
        page = self.get("/cases/", "dashboard")
        if page:
            self.cases = links(page, r"/cases/\d+/") or self.cases

    def search(self, q: str, name: str) -> None:
        page = self.get("/cases/persons/?" + urlencode({"q": q}), name)
        persons = links(page or "", r"/cases/persons/\d+/")
        if persons and not self.cases:  # no cases of her own yet: open one of theirs
            person = self.get(random.choice(persons), "person page")
            self.cases = links(person or "", r"/cases/\d+/")

    @task(2)
    def search_kanji(self) -> None:
        self.search(random.choice(SURNAMES)[0], "search (kanji)")

    @task(2)
    def search_kana(self) -> None:
        self.search(hiragana(random.choice(SURNAMES)[1]), "search (kana)")

    @task(4)
    def case(self) -> None:
        if self.cases:
            self.open_case(random.choice(self.cases))

    @task(2)
    def consultation(self) -> None:
        if not self.cases:
            return
        case = random.choice(self.cases)
        if not self.open_case(case):
            return
        path = f"{case}consultations/new/"
        page = self.get(path, "consultation form")
        form = page and form_with(page, "summary")
        if form:
            values = form.filled(summary=_note())
            self.submit(path, form, "consultation: save", "case page", **values)

    @task(1)
    def intake(self) -> None:
        """Someone comes in: search the reading of their name first, then the intake for
        the person found, or for a new person."""
        surname, given = random.choice(SURNAMES), random.choice(GIVEN_NAMES)
        query = hiragana(surname[1] + given[1])
        found = self.get("/cases/persons/?" + urlencode({"q": query}), "search (kana)")
        if found is None:
            return
        intakes = links(found, r"/cases/intake/\?person=\d+")
        path = intakes[0] if intakes else "/cases/intake/"
        page = self.get(path, "intake form")
        form = page and form_with(page, "summary")
        if not form:
            return
        categories = random.sample(form.choices.get("categories", []), k=1)
        values = {
            "categories": categories,
            "primary_category": categories[0] if categories else "",
            "summary": _note(),
        }
        if not intakes:
            born = datetime.date(1940, 1, 1) + datetime.timedelta(days=random.randrange(23000))
            values |= {
                "person-name": f"{surname[0]} {given[0]}",
                "person-name_kana": f"{surname[1]} {given[1]}",
                "person-birth_date": born.isoformat(),
            }
        values = form.filled(**values)
        response = self.request(
            "POST", path, "intake: save", data=form.data(**values), duplicates_hint=True
        )
        if response is not None and not response.is_redirect:
            # Persons with a like name or date of birth are shown (or another agency may
            # know one): none is this one.
            form = form_with(response.text, "not_a_duplicate")
            data = form.data(not_a_duplicate="on") if form else []
            response = self.request("POST", path, "intake: save (a new person)", data=data)
        if response is not None and response.is_redirect:
            self.get(response.headers["Location"], "case page")


class Coordinator(Staff):
    weight = ROLE_WEIGHTS["coordinator"]
    role = "coordinator"

    @task(3)
    def inbox(self) -> None:
        page = self.get("/participation/inbox/", "participation inbox")
        referrals = links(page or "", r"/participation/referrals/\d+/match/")
        if referrals:
            self.get(random.choice(referrals), "matching")

    @task(2)
    def session_log(self) -> None:
        catalogue = self.get("/participation/", "menu catalogue")
        menus = links(catalogue or "", r"/participation/menus/\d+/")
        menu = menus and self.get(random.choice(menus), "menu page")
        assignments = started_participants(menu or "", datetime.date.today())
        if not assignments:
            return
        path = random.choice(assignments)
        page = self.get(path, "assignment page")
        form = page and form_with(page, "attendance")
        if form:
            self.submit(
                path,
                form,
                "session log: save",
                "assignment page",
                **form.filled(
                    held_on=datetime.date.today().isoformat(),
                    observation="落ち着いて作業に参加した。",
                ),
            )


class CommunityWorker(Staff):
    weight = ROLE_WEIGHTS["community_worker"]
    role = "community_worker"

    @task(2)
    def places(self) -> None:
        self.get("/community/", "place register")

    @task(2)
    def concern(self) -> None:
        page = self.get("/community/concerns/new/", "concern form")
        form = page and form_with(page, "observation")
        if form:
            observation = "最近、郵便受けに新聞がたまっている。近所の方も姿を見ていない。"
            self.submit(
                "/community/concerns/new/",
                form,
                "concern: save",
                "my concerns",
                **form.filled(observation=observation),
            )

    @task(1)
    def my_concerns(self) -> None:
        self.get("/community/concerns/mine/", "my concerns")


class Manager(Staff):
    weight = ROLE_WEIGHTS["manager"]
    role = "manager"

    @task(2)
    def dashboard(self) -> None:
        self.get("/cases/", "dashboard")

    @task(2)
    def statistics(self) -> None:
        page = self.get("/cases/statistics/", "statistics", kind=STATISTICS)
        exports = links(page or "", r"\?[^\"]*export=(csv|xlsx)")
        if exports and random.random() < 0.3:
            export = random.choice(exports)
            label = "export (CSV)" if export.endswith("csv") else "export (Excel)"
            self.get("/cases/statistics/" + export, label, kind=EXPORT)
