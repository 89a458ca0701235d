"""Invented demo data of outreach (run by ``manage.py seed_demo``).

In 豊中市: the 8050 household's son, whom the team has tried to reach for months on the
basis of a 支援会議 (letters, no answer, a word through the door, a first meeting); a
household a 民生委員 noticed, taken up from the community queue as a target instead of a
case; a young man who has just agreed to support and waits to be handed over; and a
woman whose outreach ended when she moved away. In 松江市 one target at first contact.
Everything is written through ``outreach.services`` as the demo outreach worker, so the
demo obeys the same rules as the pages. Every name and story here is invented.

A municipality that already has an outreach target is left alone.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from cases.collaboration.services import AttendeeData, MeetingItemData, meeting_record
from cases.models import Case, Meeting, Person, SupportAgency
from community import services as community_services
from community.models import Concern
from demo.staff import DEMO_TENANTS, demo_user
from municipalities.models import Municipality
from outreach import services
from outreach.models import Contact, OutreachTarget, Stage

M = Contact.Method
O = Contact.Outcome  # noqa: E741
SRC = OutreachTarget.Source


@dataclass(frozen=True)
class C:
    """A contact ``days_ago`` with the next one planned ``next_in`` days later."""

    days_ago: int
    method: str
    outcome: str
    observed: str
    next_in: int | None = None


@dataclass(frozen=True)
class TargetSpec:
    description: str
    area: str
    source: str
    found_days_ago: int
    contacts: tuple[C, ...] = ()
    person: str = ""  # an existing demo person, by name
    agency: str = ""  # the source agency, by name
    source_note: str = ""
    cadence: int = 14
    # (days ago, stage, why) moves made by hand after the contacts of that day
    stages: tuple[tuple[int, str, str], ...] = ()
    meeting: bool = False  # held under a 支援会議 the seeder records


SON = TargetSpec(
    description="松岡キヨ子さん（8050世帯）の長男。高校卒業後に数年勤務し、退職後20年以上ほぼ自宅で過ごす",
    area="みどり台2丁目",
    source=SRC.AGENCY,
    agency="豊中市みどり台地域包括支援センター",
    source_note="母の訪問時に地域包括支援センターが把握",
    person="松岡 浩二",
    found_days_ago=140,
    meeting=True,
    contacts=(
        C(138, M.VISIT, O.ABSENT, "インターホンに応答なし。母によると自室にいるとのこと。", 14),
        C(
            124,
            M.LETTER,
            O.LETTER_LEFT,
            "自己紹介と「話を聞かせてほしい」旨の手紙を母に託した。",
            14,
        ),
        C(
            110,
            M.VISIT,
            O.SPOKE_THROUGH_DOOR,
            "ドア越しに声をかけると「はい」と一言返事があった。",
            14,
        ),
        C(96, M.VISIT, O.ABSENT, "応答なし。手紙は読んだ様子と母から聞いた。", 14),
        C(82, M.VIA_FAMILY, O.FAMILY, "母から、長男が夜に手紙を読み返していたと聞いた。", 14),
        C(
            54,
            M.VISIT,
            O.MET,
            "居間で初めて対面。10分ほど、好きな釣りの話ができた。次回の約束をした。",
            14,
        ),
        C(40, M.VISIT, O.MET, "2回目の面談。母の通院の付き添いが負担と話した。", 14),
        C(20, M.ACCOMPANY, O.MET, "母の通院に同行。待合室で今後の暮らしについて少し話せた。", 15),
    ),
    stages=((54, Stage.RELATIONSHIP, "初めて対面でき、次回の約束ができた"),),
)
# The household the 民生委員 noticed: four attempts, nobody answers.
NOTICED = TargetSpec(
    description="",
    area="",
    source=SRC.CONCERN,
    found_days_ago=25,
    contacts=(
        C(22, M.VISIT, O.ABSENT, "雨戸は閉まったまま。手紙を置いた。", 7),
        C(15, M.LETTER, O.LETTER_LEFT, "2通目の手紙。社協の連絡先を同封。", 7),
        C(8, M.VISIT, O.ABSENT, "応答なし。隣家の方から、夜に明かりがつくと聞いた。", 7),
        C(1, M.VISIT, O.ABSENT, "応答なし。3通目の手紙を置いた。", 7),
    ),
)
CONCERN = {
    "reporter_kind": Concern.Reporter.MINSEI,
    "reporter_name": "民生委員 河合",
    "subject_name": "",
    "subject_area": "庄内西町3丁目の古い一軒家",
    "observation": "70代の夫婦と40代の息子の3人暮らしのはず。ここ1か月ほど雨戸が閉まったままで、"
    "新聞がたまっている。呼び鈴を押しても出てこない。",
    "urgency": Concern.Urgency.SOON,
}
READY = TargetSpec(
    description="上野西の30代男性。高校中退後、自宅で過ごす。母が保健所に相談",
    area="上野西",
    source=SRC.FAMILY,
    source_note="母からの電話相談",
    found_days_ago=75,
    contacts=(
        C(70, M.VISIT, O.FAMILY, "母と面談。本人は自室から出てこなかった。", 14),
        C(56, M.VISIT, O.SPOKE_THROUGH_DOOR, "ドア越しにゲームの話を少しできた。", 14),
        C(35, M.VISIT, O.MET, "本人と初めて対面。昼夜逆転の生活を変えたいと話した。", 10),
        C(
            14,
            M.VISIT,
            O.MET,
            "居場所のことを紹介。「行ってみてもいい」と話し、相談の継続に同意した。",
            14,
        ),
    ),
    stages=(
        (35, Stage.RELATIONSHIP, "本人と対面できた"),
        (3, Stage.CONSENT, "相談支援につながることに本人が同意（口頭、母同席）"),
    ),
)
MOVED = TargetSpec(
    description="豊南町の団地の50代女性。家賃滞納で退去を求められていると自立相談支援機関が把握",
    area="豊南町",
    source=SRC.AGENCY,
    agency="豊中市くらし自立相談窓口",
    found_days_ago=200,
    contacts=(
        C(196, M.VISIT, O.ABSENT, "不在。ポストに連絡先を入れた。", 7),
        C(186, M.PHONE, O.REFUSED, "電話がつながったが「支援はいらない」と断られた。", 21),
        C(
            160,
            M.VISIT,
            O.MET,
            "玄関先で5分ほど話せた。親族のいる県外へ転居を考えているとのこと。",
            30,
        ),
    ),
    stages=((120, Stage.ENDED, "市外へ転居したため終了"),),
)
MATSUE = TargetSpec(
    description="雑賀町の60代男性。郵便物がたまっていると近所の住民から",
    area="雑賀町",
    source=SRC.MINSEI,
    found_days_ago=30,
    contacts=(
        C(28, M.VISIT, O.ABSENT, "不在。手紙を置いた。", 14),
        C(14, M.VISIT, O.SPOKE_THROUGH_DOOR, "ドア越しに「大丈夫」と返事があった。", 14),
    ),
)


class _Seeder:
    def __init__(self, tenant: str, municipality: Municipality) -> None:
        self.tenant = tenant
        self.municipality = municipality
        self.today = timezone.localdate()
        self.worker = demo_user(f"{tenant}-outreach")

    def day(self, days_ago: int) -> datetime.date:
        return self.today - datetime.timedelta(days=days_ago)

    def support_meeting(self, found_on: datetime.date) -> Meeting:
        """The 支援会議 that decided to reach the 8050 household's son."""
        agencies = {a.name: a for a in SupportAgency.objects.filter(municipality=self.municipality)}
        case = Case.objects.get(municipality=self.municipality, person__name="松岡 キヨ子")
        return meeting_record(
            user=demo_user(f"{self.tenant}-manager"),
            municipality=self.municipality,
            kind=Meeting.Kind.SUPPORT,
            held_on=found_on + datetime.timedelta(days=1),
            title="支援会議（松岡世帯の長男へのアウトリーチ）",
            notes="本人（長男）の同意はまだない。守秘義務のもとで情報を共有し、社会福祉協議会の"
            "アウトリーチ支援員が訪問と手紙で関係づくりを始めることを決めた。",
            attendees=[
                AttendeeData("長尾 一郎", "豊中市 福祉部", None, True),
                AttendeeData(
                    "北野 恵美",
                    "豊中市みどり台地域包括支援センター",
                    agencies.get("豊中市みどり台地域包括支援センター"),
                    True,
                ),
                AttendeeData(
                    "中村 拓也",
                    "とよなかひきこもり地域支援センター",
                    agencies.get("とよなかひきこもり地域支援センター"),
                    True,
                ),
                AttendeeData("小川 健", "豊中市社会福祉協議会", None, True),
            ],
            items=[MeetingItemData(case=case, note="長男へのアウトリーチを開始する。")],
        )

    def target(self, spec: TargetSpec, **extra: Any) -> OutreachTarget:
        found_on = self.day(spec.found_days_ago)
        person = (
            Person.objects.get(municipality=self.municipality, name=spec.person)
            if spec.person
            else None
        )
        agency = (
            SupportAgency.objects.get(municipality=self.municipality, name=spec.agency)
            if spec.agency
            else None
        )
        target = services.target_create(
            user=self.worker,
            municipality=self.municipality,
            description=spec.description,
            area=spec.area,
            source=spec.source,
            source_agency=agency,
            source_note=spec.source_note,
            basis_meeting=self.support_meeting(found_on) if spec.meeting else None,
            person=person,
            worker=self.worker,
            found_on=found_on,
            cadence_days=spec.cadence,
            **extra,
        )
        self.contacts(target, spec)
        return target

    def contacts(self, target: OutreachTarget, spec: TargetSpec) -> None:
        moves = sorted(spec.stages)  # popped from the end: the earliest first
        for c in spec.contacts:
            while moves and moves[-1][0] > c.days_ago:
                self.move(target, moves.pop())
            services.contact_log(
                user=self.worker,
                target=target,
                contacted_on=self.day(c.days_ago),
                method=c.method,
                outcome=c.outcome,
                observed=c.observed,
                next_planned_on=self.day(c.days_ago - c.next_in) if c.next_in else None,
            )
            while moves and moves[-1][0] == c.days_ago:
                self.move(target, moves.pop())
        while moves:
            self.move(target, moves.pop())

    def move(self, target: OutreachTarget, stage: tuple[int, str, str]) -> None:
        days_ago, to_stage, why = stage
        target.refresh_from_db()
        services.stage_change(
            user=self.worker, target=target, to_stage=to_stage, on=self.day(days_ago), reason=why
        )

    def run(self) -> None:
        if self.tenant == "b":
            self.target(MATSUE)
            return
        self.target(SON)
        self.target(READY)
        self.target(MOVED)
        concern = community_services.concern_record(
            user=demo_user("a-community"), municipality=self.municipality, **CONCERN
        )
        noticed = services.target_from_concern(
            user=demo_user("a-caseworker"), concern=concern, worker=self.worker
        )
        # Taken up 25 days ago (the service dates it today).
        found_on = self.day(NOTICED.found_days_ago)
        OutreachTarget.objects.filter(pk=noticed.pk).update(found_on=found_on, stage_since=found_on)
        noticed.stage_changes.update(changed_on=found_on)
        noticed.refresh_from_db()
        self.contacts(noticed, NOTICED)


def seed_outreach(command: Any) -> None:
    """Create the outreach demo of each demo municipality that has none of it yet."""
    parts = []
    for tenant in ("a", "b"):
        municipality = Municipality.objects.get(code=DEMO_TENANTS[tenant][0])
        if not OutreachTarget.objects.filter(municipality=municipality).exists():
            _Seeder(tenant, municipality).run()
        targets = OutreachTarget.objects.filter(municipality=municipality).count()
        contacts = Contact.objects.filter(municipality=municipality).count()
        parts.append(f"{municipality.name} {targets} targets, {contacts} contacts")
    command.stdout.write("Demo outreach: " + "; ".join(parts))
