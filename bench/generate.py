"""A synthetic national data set: invented, realistic records for every roster
municipality, sized by population, for benchmarks (``bench/generate_data.py``).

Everything is invented. Names come from ``bench/data/names.csv`` (common surnames and
given names with their readings); stories are short stock phrases. The output is
deterministic for a seed and a reference day: each municipality draws from its own
random stream (seed and municipality code), so its records do not depend on the others.

Speed: rows are built as plain dicts with explicit primary keys and written in
batches, with ``COPY … FROM STDIN`` on PostgreSQL and ``bulk_create`` elsewhere. Nothing
goes through the services, so the generator itself keeps the invariants the services
enforce: a decided plan was approved at a 重層的支援会議 whose cases all have consent
covering it on the day; assignments come from an accepted referral to participation;
one primary issue per case; one open assignment per case and menu; one activity record
per place and day; consultations are never in the future; a closed case has a closing
date and reason; a household has its case's person as 本人.

Population: the code table carries no population, so a municipality's size is derived
deterministically from the kind of municipality (政令指定都市, 特別区, 市, 町, 村) and
a stable jitter from its code. The generated case counts are proportional to it.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.color import no_style
from django.db import connections, models, transaction
from django.utils import timezone

from cases.core.text import search_key
from cases.models import (
    Case,
    CaseAgency,
    CaseCategory,
    CaseEvent,
    Consent,
    Consultation,
    ConsultationMethod,
    ContactRoute,
    Household,
    HouseholdMember,
    IssueCategory,
    Meeting,
    MeetingAttendee,
    MeetingCase,
    Person,
    PlanAction,
    Referral,
    SupportAgency,
    SupportPlan,
)
from cases.programs import AGENCY, CONSULTATION
from community.models import ActivityRecord, CasePlace, Concern, Place, PlatformSession
from municipalities.models import Membership, Municipality, Organisation, Role, User
from participation.models import Assignment, Menu, ParticipationProfile, Provider, SessionLog
from participation.program import PROGRAM as PARTICIPATION
from portal.fiscal import fiscal_year_of

TOKYO = ZoneInfo("Asia/Tokyo")
NAMES_FILE = Path(__file__).resolve().parent / "data" / "names.csv"
USERNAME_PREFIX = "gen-"


# --- names and sizes -------------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    surnames: list[tuple[str, str]]
    male: list[tuple[str, str]]
    female: list[tuple[str, str]]


def load_names(path: Path = NAMES_FILE) -> Names:
    lists: dict[str, list[tuple[str, str]]] = {"surname": [], "male": [], "female": []}
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            lists[row["kind"]].append((row["name"], row["kana"]))
    return Names(lists["surname"], lists["male"], lists["female"])


def _stable_fraction(text: str) -> float:
    """A number in [0, 1) that depends only on ``text``."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) / 0x100000000


def size_weight(code: str, name: str) -> float:
    """A plausible relative population for a municipality without population data:
    政令指定都市 (code XX1YY0 with 市) ~ 20, 特別区 ~ 8, 市 ~ 3, 町 ~ 0.6, 村 ~ 0.2, each
    times a stable jitter between 0.5 and 2 taken from the code."""
    if name.endswith("区") and code.startswith("13"):
        base = 8.0
    elif name.endswith("市") and code[2] == "1":
        base = 20.0
    elif name.endswith("市"):
        base = 3.0
    elif name.endswith("町"):
        base = 0.6
    else:
        base = 0.2
    return base * 2 ** (_stable_fraction(code) * 2 - 1)


def allocate(total: int, weights: dict[Any, float]) -> dict[Any, int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder, at least one each
    when there are enough)."""
    floor = 1 if total >= len(weights) else 0
    rest = total - floor * len(weights)
    whole = sum(weights.values()) or 1.0
    shares = {k: rest * w / whole for k, w in weights.items()}
    counts = {k: floor + int(s) for k, s in shares.items()}
    left = total - sum(counts.values())
    for k in sorted(shares, key=lambda k: (-(shares[k] - int(shares[k])), str(k)))[:left]:
        counts[k] += 1
    return counts


# --- the writer ------------------------------------------------------------------------


def _now_default(f: models.Field) -> Callable[[], Any] | None:
    if isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add):
        return timezone.now
    if isinstance(f, models.DateField) and (f.auto_now or f.auto_now_add):
        return timezone.localdate
    return None


class Writer:
    """Writes rows (dicts keyed by attribute name, ``id`` included) in batches."""

    def __init__(self, using: str = "default") -> None:
        self.using = using
        self.connection = connections[using]
        self.copy = self.connection.vendor == "postgresql"
        self._next: dict[type[models.Model], int] = {}
        self._columns: dict[type[models.Model], list[tuple[models.Field, Any]]] = {}
        self.rows: dict[str, int] = {}
        self.touched: set[type[models.Model]] = set()

    def ids(self, model: type[models.Model], n: int) -> list[int]:
        if model not in self._next:
            top = model.objects.using(self.using).aggregate(m=models.Max("pk"))["m"] or 0
            self._next[model] = top + 1
        start = self._next[model]
        self._next[model] = start + n
        return list(range(start, start + n))

    def _spec(self, model: type[models.Model]) -> list[tuple[models.Field, Any]]:
        if model not in self._columns:
            spec = []
            for f in model._meta.concrete_fields:
                now = _now_default(f)
                if now is not None:
                    default: Any = now
                elif f.has_default():
                    default = f.get_default
                elif f.null:
                    default = None
                else:
                    default = ""
                spec.append((f, default))
            self._columns[model] = spec
        return self._columns[model]

    def write(self, model: type[models.Model], rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        self.touched.add(model)
        spec = self._spec(model)
        label = model._meta.label
        self.rows[label] = self.rows.get(label, 0) + len(rows)
        if self.copy:
            self._copy(model, spec, rows)
        else:
            objs = []
            for row in rows:
                values = {}
                for f, default in spec:
                    if f.attname in row:
                        values[f.attname] = row[f.attname]
                    else:
                        values[f.attname] = default() if callable(default) else default
                objs.append(model(**values))
            model.objects.using(self.using).bulk_create(objs, batch_size=2000)

    def _copy(self, model: type[models.Model], spec: list, rows: list[dict[str, Any]]) -> None:
        buf = io.StringIO()
        out = csv.writer(buf, lineterminator="\n")
        json_cols = [isinstance(f, models.JSONField) for f, _d in spec]
        for row in rows:
            line = []
            for (f, default), is_json in zip(spec, json_cols, strict=True):
                value = row.get(f.attname, default)
                if callable(value):
                    value = value()
                if value is None:
                    line.append("\\N")
                elif is_json:
                    line.append(json.dumps(value, ensure_ascii=False))
                elif value is True:
                    line.append("t")
                elif value is False:
                    line.append("f")
                elif isinstance(value, datetime.date):
                    line.append(value.isoformat())
                else:
                    line.append(value)
            out.writerow(line)
        buf.seek(0)
        table = self.connection.ops.quote_name(model._meta.db_table)
        columns = ", ".join(self.connection.ops.quote_name(f.column) for f, _d in spec)
        with self.connection.cursor() as cursor:
            cursor.cursor.copy_expert(
                f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buf
            )

    def reset_sequences(self) -> None:
        sql = self.connection.ops.sequence_reset_sql(no_style(), list(self.touched))
        with self.connection.cursor() as cursor:
            for statement in sql:
                cursor.execute(statement)


# --- stock phrases ---------------------------------------------------------------------

CONSULTATION_SUMMARIES = [
    "本人より電話。生活費のやりくりが厳しいとのこと。家計の状況を聞き取った。",
    "自宅を訪問。室内は片付いておらず、食事も十分でない様子。次回は社協職員と同行する。",
    "来所相談。仕事を辞めてから外出が減ったと話す。就労支援の説明をした。",
    "家族から相談。同居の子が長く家から出ていないとのこと。本人と会う方法を相談した。",
    "民生委員から連絡。近所で姿を見かけないとのこと。安否確認のため訪問予定。",
    "オンラインで面談。体調は安定している。通院の継続を確認した。",
    "関係機関と同行訪問。介護保険の申請について説明した。",
    "本人来所。家賃の滞納について大家と話し合ったと報告あり。",
    "電話でモニタリング。参加先での様子は良好とのこと。",
    "学校から連絡。家族の介護で欠席が続いているとのこと。",
]
PLAN_GOALS = [
    "生活リズムを整え、週に一度は外出できるようになる。",
    "家計を見直し、滞納している公共料金の支払い計画を立てる。",
    "本人の希望に沿った就労体験につなげる。",
    "介護サービスを導入し、家族の負担を軽くする。",
    "地域の居場所に通い、相談できる相手をつくる。",
]
PLAN_ACTIONS = [
    "定期的な訪問と状況確認",
    "家計相談の実施",
    "就労体験先の調整",
    "介護保険の申請支援",
    "居場所への同行",
]
AGENCIES = [
    ("地域包括支援センター", "elderly", "地域包括支援センター"),
    ("基幹相談支援センター", "disability", "基幹相談支援センター"),
    ("子ども家庭センター", "children", "利用者支援事業"),
    ("自立相談支援機関", "poverty", "生活困窮者自立相談支援機関"),
    ("社会福祉協議会", "other", "社会福祉協議会"),
    ("保健センター", "other", "保健センター"),
]
# The first agencies have their staff on the portal; the caseworkers work in them.
AGENCIES_WITH_STAFF = 3
# Of the cases with consent, the share also held by a second agency the consent names
# (関係機関), and worked there by one of its caseworkers when it has staff on the portal.
SHARED_WITH_SECOND_AGENCY = 0.3
PROVIDER_KINDS = ["company", "npo", "swc", "farm", "shop", "school", "welfare", "residents"]
PROVIDER_NAMES = ["農園", "ベーカリー", "福祉会", "工房", "書店", "カフェ", "自治会", "学習塾"]
MENU_KINDS = [
    "work_experience",
    "intermediate_work",
    "volunteering",
    "place",
    "learning",
    "hobby",
]
MENU_NAMES = [
    "農作業体験",
    "店舗での品出し",
    "清掃ボランティア",
    "居場所カフェ",
    "学習会",
    "手芸の会",
]
PLACE_KINDS = ["place", "salon", "children_cafeteria", "gathering", "dementia_cafe", "activity"]
PLACE_NAMES = ["ふれあいサロン", "子ども食堂", "いきいき体操の会", "認知症カフェ", "地域の居場所"]
AREAS = ["北部", "南部", "東部", "西部", "中央"]
CONCERN_TEXTS = [
    "郵便受けに新聞がたまっている。",
    "夜遅くに子どもが一人で外にいるのを見かける。",
    "高齢の親と息子の二人暮らしで、息子の姿を長く見ていない。",
    "ごみ出しができていない様子。",
]
SESSION_OBSERVATIONS = [
    "落ち着いて作業できた。",
    "少し疲れた様子だった。",
    "他の参加者と会話があった。",
]

STATUS_WEIGHTS = [
    ("intake", 10),
    ("assessment", 12),
    ("planning", 10),
    ("support", 30),
    ("monitoring", 13),
    ("closed", 25),
]
# The order a case goes through (``cases.models.Case.Status``); a closed case is closed
# from 支援中.
STATUS_PATH = ("intake", "assessment", "planning", "support", "monitoring", "closed")


# --- the generator ---------------------------------------------------------------------


@dataclass
class Plan:
    """What one municipality gets."""

    municipality: Municipality
    cases: int


@dataclass
class Result:
    cases: int = 0
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.seconds if self.seconds else 0.0


def plan(total_cases: int, municipalities: Iterable[Municipality] | None = None) -> list[Plan]:
    munis = list(municipalities if municipalities is not None else Municipality.objects.all())
    munis.sort(key=lambda m: m.code)
    counts = allocate(total_cases, {m.code: size_weight(m.code, m.name) for m in munis})
    return [Plan(m, counts[m.code]) for m in munis if counts[m.code] > 0]


def generate(
    total_cases: int,
    *,
    seed: int = 1,
    today: datetime.date | None = None,
    municipalities: Iterable[Municipality] | None = None,
    using: str = "default",
    progress: Callable[[str], None] | None = None,
) -> Result:
    """Fill the database with ``total_cases`` cases spread over the municipalities."""
    today = today or timezone.localdate()
    names = load_names()
    writer = Writer(using)
    masters = {
        "categories": list(
            IssueCategory.objects.using(using).filter(municipality__isnull=True).order_by("code")
        ),
        "routes": list(
            ContactRoute.objects.using(using).filter(municipality__isnull=True).order_by("code")
        ),
        "methods": list(
            ConsultationMethod.objects.using(using)
            .filter(municipality__isnull=True)
            .order_by("code")
        ),
    }
    started = time.perf_counter()
    plans = plan(total_cases, municipalities)
    for i, item in enumerate(plans):
        with transaction.atomic(using=using):
            _Municipality(writer, item, seed, today, names, masters).build()
        if progress and (i % 10 == 0 or i == len(plans) - 1):
            elapsed = time.perf_counter() - started
            progress(f"{i + 1}/{len(plans)} municipalities, {elapsed:.0f} s")
    with transaction.atomic(using=using):
        writer.reset_sequences()
    if writer.copy:
        connection = connections[using]
        with connection.cursor() as cursor:
            # As autovacuum leaves a database in use: planned with statistics, and the
            # visibility map set, so that an index-only scan does not visit the table
            # for every row it reads (it did, right after the data were copied in).
            # VACUUM cannot run inside a transaction (a test's): there, statistics only.
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
    return Result(
        cases=sum(p.cases for p in plans),
        seconds=time.perf_counter() - started,
        rows=dict(writer.rows),
    )


def _at(day: datetime.date, rng: random.Random) -> datetime.datetime:
    return datetime.datetime.combine(
        day, datetime.time(rng.randint(8, 18), rng.choice((0, 15, 30, 45))), TOKYO
    )


class _Municipality:
    """Builds and writes one municipality's records."""

    def __init__(
        self,
        writer: Writer,
        item: Plan,
        seed: int,
        today: datetime.date,
        names: Names,
        masters: dict[str, list],
    ) -> None:
        self.w = writer
        self.m = item.municipality
        self.mid = item.municipality.pk
        self.n = item.cases
        self.rng = random.Random(f"{seed}:{item.municipality.code}")
        # The status history draws from a stream of its own, so that adding it left every
        # other record of a seed as it was.
        self.history_rng = random.Random(f"{seed}:{item.municipality.code}:status")
        self.today = today
        self.names = names
        self.categories = masters["categories"]
        self.routes = masters["routes"]
        self.methods = masters["methods"]
        self.now = datetime.datetime.combine(today, datetime.time(12), TOKYO)

    # -- helpers

    def row(self, **values: Any) -> dict[str, Any]:
        return {"municipality_id": self.mid, **values}

    def day_between(
        self, start: datetime.date, end: datetime.date, rng: random.Random | None = None
    ) -> datetime.date:
        span = (end - start).days
        return start + datetime.timedelta(days=(rng or self.rng).randint(0, max(span, 0)))

    def event_row(
        self, case_id: int, worker: int, kind: str, data: dict[str, Any], at: datetime.datetime
    ) -> dict[str, Any]:
        return self.row(id=None, case_id=case_id, actor_id=worker, kind=kind, data=data, at=at)

    def status_history(
        self, case_id: int, worker: int, opened_on: datetime.date, last: datetime.date, status: str
    ) -> list[dict[str, Any]]:
        """The status changes that brought a case from 受付 to ``status``, in order, on days
        between its opening and ``last`` (its closing, or today), as the status service
        records them: what the statistics read for a case's status at a period's end."""
        path = STATUS_PATH[: STATUS_PATH.index(status) + 1]
        if status == "closed":
            path = [*STATUS_PATH[: STATUS_PATH.index("support") + 1], "closed"]
        rng = self.history_rng
        days = sorted(self.day_between(opened_on, last, rng) for _ in path[1:])
        if status == "closed" and days:
            days[-1] = last
        rows = []
        for before, after, day in zip(path[:-1], path[1:], days, strict=True):
            at = _at(day, rng)
            reason = "目標を達成したため終結" if after == "closed" else ""
            rows.append(
                self.event_row(
                    case_id,
                    worker,
                    "status_changed",
                    {"before": before, "after": after, "reason": reason},
                    min(at, self.now - datetime.timedelta(minutes=1)),
                )
            )
        return rows

    def person_name(self, sex: str, surname: tuple[str, str] | None = None) -> tuple[str, str]:
        s = surname or self.rng.choice(self.names.surnames)
        g = self.rng.choice(self.names.male if sex == "male" else self.names.female)
        return f"{s[0]} {g[0]}", f"{s[1]} {g[1]}"

    def phone(self) -> str:
        r = self.rng
        return f"0{r.randint(100, 999)}-{r.randint(10, 99)}-{r.randint(1000, 9999)}"

    def provider_name(self, k: int) -> str:
        surname = self.rng.choice(self.names.surnames)[0]
        return f"{surname}{PROVIDER_NAMES[k % len(PROVIDER_NAMES)]}{k + 1}"

    # -- build

    def build(self) -> None:
        self.staff()
        self.agencies_providers_places()
        self.people_and_cases()
        self.meetings_and_plans()
        self.referrals_and_participation()
        self.community()

    def staff(self) -> None:
        """The office (福祉部) and the organisations of the agencies whose staff are on
        the portal: the caseworkers are spread over those agencies (need to know)."""
        rng, n = self.rng, self.n
        org_ids = self.w.ids(Organisation, 1 + AGENCIES_WITH_STAFF)
        org_id, self.agency_orgs = org_ids[0], org_ids[1:]
        self.w.write(
            Organisation,
            [
                self.row(id=org_id, name=f"{self.m.name} 福祉部", kind="municipality"),
                *(
                    self.row(id=oid, name=f"{self.m.name}{name}", kind=kind)
                    for oid, (name, _f, _k), kind in zip(
                        self.agency_orgs, AGENCIES, ("swcorp", "swcorp", "npo"), strict=False
                    )
                ),
            ],
        )
        roles = (
            [Role.CASEWORKER] * max(2, n // 100)
            + [Role.COORDINATOR] * max(1, n // 2000)
            + [Role.COMMUNITY_WORKER] * max(1, n // 2000)
            + [Role.MANAGER]
        )
        ids = self.w.ids(User, len(roles))
        users, memberships = [], []
        self.agency_of_worker: dict[int, int] = {}  # caseworker → index of their agency
        self.workers_of_agency: dict[int, list[int]] = {}  # index of an agency → its caseworkers
        for uid, role, k in zip(ids, roles, range(len(roles)), strict=True):
            sex = rng.choice(("male", "female"))
            name, _kana = self.person_name(sex)
            users.append(
                {
                    "id": uid,
                    "username": f"{USERNAME_PREFIX}{self.m.code}-{role}-{k}",
                    "password": "!",  # unusable: generated staff cannot log in
                    "display_name": name,
                    "is_active": True,
                    "date_joined": self.now,
                }
            )
            memberships.append(
                {
                    "id": None,
                    "user_id": uid,
                    "municipality_id": self.mid,
                    "organisation_id": self._organisation_of(uid, role, k, org_id),
                    "role": role,
                    "is_active": True,
                }
            )
        for mem, mem_id in zip(memberships, self.w.ids(Membership, len(memberships)), strict=True):
            mem["id"] = mem_id
        self.w.write(User, users)
        self.w.write(Membership, memberships)
        by_role: dict[str, list[int]] = {}
        for uid, role in zip(ids, roles, strict=True):
            by_role.setdefault(role, []).append(uid)
        self.caseworkers = by_role[Role.CASEWORKER]
        self.coordinators = by_role[Role.COORDINATOR]
        self.community_workers = by_role[Role.COMMUNITY_WORKER]
        self.manager = by_role[Role.MANAGER][0]

    def _organisation_of(self, uid: int, role: str, k: int, office: int) -> int:
        if role != Role.CASEWORKER:
            return office
        self.agency_of_worker[uid] = k % AGENCIES_WITH_STAFF
        self.workers_of_agency.setdefault(k % AGENCIES_WITH_STAFF, []).append(uid)
        return self.agency_orgs[k % AGENCIES_WITH_STAFF]

    def agencies_providers_places(self) -> None:
        rng, n = self.rng, self.n
        ids = self.w.ids(SupportAgency, len(AGENCIES))
        self.agencies = ids
        self.w.write(
            SupportAgency,
            [
                self.row(
                    id=i,
                    name=f"{self.m.name}{name}",
                    field=fld,
                    kind=kind,
                    contact=self.phone(),
                    is_active=True,
                    organisation_id=(self.agency_orgs[k] if k < AGENCIES_WITH_STAFF else None),
                )
                for k, (i, (name, fld, kind)) in enumerate(zip(ids, AGENCIES, strict=True))
            ],
        )
        n_prov = max(2, n // 1000)
        self.providers = self.w.ids(Provider, n_prov)
        self.w.write(
            Provider,
            [
                self.row(
                    id=pid,
                    name=self.provider_name(k),
                    kind=PROVIDER_KINDS[k % len(PROVIDER_KINDS)],
                    area=rng.choice(AREAS),
                    is_active=True,
                    created_at=self.now,
                )
                for k, pid in enumerate(self.providers)
            ],
        )
        menus = []
        self.menus = self.w.ids(Menu, 2 * n_prov)
        for k, mid in enumerate(self.menus):
            kind = MENU_KINDS[k % len(MENU_KINDS)]
            menus.append(
                self.row(
                    id=mid,
                    provider_id=self.providers[k // 2],
                    name=f"{MENU_NAMES[k % len(MENU_NAMES)]}{k + 1}",
                    description="地域の受け入れ先で、できることから少しずつ参加します。",
                    kind=kind,
                    area=rng.choice(AREAS),
                    days=sorted(rng.sample(["mon", "tue", "wed", "thu", "fri"], 2)),
                    schedule="10:00〜12:00",
                    capacity=rng.randint(2, 8),
                    interests=rng.sample(["農作業", "料理", "パソコン", "手芸", "清掃", "読書"], 2),
                    accommodations=[],
                    status="active" if rng.random() < 0.9 else "paused",
                    is_open=True,
                    created_by_id=self.coordinators[0],
                    created_at=self.now,
                )
            )
        self.w.write(Menu, menus)
        n_places = max(3, n // 500)
        self.places = self.w.ids(Place, n_places)
        self.w.write(
            Place,
            [
                self.row(
                    id=pid,
                    name=f"{rng.choice(AREAS)}{PLACE_NAMES[k % len(PLACE_NAMES)]}{k + 1}",
                    kind=PLACE_KINDS[k % len(PLACE_KINDS)],
                    organiser=f"{rng.choice(self.names.surnames)[0]}地区自治会",
                    organiser_kind="residents",
                    area=rng.choice(AREAS),
                    schedule="毎月第2水曜日",
                    target_groups=["elderly"],
                    status="active",
                    created_at=self.now,
                )
                for k, pid in enumerate(self.places)
            ],
        )

    def people_and_cases(self) -> None:
        rng, n, today = self.rng, self.n, self.today
        statuses = [s for s, _w in STATUS_WEIGHTS]
        weights = [w for _s, w in STATUS_WEIGHTS]
        case_ids = self.w.ids(Case, n)
        persons, households, members, cases = [], [], [], []
        categories, consultations, events, consents = [], [], [], []
        case_agencies: list[dict[str, Any]] = []
        consent_named: list[tuple[int, list[int]]] = []  # consent row → agencies it names
        self.case_info: list[dict[str, Any]] = []
        seq_by_fy: dict[int, int] = {}
        opened_days = sorted(
            self.day_between(today - datetime.timedelta(days=3 * 365), today) for _ in range(n)
        )
        for cid, opened_on in zip(case_ids, opened_days, strict=True):
            sex = rng.choice(("male", "female"))
            surname = rng.choice(self.names.surnames)
            name, kana = self.person_name(sex, surname)
            age = rng.choice((rng.randint(18, 64), rng.randint(40, 64), rng.randint(65, 95)))
            birth = today - datetime.timedelta(days=age * 365 + rng.randint(0, 364))
            pid = self.w.ids(Person, 1)[0]
            persons.append(
                self.person_row(pid, name, kana, sex, birth, f"{self.m.prefecture}{self.m.name}")
            )
            household_id = None
            if rng.random() < 0.4:
                household_id = self.w.ids(Household, 1)[0]
                households.append(
                    self.row(id=household_id, name=f"{surname[0]}家", created_at=self.now)
                )
                members.append(self.member_row(household_id, pid, "self"))
                for _ in range(rng.randint(1, 3)):
                    rel = rng.choice(("mother", "father", "son", "daughter", "spouse"))
                    msex = "female" if rel in ("mother", "daughter") else "male"
                    if rel == "spouse":
                        msex = "female" if sex == "male" else "male"
                    mage = {
                        "mother": age + rng.randint(22, 35),
                        "father": age + rng.randint(22, 35),
                        "son": max(age - rng.randint(22, 35), 1),
                        "daughter": max(age - rng.randint(22, 35), 1),
                    }.get(rel, age + rng.randint(-5, 5))
                    mname, mkana = self.person_name(msex, surname)
                    mpid = self.w.ids(Person, 1)[0]
                    persons.append(
                        self.person_row(
                            mpid,
                            mname,
                            mkana,
                            msex,
                            today - datetime.timedelta(days=mage * 365 + rng.randint(0, 364)),
                            "",
                        )
                    )
                    m = self.member_row(household_id, mpid, rel)
                    m["needs_care"] = mage >= 75 and rng.random() < 0.5
                    m["works"] = rng.random() < 0.5 if 18 <= mage < 65 else None
                    m["is_carer"] = rng.random() < 0.15
                    members.append(m)
            status = rng.choices(statuses, weights)[0]
            if (today - opened_on).days < 30 and status == "closed":
                status = "support"
            fy = fiscal_year_of(opened_on)
            seq_by_fy[fy] = seq_by_fy.get(fy, 0) + 1
            closed_on = self.day_between(opened_on, today) if status == "closed" else None
            worker = rng.choice(self.caseworkers)
            cats = rng.sample(self.categories, rng.choice((1, 1, 2, 2, 3)))
            is_sensitive = any(c.code == "dv_abuse" for c in cats)
            cases.append(
                self.row(
                    id=cid,
                    number=f"{fy}-{seq_by_fy[fy]:05d}",
                    person_id=pid,
                    household_id=household_id,
                    status=status,
                    route_id=rng.choice(self.routes).pk,
                    assigned_to_id=worker,
                    # The caseworker's agency holds the case (主担当機関).
                    lead_agency_id=self.agencies[self.agency_of_worker[worker]],
                    opened_on=opened_on,
                    closed_on=closed_on,
                    close_reason="目標を達成したため終結" if closed_on else "",
                    is_sensitive=is_sensitive,
                    created_by_id=worker,
                    created_at=_at(opened_on, rng),
                    updated_at=self.now,
                )
            )
            for k, cat in enumerate(cats):
                categories.append(
                    self.row(id=None, case_id=cid, category_id=cat.pk, is_primary=k == 0)
                )
            last_day = closed_on or today
            visits = sorted(self.day_between(opened_on, last_day) for _ in range(rng.randint(1, 9)))
            visits[0] = opened_on
            for k, day in enumerate(visits):
                at = _at(day, rng)
                if at > self.now:
                    at = self.now - datetime.timedelta(hours=1)
                follow = None
                if k == len(visits) - 1 and status != "closed" and rng.random() < 0.3:
                    follow = today + datetime.timedelta(days=rng.randint(-20, 20))
                consultations.append(
                    self.row(
                        id=None,
                        case_id=cid,
                        occurred_at=at,
                        method_id=rng.choice(self.methods).pk,
                        staff_id=worker,
                        summary=rng.choice(CONSULTATION_SUMMARIES),
                        follow_up_on=follow,
                        created_at=at,
                        updated_at=at,
                    )
                )
            events.append(
                self.event_row(
                    cid,
                    worker,
                    "opened",
                    {"categories": [c.code for c in cats]},
                    _at(opened_on, rng),
                )
            )
            events += self.status_history(cid, worker, opened_on, closed_on or today, status)
            has_consent = status != "intake" and rng.random() < 0.85
            if has_consent:
                lead = self.agency_of_worker[worker]
                named = [lead]
                if rng.random() < SHARED_WITH_SECOND_AGENCY:
                    second = rng.choice([k for k in range(len(AGENCIES)) if k != lead])
                    named.append(second)
                    staff = self.workers_of_agency.get(second)
                    case_agencies.append(
                        self.row(
                            id=None,
                            case_id=cid,
                            agency_id=self.agencies[second],
                            assigned_to_id=rng.choice(staff) if staff else None,
                            added_at=_at(opened_on, rng),
                        )
                    )
                consent_named.append((len(consents), named))
                consents.append(
                    self.row(
                        id=None,
                        person_id=pid,
                        case_id=cid,
                        purpose="支援関係機関との情報共有のため",
                        scope="相談内容、世帯の状況",
                        covers_multiagency_meeting=True,
                        legal_basis="consent",
                        method="signature",
                        rules_explained=True,
                        given_on=opened_on,
                        recorded_by_id=worker,
                        created_at=_at(opened_on, rng),
                    )
                )
            self.case_info.append(
                {
                    "id": cid,
                    "status": status,
                    "opened_on": opened_on,
                    "closed_on": closed_on,
                    "worker": worker,
                    "consent": has_consent,
                    "person": pid,
                    "categories": [c.code for c in cats],
                }
            )
        for table, rows in (
            (CaseCategory, categories),
            (Consultation, consultations),
            (CaseEvent, events),
            (Consent, consents),
        ):
            for r, i in zip(rows, self.w.ids(table, len(rows)), strict=True):
                r["id"] = i
        for mrow, i in zip(members, self.w.ids(HouseholdMember, len(members)), strict=True):
            mrow["id"] = i
        for r, i in zip(case_agencies, self.w.ids(CaseAgency, len(case_agencies)), strict=True):
            r["id"] = i
        # The consent names the agencies that hold the case.
        through = Consent.agencies.through
        named_rows = [
            {"consent_id": consents[k]["id"], "supportagency_id": self.agencies[a]}
            for k, agencies in consent_named
            for a in agencies
        ]
        for r, i in zip(named_rows, self.w.ids(through, len(named_rows)), strict=True):
            r["id"] = i
        self.w.write(Person, persons)
        self.w.write(Household, households)
        self.w.write(HouseholdMember, members)
        self.w.write(Case, cases)
        self.w.write(CaseCategory, categories)
        self.w.write(Consultation, consultations)
        self.w.write(CaseEvent, events)
        self.w.write(Consent, consents)
        self.w.write(through, named_rows)
        self.w.write(CaseAgency, case_agencies)

    def person_row(
        self, pid: int, name: str, kana: str, sex: str, birth: datetime.date, address: str
    ) -> dict[str, Any]:
        return self.row(
            id=pid,
            name=name,
            name_kana=kana,
            birth_date=birth,
            sex=sex,
            address=address,
            search_name=search_key(name),
            search_kana=search_key(kana),
            created_at=self.now,
            updated_at=self.now,
        )

    def member_row(self, household_id: int, person_id: int, rel: str) -> dict[str, Any]:
        return self.row(
            id=None,
            household_id=household_id,
            person_id=person_id,
            relationship=rel,
            is_carer=False,
            needs_care=False,
            works=None,
        )

    def meetings_and_plans(self) -> None:
        """Plans for cases past assessment. A plan is decided at a 重層的支援会議 held in
        the month after the case opened; only cases with consent get there. Cases without
        consent are discussed at a 支援会議 (secrecy acknowledged), without decisions."""
        rng = self.rng
        plans, actions, meetings, items, attendees = [], [], [], [], []
        by_month: dict[tuple[str, datetime.date], list[tuple[dict, int | None]]] = {}
        for info in self.case_info:
            if info["status"] in ("intake", "assessment"):
                continue
            decided = info["status"] != "planning" and info["consent"]
            created_on = min(info["opened_on"] + datetime.timedelta(days=14), self.today)
            plan_id = self.w.ids(SupportPlan, 1)[0]
            review_on = created_on + datetime.timedelta(days=rng.choice((90, 180)))
            plan = self.row(
                id=plan_id,
                case_id=info["id"],
                version=1,
                created_on=created_on,
                goals=rng.choice(PLAN_GOALS),
                uses_participation=rng.random() < 0.3,
                uses_outreach=rng.random() < 0.2,
                review_on=review_on,
                status="draft",
                lead_agency_id=rng.choice(self.agencies),
                created_by_id=info["worker"],
                created_at=datetime.datetime.combine(created_on, datetime.time(10), TOKYO),
            )
            if info["status"] == "closed" and decided:
                plan["status"] = "closed"
            elif decided:
                plan["status"] = "decided"
            plans.append(plan)
            for _ in range(rng.randint(1, 2)):
                actions.append(
                    self.row(
                        id=None,
                        plan_id=plan_id,
                        agency_id=rng.choice((None, *self.agencies)),
                        action=rng.choice(PLAN_ACTIONS),
                    )
                )
            held_on = min(
                (created_on.replace(day=1) + datetime.timedelta(days=40)).replace(day=15),
                self.today,
            )
            if decided:
                by_month.setdefault(("multiagency", held_on), []).append((plan, plan_id))
                info["meeting"] = True
            elif rng.random() < 0.3:
                by_month.setdefault(("support", held_on), []).append((plan, None))
        for (kind, held_on), group in sorted(by_month.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            for start in range(0, len(group), 10):
                chunk = group[start : start + 10]
                meeting_id = self.w.ids(Meeting, 1)[0]
                title = "重層的支援会議" if kind == "multiagency" else "支援会議"
                meetings.append(
                    self.row(
                        id=meeting_id,
                        kind=kind,
                        held_on=held_on,
                        title=f"{held_on:%Y年%m月} {title}",
                        notes="各ケースの支援方針を協議した。",
                        created_by_id=self.manager,
                        created_at=datetime.datetime.combine(held_on, datetime.time(17), TOKYO),
                    )
                )
                for plan, plan_id in chunk:
                    if plan_id is not None:
                        plan["decided_at_meeting_id"] = meeting_id
                        plan["decision_note"] = "支援決定"
                    items.append(
                        self.row(
                            id=None,
                            meeting_id=meeting_id,
                            case_id=plan["case_id"],
                            decision="decide" if plan_id is not None else "discussed",
                            plan_id=plan_id,
                        )
                    )
                for k, (aname, _fld, _kind) in enumerate(AGENCIES[:3]):
                    attendees.append(
                        self.row(
                            id=None,
                            meeting_id=meeting_id,
                            name=self.person_name(rng.choice(("male", "female")))[0],
                            organisation=aname,
                            agency_id=self.agencies[k],
                            secrecy_acknowledged=True,
                        )
                    )
        for table, rows in (
            (PlanAction, actions),
            (MeetingCase, items),
            (MeetingAttendee, attendees),
        ):
            for r, i in zip(rows, self.w.ids(table, len(rows)), strict=True):
                r["id"] = i
        self.w.write(Meeting, meetings)
        self.w.write(SupportPlan, plans)
        self.w.write(PlanAction, actions)
        self.w.write(MeetingCase, items)
        self.w.write(MeetingAttendee, attendees)

    def referrals_and_participation(self) -> None:
        """Referrals from consultation: to participation (most), to an agency (some).
        An accepted referral to participation leads to an assignment with session logs."""
        rng, today = self.rng, self.today
        referrals, profiles, assignments, logs = [], [], [], []
        used: set[tuple[int, int]] = set()
        for info in self.case_info:
            if info["status"] in ("intake", "assessment") or rng.random() > 0.35:
                continue
            created_on = self.day_between(info["opened_on"], info["closed_on"] or today)
            to_participation = rng.random() < 0.7
            if to_participation:
                status = rng.choices(("proposed", "accepted", "completed"), (1, 3, 1))[0]
            else:
                status = rng.choices(("proposed", "accepted", "declined"), (1, 3, 1))[0]
            if info["status"] == "closed" and status == "proposed":
                status = "accepted"
            ref_id = self.w.ids(Referral, 1)[0]
            created_at = _at(created_on, rng)
            if created_at > self.now:
                created_at = self.now - datetime.timedelta(hours=1)
            responded = status != "proposed"
            referrals.append(
                self.row(
                    id=ref_id,
                    case_id=info["id"],
                    from_program=CONSULTATION,
                    to_program=PARTICIPATION if to_participation else AGENCY,
                    to_agency_id=None if to_participation else rng.choice(self.agencies),
                    reason="本人の希望と課題を踏まえ、つなぎ先での支援が必要と判断した。",
                    status=status,
                    acknowledge_by=created_on + datetime.timedelta(days=7),
                    created_by_id=info["worker"],
                    created_at=created_at,
                    responded_by_id=(
                        rng.choice(self.coordinators if to_participation else self.caseworkers)
                        if responded
                        else None
                    ),
                    responded_at=created_at + datetime.timedelta(days=2) if responded else None,
                    response_note="お断りします（受け入れ枠なし）" if status == "declined" else "",
                    completed_at=(
                        created_at + datetime.timedelta(days=30) if status == "completed" else None
                    ),
                )
            )
            if not to_participation or status not in ("accepted", "completed"):
                continue
            profiles.append(
                self.row(
                    id=None,
                    case_id=info["id"],
                    interests=rng.sample(["農作業", "料理", "パソコン", "手芸", "清掃", "読書"], 2),
                    area=rng.choice(AREAS),
                    days=["tue", "thu"],
                    needs=[],
                    updated_at=created_at,
                )
            )
            menu = rng.choice(self.menus)
            if (info["id"], menu) in used:
                continue
            used.add((info["id"], menu))
            start = min(created_on + datetime.timedelta(days=14), today)
            a_status = (
                "ended"
                if info["status"] == "closed" or status == "completed"
                else (rng.choices(("proposed", "trial", "active", "paused"), (1, 2, 6, 1))[0])
            )
            assignment_id = self.w.ids(Assignment, 1)[0]
            coordinator = rng.choice(self.coordinators)
            assignments.append(
                self.row(
                    id=assignment_id,
                    case_id=info["id"],
                    menu_id=menu,
                    referral_id=ref_id,
                    status=a_status,
                    start_on=start if a_status != "proposed" else None,
                    end_on=(info["closed_on"] or today) if a_status == "ended" else None,
                    end_reason="参加を終了" if a_status == "ended" else "",
                    coordinator_id=coordinator,
                    created_at=created_at + datetime.timedelta(days=2),
                )
            )
            if a_status == "proposed":
                continue
            for k in range(rng.randint(2, 6)):
                held_on = start + datetime.timedelta(days=7 * k)
                if held_on > today:
                    break
                attendance = rng.choices(("present", "absent", "late"), (8, 1, 1))[0]
                concern = rng.random() < 0.05
                logs.append(
                    self.row(
                        id=None,
                        assignment_id=assignment_id,
                        held_on=held_on,
                        attendance=attendance,
                        observation=rng.choice(SESSION_OBSERVATIONS),
                        concerns=["health"] if concern else [],
                        concern_note="体調がすぐれない様子。" if concern else "",
                        recorded_by_id=coordinator,
                        created_at=datetime.datetime.combine(held_on, datetime.time(16), TOKYO),
                    )
                )
        for table, rows in ((ParticipationProfile, profiles), (SessionLog, logs)):
            for r, i in zip(rows, self.w.ids(table, len(rows)), strict=True):
                r["id"] = i
        self.w.write(Referral, referrals)
        self.w.write(ParticipationProfile, profiles)
        self.w.write(Assignment, assignments)
        self.w.write(SessionLog, logs)

    def community(self) -> None:
        """Places' monthly records, platform sessions, residents' concerns and links of
        cases to places."""
        rng, today = self.rng, self.today
        records, sessions, concerns, links = [], [], [], []
        for place in self.places:
            for k in range(12):
                held_on = (today.replace(day=1) - datetime.timedelta(days=31 * k)).replace(day=10)
                if held_on > today:
                    continue
                records.append(
                    self.row(
                        id=None,
                        place_id=place,
                        held_on=held_on,
                        participants=rng.randint(5, 30),
                        volunteers=rng.randint(1, 5),
                        recorded_by_id=rng.choice(self.community_workers),
                    )
                )
        for k in range(4):
            held_on = today - datetime.timedelta(days=90 * k + 5)
            sessions.append(
                self.row(
                    id=None,
                    held_on=held_on,
                    theme="地域の居場所づくりについて",
                    attendance={"government": 3, "npo": 2, "residents": 5, "company": 1},
                    recorded_by_id=self.community_workers[0],
                    created_at=datetime.datetime.combine(held_on, datetime.time(18), TOKYO),
                )
            )
        open_cases = [i for i in self.case_info if i["status"] != "closed"]
        for _ in range(max(1, self.n // 10)):
            sex = rng.choice(("male", "female"))
            name, kana = self.person_name(sex)
            created = self.now - datetime.timedelta(days=rng.randint(0, 400), hours=1)
            urgency = rng.choices(("urgent", "soon", "normal"), (1, 3, 6))[0]
            taken = open_cases and rng.random() < 0.6
            info = rng.choice(open_cases) if taken else None
            concerns.append(
                self.row(
                    id=None,
                    reporter_kind=rng.choice(("minsei", "resident", "volunteer", "shop")),
                    subject_name=name,
                    subject_kana=kana,
                    subject_area=rng.choice(AREAS),
                    observation=rng.choice(CONCERN_TEXTS),
                    urgency=urgency,
                    urgency_rank={"urgent": 0, "soon": 1, "normal": 2}[urgency],
                    status="taken_up" if info else "received",
                    person_id=info["person"] if info else None,
                    case_id=info["id"] if info else None,
                    reported_by_id=rng.choice(self.community_workers),
                    handled_by_id=info["worker"] if info else None,
                    handled_at=created + datetime.timedelta(hours=2) if info else None,
                    created_at=created,
                )
            )
        for info in open_cases:
            if rng.random() < 0.1:
                links.append(
                    self.row(
                        id=None,
                        case_id=info["id"],
                        place_id=rng.choice(self.places),
                        since=self.day_between(info["opened_on"], today),
                        linked_by_id=info["worker"],
                    )
                )
        for table, rows in (
            (ActivityRecord, records),
            (PlatformSession, sessions),
            (Concern, concerns),
            (CasePlace, links),
        ):
            for r, i in zip(rows, self.w.ids(table, len(rows)), strict=True):
                r["id"] = i
            self.w.write(table, rows)
