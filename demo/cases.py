"""Invented demo cases for the two demo municipalities (run by ``manage.py seed_demo``).

The scenarios below are data; ``seed_cases`` interprets them and writes everything
through the services of each package, so the demo obeys the same rules as the pages (consent
before a 重層的支援会議, secrecy at a 支援会議, a plan decided only at a meeting …).

Every name, address, phone number and story here is invented. Dates are relative to
the day of seeding. A municipality in which any demo person already exists is left
alone, so running the seeder again creates nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps as django_apps
from django.utils import timezone

from cases.collaboration import AttendeeData, EvaluationEntry, MeetingItemData, PlanItems
from cases.collaboration import services as collaboration_services
from cases.collaboration.plans import household_members
from cases.consultation import ConsultationData
from cases.consultation import services as consultation_services
from cases.core import (
    agencies_staff,
    agency_of,
    case_agency_add,
    case_agency_assign,
    consent_covering,
    emergency_look,
)
from cases.core import services as core_services
from cases.defaults import load as load_default_master_data
from cases.models import (
    Case,
    Consent,
    ConsultationMethod,
    ContactRoute,
    Field,
    IssueCategory,
    Meeting,
    MeetingCase,
    Person,
    Relationship,
    SupportAgency,
    SupportPlan,
)
from cases.programs import AGENCY, CONSULTATION, MULTIAGENCY
from community.program import PROGRAM as COMMUNITY
from demo.staff import DEMO_TENANTS, demo_user
from municipalities.models import Municipality, Organisation, User
from participation.program import PROGRAM as PARTICIPATION

TOKYO = ZoneInfo("Asia/Tokyo")
S = Case.Status
D = MeetingCase.Decision
R = Relationship
F, M = Person.Sex.FEMALE, Person.Sex.MALE


# --- the shape of a scenario -----------------------------------------------------------


@dataclass(frozen=True)
class Agency:
    key: str
    name: str
    field: str
    kind: str
    contact: str


@dataclass(frozen=True)
class Visit:
    """One consultation, ``days_ago`` days before the seeding."""

    days_ago: int
    method: str
    summary: str
    visitor: tuple[str, str, str] | None = None  # name, relationship, phone


@dataclass(frozen=True)
class Member:
    """A household member besides the case's person."""

    name: str
    kana: str
    age: int
    sex: str
    relationship: str
    is_carer: bool = False
    needs_care: bool = False
    works: bool | None = None
    notes: str = ""


@dataclass(frozen=True)
class ConsentSpec:
    days_ago: int
    agencies: tuple[str, ...]
    method: str = Consent.Method.SIGNATURE
    witness: str = ""
    withdrawn_days_ago: int | None = None
    withdrawal_note: str = ""
    purpose: str = "支援関係機関との連携による支援のため"
    scope: str = "氏名・連絡先・相談内容・支援の経過"


@dataclass(frozen=True)
class PlanSpec:
    days_ago: int
    review_in_days: int
    goals: str
    actions: tuple[tuple[str | None, str], ...]  # agency key (None: the team), action
    lead: str | None = None
    uses_participation: bool = False
    uses_outreach: bool = False
    # The national form's items (プラン兼事業等利用申込書), and the 評価シート recorded once
    # a meeting has decided the plan: (goal, achievement, next step) per goal.
    wishes: str = ""
    issues: tuple[str, ...] = ()
    long_term_goal: str = ""
    short_term_goal: str = ""
    period_days: int | None = None
    agreed_days_ago: int | None = None
    for_household: bool = False
    evaluation: tuple[tuple[str, str, str], ...] = ()
    evaluated_days_ago: int = 0


@dataclass(frozen=True)
class Scenario:
    key: str
    name: str
    kana: str
    age: int
    sex: str
    address: str
    phone: str
    route: str
    categories: tuple[str, ...]  # the first is the most pressing (◎)
    visits: tuple[Visit, ...]
    status: str = S.INTAKE
    close_reason: str = ""
    follow_up: int | None = None  # days from today, on the latest consultation
    by_manager: bool = False
    by: str = ""  # the role part of the demo username that opens the case (default: caseworker)
    sensitive: bool = False
    agencies: tuple[str, ...] = ()
    household: tuple[Member, ...] = ()
    consent: ConsentSpec | None = None
    plan: PlanSpec | None = None


@dataclass(frozen=True)
class Item:
    case: str
    decision: str = D.DISCUSSED
    note: str = ""
    then_status: str = ""  # status change once the meeting is recorded


@dataclass(frozen=True)
class MeetingSpec:
    kind: str
    days_ago: int
    title: str
    notes: str
    attendees: tuple[tuple[str, str, str | None], ...]  # name, organisation, agency key
    items: tuple[Item, ...]
    shares: tuple[tuple[str, str], ...] = ()  # (case key, agency key) shared under it


@dataclass(frozen=True)
class ReferralSpec:
    case: str
    from_program: str
    to_program: str
    reason: str
    by: str = "caseworker"  # role part of the demo username
    answered_by: str = ""  # empty: left proposed
    note: str = ""
    to_agency: str = ""  # agency key of a referral to an agency


@dataclass(frozen=True)
class Tenant:
    key: str  # "a" or "b" in DEMO_TENANTS
    agencies: tuple[Agency, ...]
    scenarios: tuple[Scenario, ...]
    meetings: tuple[MeetingSpec, ...] = ()
    referrals: tuple[ReferralSpec, ...] = ()
    # (role part of the username, case key, reason): waiting on the office's dashboard.
    emergency_looks: tuple[tuple[str, str, str], ...] = ()


# Status changes from intake to each status (STATUS_TRANSITIONS). Planning → support
# needs a decided plan, so it is done by a meeting item's ``then_status``.
PATHS: dict[str, tuple[str, ...]] = {
    S.INTAKE: (),
    S.ASSESSMENT: (S.ASSESSMENT,),
    S.PLANNING: (S.ASSESSMENT, S.PLANNING),
    S.SUPPORT: (S.ASSESSMENT, S.SUPPORT),
    S.MONITORING: (S.ASSESSMENT, S.SUPPORT, S.MONITORING),
    S.CLOSED: (S.ASSESSMENT, S.SUPPORT, S.CLOSED),
}

V = Visit

# fmt: off
# --- 豊中市 ------------------------------------------------------------------------------

TOYONAKA = Tenant(
    key="a",
    agencies=(
        Agency("hokatsu", "豊中市みどり台地域包括支援センター", Field.ELDERLY,
               "地域包括支援センター", "06-0000-0101"),
        Agency("kikan", "豊中市基幹相談支援センター", Field.DISABILITY,
               "基幹相談支援センター", "06-0000-0102"),
        Agency("kodomo", "豊中市子ども家庭総合支援拠点", Field.CHILDREN,
               "子ども家庭総合支援拠点", "06-0000-0103"),
        Agency("konkyu", "豊中市くらし自立相談窓口", Field.POVERTY,
               "生活困窮者自立相談支援機関", "06-0000-0104"),
        Agency("shakyo", "豊中市社会福祉協議会", Field.OTHER,
               "社会福祉協議会", "06-0000-0105"),
        Agency("hikikomori", "とよなかひきこもり地域支援センター", Field.OTHER,
               "ひきこもり地域支援センター", "06-0000-0106"),
    ),
    scenarios=(
        Scenario(
            key="8050", by="hokatsu", name="松岡 キヨ子", kana="マツオカ キヨコ", age=84, sex=F,
            address="豊中市みどり台2-14-6", phone="090-0000-1101",
            route="agency", categories=("p8050", "hikikomori", "care"),
            agencies=("hokatsu", "hikikomori"), status=S.PLANNING, follow_up=6,
            household=(
                Member("松岡 浩二", "マツオカ コウジ", 53, M, R.SON, works=False,
                       notes="高校卒業後に数年勤務。退職後20年以上ほぼ自宅で過ごす"),
            ),
            visits=(
                V(150, "phone", "みどり台地域包括支援センターの担当者から電話。要支援2の本人宅を"
                  "訪問した際、同居の長男（50代）が長年就労しておらず、本人の年金で二人が暮らして"
                  "いると把握したとのこと。世帯全体の支援について相談したいとの依頼。",
                  ("北野 恵美", "地域包括支援センター職員", "06-0000-0101")),
                V(141, "home_visit", "地域包括支援センター職員と同行訪問。本人は膝の痛みで外出が"
                  "難しく、買い物は長男が夜間にコンビニで済ませている様子。長男とはドア越しに挨拶"
                  "のみできた。本人は「自分がいなくなった後の息子が心配」と繰り返し話す。"),
                V(112, "home_visit", "2回目の訪問。長男が居間に出てきて10分ほど同席した。"
                  "高校卒業後に勤めた工場を退職して以来、外出は夜間の買い物のみ。困りごとを尋ねる"
                  "と「母の通院の付き添いが負担」と話した。"),
                V(68, "phone", "長男から初めて電話があった。母のデイサービス利用について質問。"
                  "次回の訪問時に、ひきこもり地域支援センターの職員を紹介してよいか打診し、"
                  "了承を得た。"),
                V(35, "home_visit", "本人と長男に支援プラン案を説明。母の介護サービス調整は"
                  "地域包括、長男の面談と居場所の紹介はひきこもり地域支援センターが担う方向で了承"
                  "を得た。関係機関での情報共有と重層的支援会議での検討について、本人から書面で"
                  "同意を得た。"),
                V(9, "phone", "支援決定後の状況確認。長男はひきこもり地域支援センターの面談に"
                  "1回参加できた。母のデイサービスは来週から週2回で開始予定。"),
            ),
            consent=ConsentSpec(35, ("hokatsu", "hikikomori", "konkyu", "shakyo")),
            plan=PlanSpec(
                30, 90,
                "母の在宅生活を続けながら、長男が社会とのつながりを少しずつ取り戻す。"
                "母の介護サービス利用を安定させ、長男が無理のないペースで外出と相談の機会を持てる"
                "ようにする。",
                (("hokatsu", "母の介護保険サービス（デイサービス週2回）の調整とケアマネジメント"),
                 ("hikikomori", "長男への訪問面談（月2回）と居場所プログラムの紹介"),
                 (None, "世帯の家計の確認と、母の年金・長男の今後の収入についての相談")),
                lead="hokatsu", uses_participation=True, uses_outreach=True,
                wishes="「膝が痛くても、できるだけこの家で息子と暮らしたい。自分がいなくなった後の"
                "息子のことが一番の心配」（本人）。「母の通院の付き添いが負担。人と話すのは苦手"
                "だが、家でできることなら手伝いたい」（長男）",
                issues=("本人の膝の痛みによる外出困難と、介護サービスが未利用であること",
                        "長男が20年以上就労しておらず、社会との接点が夜間の買い物のみであること",
                        "世帯の収入が本人の年金のみで、本人亡き後の長男の生活の見通しがないこと"),
                long_term_goal="本人が在宅生活を続け、長男が地域の中に居場所と相談先を持って暮らせる"
                "ようになる。",
                short_term_goal="母のデイサービスを週2回利用して通院の負担を減らす。長男が月2回の"
                "面談に参加し、居場所プログラムを一度見学する。",
                period_days=180, agreed_days_ago=30, for_household=True,
                evaluation=(
                    ("母のデイサービスを週2回利用して通院の負担を減らす", "achieved",
                     "利用を継続。送迎時の様子を地域包括が確認する。"),
                    ("長男が月2回の面談に参加する", "partly",
                     "1回は参加、1回は当日に辞退。訪問面談に切り替えて継続する。"),
                    ("長男が居場所プログラムを見学する", "not",
                     "本人の希望で時期を延期。次回評価までに見学日を一緒に決める。"),
                ),
                evaluated_days_ago=3,
            ),
        ),
        Scenario(
            key="double", name="森本 彩", kana="モリモト アヤ", age=38, sex=F,
            address="豊中市さくら坂1-8-3 さくら坂ハイツ205", phone="090-0000-1102",
            route="self", categories=("double_care", "care", "childrearing", "work_trouble"),
            agencies=("hokatsu", "kodomo"), status=S.PLANNING, follow_up=0,
            household=(
                Member("森本 誠", "モリモト マコト", 40, M, R.SPOUSE, is_carer=True, works=True,
                       notes="平日は帰宅が遅く、週末に義父の介助を分担"),
                Member("森本 陽翔", "モリモト ハルト", 3, M, R.SON, needs_care=True, works=False,
                       notes="保育所に通う（3歳）"),
                Member("村井 正雄", "ムライ マサオ", 76, M, R.FATHER, needs_care=True,
                       works=False, notes="脳梗塞の後遺症、要介護2"),
            ),
            visits=(
                V(62, "visit", "本人が来所。同居の実父が脳梗塞で退院して要介護2となり、3歳の"
                  "長男の育児と重なってパートの仕事を続けられるか不安との相談。夫は帰宅が遅く、"
                  "平日の介護と育児をほぼ一人で担っている。"),
                V(55, "phone", "地域包括支援センターに父の介護サービスの利用状況を確認。現在は"
                  "訪問介護のみで、デイサービスは父が拒んでいるとのこと。次回のサービス担当者会議"
                  "に同席することになった。"),
                V(40, "accompany", "父のサービス担当者会議に同席。デイサービスの見学を父が了承"
                  "した。本人は睡眠が4時間程度と話し、疲労の色が濃い。子どもの一時預かりについて"
                  "子ども家庭総合支援拠点に相談することを提案した。"),
                V(21, "online", "オンラインで面談。保育所の延長保育が認められ、朝の時間に余裕が"
                  "できた。一方、父の夜間のトイレ介助で眠れない日が続いている。ショートステイの"
                  "利用を検討したいとの希望。"),
                V(8, "visit", "支援プラン案を本人と作成。父のショートステイ、長男の一時預かり、"
                  "勤務先への相談の3点を柱とする。本人は「少し先が見えた」と話した。"),
            ),
            plan=PlanSpec(
                8, 60,
                "本人が仕事を続けながら、父の介護と長男の育児を一人で抱え込まずに済む体制を"
                "つくる。",
                (("hokatsu", "父のショートステイ（月1回）の調整と要介護認定の区分変更の検討"),
                 ("kodomo", "長男の一時預かり・ファミリーサポートの利用調整"),
                 (None, "勤務先との両立（勤務時間の調整）に関する相談の継続")),
                lead="hokatsu",
            ),
        ),
        Scenario(
            key="young_carer", name="川端 由美", kana="カワバタ ユミ", age=44, sex=F,
            address="豊中市ひかり町3-5-12", phone="090-0000-1103",
            route="school", categories=("young_carer", "health", "childrearing", "family"),
            agencies=("kodomo", "kikan"), status=S.ASSESSMENT, follow_up=-3,
            household=(
                Member("川端 凛", "カワバタ リン", 15, F, R.DAUGHTER, is_carer=True, works=True,
                       notes="中学3年。母の通院の付き添い、弟の世話と家事を担う"),
                Member("川端 蒼太", "カワバタ ソウタ", 8, M, R.SON, works=True, notes="小学2年"),
            ),
            visits=(
                V(48, "phone", "市立中学校のスクールソーシャルワーカーから電話。中学3年の長女の"
                  "遅刻・欠席が増えており、母（本人）が体調を崩して寝込みがちなため、長女が家事と"
                  "小学生の弟の世話を担っている様子とのこと。",
                  ("岡 里奈", "スクールソーシャルワーカー", "090-0000-1903")),
                V(41, "home_visit", "スクールソーシャルワーカーと家庭訪問。本人は持病の悪化で通院"
                  "が続き、家事がほとんどできない状態。長女が食事の用意と弟の登校準備をしている。"
                  "本人は「娘に頼りきりで申し訳ない」と話すが、外部の支援には消極的。"),
                V(27, "phone", "本人に電話。家事援助や配食サービスを説明したが、他人が家に入る"
                  "ことへの抵抗が強い。関係機関での情報共有には、今のところ同意が得られていない。"),
                V(13, "visit", "長女が放課後に来所。受験勉強の時間が取れないこと、弟の宿題を見る"
                  "のが負担なことを話した。学校の学習支援と子ども食堂を紹介し、困ったときの連絡先"
                  "を伝えた。"),
            ),
        ),
        Scenario(
            key="debt", by="konkyu", name="岡田 健一", kana="オカダ ケンイチ", age=46, sex=M,
            address="豊中市若葉通4-2-1 若葉コーポ102", phone="090-0000-1104",
            route="government", categories=("debt", "income", "rent_loan", "tax_utilities"),
            agencies=("konkyu", "shakyo"), status=S.PLANNING, follow_up=10,
            visits=(
                V(70, "visit", "市税の納付相談窓口から案内され来所。勤務先の業績悪化で残業が"
                  "なくなり、月収が約8万円減った。消費者金融3社からの借入（計約180万円）の返済と"
                  "家賃2か月分の滞納がある。電気料金の督促状も届いている。"),
                V(63, "visit", "家計表を一緒に作成。返済額が手取りの約4割を占めている。住居確保"
                  "給付金の要件を確認し、申請書類の準備を始めた。債務整理について法律相談の利用を"
                  "提案し、本人も希望した。"),
                V(45, "accompany", "法律相談に同行。弁護士から任意整理の見通しについて説明を"
                  "受けた。関係機関での情報共有について、福祉部職員の立会いのもと口頭で同意を"
                  "得た。"),
                V(31, "phone", "本人から電話。大家と話し合い、滞納家賃の分割払いを認めてもらえた。"
                  "住居確保給付金の支給が決定したとの報告。"),
                V(12, "visit", "家計改善の進み具合を確認。携帯電話の契約を見直し、月5千円の固定費"
                  "を削減できた。任意整理は弁護士が受任済み。"),
            ),
            consent=ConsentSpec(45, ("konkyu", "shakyo", "hokatsu", "hikikomori"),
                                method=Consent.Method.ORAL,
                                witness="長尾 一郎（豊中市 福祉部）"),
            plan=PlanSpec(
                25, 60,
                "家計を立て直し、債務整理の方針を決める。家賃の滞納を解消して住まいを維持する。",
                (("konkyu", "家計改善支援（家計表の作成と支出の見直し）と住居確保給付金の継続支援"),
                 ("shakyo", "生活福祉資金（緊急小口資金）の相談"),
                 (None, "法律相談（債務整理）への同行と手続きの進み具合の確認")),
                lead="konkyu",
            ),
        ),
        Scenario(
            key="isolation", by="hokatsu", name="今井 シゲ", kana="イマイ シゲ", age=87, sex=F,
            address="豊中市青葉町5-3-8", phone="090-0000-1105",
            route="minsei", categories=("isolation", "care", "community"),
            agencies=("hokatsu", "shakyo"), status=S.SUPPORT, follow_up=-6,
            visits=(
                V(120, "phone", "担当地区の民生委員から電話。一人暮らしの本人宅に新聞がたまって"
                  "おり、声をかけたところ足が痛くて外に出られないと話したとのこと。親族は遠方の姪"
                  "のみで、ここ数年行き来がない。", ("谷口 幸子", "民生委員", "090-0000-1905")),
                V(116, "home_visit", "民生委員と訪問。室内は片付いているが冷蔵庫がほとんど空"
                  "だった。本人は「誰にも迷惑をかけたくない」と話す。地域包括支援センターに連絡し、"
                  "要介護認定の申請を勧めた。"),
                V(88, "home_visit", "地域包括支援センター職員と訪問。要支援1の認定が出て、週1回の"
                  "訪問型サービスを始めた。本人は昔、町内の手芸の会に通っていたと懐かしそうに"
                  "話した。"),
                V(46, "home_visit", "近所のふれあいサロンの話をしたところ、本人が関心を示した。"
                  "社協の地域担当に参加の支援を依頼することにした。"),
                V(20, "phone", "本人に電話。サロンに初めて参加し、昔の知り合いに会えたと嬉しそうに"
                  "話した。次回も世話人が迎えに来てくれるとのこと。"),
            ),
        ),
        Scenario(
            key="hikikomori", name="浅野 大輝", kana="アサノ ダイキ", age=29, sex=M,
            address="豊中市ひかり町1-20-4", phone="090-0000-1106",
            route="family", categories=("hikikomori", "job_search", "family"),
            agencies=("hikikomori", "konkyu"), status=S.SUPPORT, follow_up=14,
            visits=(
                V(200, "visit", "母親が来所。本人は大学中退後の6年間、ほとんど外出せず自室で"
                  "過ごしている。最近は昼夜逆転が続き、家族との会話も少ない。母親は父親と意見が"
                  "合わず、一人で悩んできたと話す。", ("浅野 和代", "母", "090-0000-1906")),
                V(180, "visit", "母親と2回目の面談。本人はパソコンでの調べものが得意で、細かい作業"
                  "は苦にならない様子。家族ができる声かけについて一緒に考えた。",
                  ("浅野 和代", "母", "090-0000-1906")),
                V(150, "home_visit", "自宅を訪問し、本人と初めて対面できた。緊張した様子だったが、"
                  "好きなゲームの話では表情が和らいだ。無理に外に出なくてよいことを伝え、月1回の"
                  "訪問を約束した。"),
                V(95, "online", "本人とオンラインで面談。生活リズムを整えたいと自分から話した。"
                  "短時間でできる作業があれば試してみたいとのこと。"),
                V(75, "visit", "本人が初めて来所。参加支援（地域の事業所での短時間の作業体験）に"
                  "ついて説明し、本人が希望した。関係機関との情報共有について書面で同意を得た。"),
                V(30, "accompany", "参加支援コーディネーターと事業所の見学に同行。データ入力を"
                  "30分体験した。本人は「思ったよりできた」と話し、週1回から始めることになった。"),
            ),
            consent=ConsentSpec(75, ("hikikomori", "konkyu", "shakyo", "hokatsu")),
            plan=PlanSpec(
                28, 90,
                "生活リズムを整え、本人のペースで短時間の作業体験から社会参加を始める。",
                (("hikikomori", "月1回の訪問面談と家族（母親）への助言"),
                 (None, "参加支援（データ入力の作業体験）へのつなぎと見学への同行")),
                lead="hikikomori", uses_participation=True,
            ),
        ),
        Scenario(
            key="dv", name="野口 真理", kana="ノグチ マリ", age=34, sex=F,
            address="豊中市さくら坂6-1-9", phone="090-0000-1107",
            route="government", categories=("dv_abuse", "housing", "childrearing", "income"),
            agencies=("kodomo", "konkyu"), status=S.SUPPORT, follow_up=3,
            by_manager=True, sensitive=True,
            household=(
                Member("野口 結菜", "ノグチ ユナ", 6, F, R.DAUGHTER, works=True,
                       notes="小学1年。転校手続き済み"),
            ),
            visits=(
                V(100, "visit", "市の女性相談窓口から案内され、子どもと来所。夫からの暴言と、"
                  "生活費を渡さないなどの経済的な暴力が続き、別居を考えているとの相談。住所などの"
                  "情報の取扱いについて説明した。"),
                V(97, "phone", "本人から電話。夫の不在時に必要な書類を持ち出す準備ができた。"
                  "一時保護の手続きについて、女性相談窓口と連携して案内した。"),
                V(80, "accompany", "一時保護所の退所に合わせ、新しい住まいの契約と転校の手続きに"
                  "同行。住民票の閲覧制限（支援措置）の申出を行った。"),
                V(52, "visit", "本人と面談。子どもは新しい学校に慣れてきた。児童扶養手当を申請中"
                  "で、当面は貯金で生活している。パートの仕事を探したいとの希望。"),
                V(18, "phone", "本人から電話。夫の親族から共通の知人を通じて連絡があり、不安を感じ"
                  "たとのこと。情報が漏れないよう、関係機関に改めて注意を依頼した。"),
            ),
        ),
        Scenario(
            key="job", by="konkyu", name="石原 翔", kana="イシハラ ショウ", age=24, sex=M,
            address="豊中市若葉通2-7-15", phone="090-0000-1108",
            route="self", categories=("job_search", "income"), agencies=("konkyu",),
            status=S.CLOSED, close_reason="就職先が決まり、3か月の定着を確認したため終結",
            visits=(
                V(230, "visit", "本人が来所。派遣の契約が終わってから3か月、仕事が見つからない。"
                  "一人暮らしで貯金が残り少ない。面接で緊張してうまく話せないことが悩み。"),
                V(215, "visit", "応募書類を一緒に作成。倉庫作業や配送の仕事に関心がある。次回は"
                  "模擬面接を行うことにした。"),
                V(200, "accompany", "ハローワークに同行し、求人を3件紹介してもらった。うち1件の"
                  "面接が決まった。"),
                V(185, "phone", "本人から電話。物流センターの正社員として採用が決まったとの報告。"),
                V(95, "phone", "就職から3か月の状況確認。夜勤にも慣れ、生活は安定しているとの"
                  "こと。本人の了承を得て支援を終結する。"),
            ),
        ),
        Scenario(
            key="housing", by="konkyu", name="福田 勝也", kana="フクダ カツヤ", age=62, sex=M,
            address="豊中市青葉町2-11-6 青葉荘3号", phone="090-0000-1109",
            route="other", categories=("housing", "income", "health"),
            agencies=("konkyu", "shakyo"), status=S.MONITORING, follow_up=21,
            visits=(
                V(140, "phone", "アパートの管理会社から連絡。建物の取り壊しで入居者の本人が半年"
                  "以内の退去を求められているが、転居先が見つからない様子とのこと。本人の了承を"
                  "得て連絡したとの説明あり。",
                  ("中島 浩", "不動産管理会社 担当者", "06-0000-0199")),
                V(133, "visit", "本人が来所。年金と短時間の警備の仕事で暮らしているが、年齢を理由に"
                  "入居を断られることが続いている。持病の糖尿病の通院も負担になっている。"),
                V(100, "accompany", "居住支援法人の物件相談に同行。保証会社を利用できる物件が2件"
                  "見つかった。関係機関での情報共有について書面で同意を得た。"),
                V(75, "visit", "転居先の契約が完了。引越し費用は社協の貸付を利用した。転居後も通院"
                  "を続けられるよう、近くの診療所の情報を伝えた。"),
                V(60, "phone", "本人から電話。親族に知られたくないので、関係機関への情報提供の同意"
                  "を取り消したいとの申し出。撤回を記録し、今後は都度本人の了解を得ることを説明"
                  "した。"),
                V(25, "home_visit", "転居後の様子を確認するため訪問。新しい住まいに落ち着き、近所"
                  "のスーパーにも歩いて行けると話す。今後は月1回の電話で様子を見ていく。"),
            ),
            consent=ConsentSpec(100, ("konkyu", "shakyo"), withdrawn_days_ago=60,
                                withdrawal_note="本人の申し出により撤回。今後は都度本人の了解を"
                                "得て情報提供する。"),
        ),
        Scenario(
            key="childrearing", name="高木 さやか", kana="タカギ サヤカ", age=31, sex=F,
            address="豊中市ひかり町4-1-7", phone="090-0000-1110",
            route="agency", categories=("childrearing", "family", "income"),
            agencies=("kodomo",), status=S.ASSESSMENT, follow_up=4,
            visits=(
                V(33, "phone", "子ども家庭総合支援拠点から連絡。生後8か月の長女を育てる本人が、"
                  "夫の単身赴任後に気分の落ち込みが続いているとのこと。家計の不安もあり、総合的な"
                  "相談先として紹介したいとの依頼。"),
                V(26, "home_visit", "子ども家庭総合支援拠点の保健師と訪問。本人は夜泣きで眠れず、"
                  "頼れる親族が近くにいない。一時預かりの利用を勧めたが、費用面の不安を口にした。"),
                V(11, "visit", "本人が子どもを連れて来所。一時預かりの利用料の減免制度を案内した。"
                  "地域の子育てひろばの情報も伝えた。表情は前回より明るい。子育てと家計の両方に"
                  "ついて関係機関で支援を検討することに書面で同意を得た。"),
            ),
            consent=ConsentSpec(11, ("shakyo", "kodomo", "konkyu")),
        ),
        Scenario(
            key="health", name="堀 正志", kana="ホリ マサシ", age=57, sex=M,
            address="豊中市みどり台6-3-22", phone="090-0000-1111",
            route="medical", categories=("health", "job_search", "income"),
            agencies=("kikan", "konkyu"), status=S.MONITORING, follow_up=30,
            visits=(
                V(180, "phone", "市内の病院の医療ソーシャルワーカーから連絡。脳出血で入院中の本人"
                  "が、退院後に元の仕事（トラック運転手）に戻れない見込みで、生活の見通しが立たない"
                  "とのこと。", ("坂本 真一", "医療ソーシャルワーカー", "06-0000-0198")),
                V(172, "visit", "病院で本人と面談。右手に軽いまひが残る。傷病手当金の受給期間と、"
                  "障害年金・障害者手帳の申請について説明した。"),
                V(130, "accompany", "基幹相談支援センターの相談員と障害者手帳の申請に同行。就労に"
                  "ついても相談を始めた。"),
                V(90, "visit", "就労継続支援A型事業所での就労が決まった。収入は減るが、傷病手当金"
                  "と合わせて当面の生活は維持できる見通し。"),
                V(40, "phone", "本人に電話。仕事には週4日通えている。体調も安定しており、今後は"
                  "3か月ごとに様子を確認することにした。"),
            ),
        ),
        Scenario(
            key="no_food", name="三浦 亮介", kana="ミウラ リョウスケ", age=41, sex=M,
            address="豊中市若葉通5-9-3", phone="090-0000-1112",
            route="outreach", categories=("no_food", "income", "housing"),
            agencies=("konkyu", "shakyo"), by_manager=True, status=S.CLOSED,
            close_reason="生活保護の受給開始により福祉事務所へ引き継いだため終結",
            visits=(
                V(160, "home_visit", "アウトリーチで訪問。料金滞納でガスが止まっており、2日ほど"
                  "何も食べていないとのこと。フードバンクの食料を届け、翌日の来所を約束した。"),
                V(159, "visit", "本人が来所。失業後に貯金が尽き、家賃も3か月滞納している。生活"
                  "保護の制度を説明したところ、本人が申請を希望した。"),
                V(152, "accompany", "生活保護の申請に同行。決定までの食料は社協のフードバンクで"
                  "支援することにした。"),
                V(125, "phone", "生活保護の受給が決定し、担当のケースワーカーに引き継いだ。本人の"
                  "了承を得て支援を終結する。"),
            ),
        ),
        Scenario(
            key="work", name="中西 美穂", kana="ナカニシ ミホ", age=45, sex=F,
            address="豊中市さくら坂3-4-10", phone="090-0000-1113",
            route="self", categories=("work_trouble", "health"), follow_up=0,
            visits=(
                V(4, "phone", "本人から電話。職場の人間関係のストレスで眠れず、休みがちになって"
                  "いる。退職も考えているが、収入が途絶えるのが不安とのこと。来所での面談を予約"
                  "した。"),
            ),
        ),
        Scenario(
            key="family", name="原田 和子", kana="ハラダ カズコ", age=68, sex=F,
            address="豊中市青葉町7-2-5", phone="090-0000-1114",
            route="acquaintance", categories=("family", "care", "income"),
            agencies=("hokatsu",), status=S.ASSESSMENT, follow_up=-1,
            visits=(
                V(38, "visit", "友人に付き添われて来所。同居する夫（72歳）が認知症の診断を受けて"
                  "から怒りっぽくなり、言い合いが絶えない。別居した娘とは疎遠で、相談できる相手が"
                  "いないと話す。", ("井上 節子", "友人", "")),
                V(24, "phone", "本人に電話。夫の介護保険の申請を済ませたとの報告。介護者の集いに"
                  "ついて案内した。"),
                V(6, "visit", "本人が来所。夫の要介護1の認定が出た。デイサービスの利用開始に"
                  "向けて、地域包括支援センターとの面談日を調整する。夫の介護と年金だけの家計の"
                  "両方が心配とのことで、関係機関での情報共有と支援会議での検討に書面で同意を"
                  "得た。"),
            ),
            # Two fields (介護, 収入) and consent: the rule suggests the hand-over to the
            # 多機関協働 team, waiting for the 社協 (the lead agency) to make it.
            consent=ConsentSpec(6, ("shakyo", "hokatsu")),
        ),
        Scenario(
            key="tax", name="小川 隆", kana="オガワ タカシ", age=52, sex=M,
            address="豊中市みどり台1-5-9", phone="090-0000-1115",
            route="government", categories=("tax_utilities", "income", "debt"),
            agencies=("konkyu",), follow_up=-4,
            visits=(
                V(15, "visit", "市税の窓口から案内され来所。自営業（内装工事）の受注が減り、住民税"
                  "と国民健康保険料を1年分滞納している。水道料金の督促も来ている。分納の相談と"
                  "家計の見直しを希望。"),
            ),
        ),
        Scenario(
            key="community", name="吉村 ハル", kana="ヨシムラ ハル", age=79, sex=F,
            address="豊中市ひかり町2-6-1", phone="090-0000-1116",
            route="resident", categories=("community", "isolation", "health"),
            # The consent names the 地域包括: the referral to it below opens the case to it.
            agencies=("shakyo",), status=S.ASSESSMENT, follow_up=2,
            consent=ConsentSpec(20, ("shakyo", "hokatsu")),
            visits=(
                V(58, "phone", "近所の住民から電話。本人宅の庭にごみがたまり、においがするため"
                  "近所から苦情が出ているとのこと。最近は本人の姿を見かけないという。"),
                V(54, "home_visit", "地域包括支援センター職員と訪問。本人は玄関先で応対。物を"
                  "捨てられないと話し、片付けの提案には応じなかった。食事や体調に大きな問題は"
                  "なさそう。"),
                V(30, "home_visit", "2回目の訪問。本人が亡くなった夫の話をしてくれた。庭の一部"
                  "だけでも一緒に片付けることに同意した。"),
                V(16, "home_visit", "社協のボランティアと庭の片付けを一部実施。本人も手伝い、"
                  "「すっきりした」と話した。近所の住民にも経過を伝え、見守りへの協力をお願い"
                  "した。"),
            ),
        ),
        Scenario(
            key="rorokaigo", name="西川 茂", kana="ニシカワ シゲル", age=82, sex=M,
            address="豊中市青葉町4-8-2", phone="090-0000-1117",
            route="minsei", categories=("care", "health", "isolation"),
            agencies=("hokatsu",), status=S.SUPPORT, follow_up=9, by_manager=True,
            household=(
                Member("西川 澄子", "ニシカワ スミコ", 80, F, R.SPOUSE, needs_care=True,
                       works=False, notes="要介護3。パーキンソン病"),
            ),
            visits=(
                V(90, "phone", "民生委員から連絡。妻を一人で介護している本人が、最近やつれて見える"
                  "とのこと。", ("谷口 幸子", "民生委員", "090-0000-1905")),
                V(84, "home_visit", "訪問。妻は要介護3で、本人が食事・入浴・排せつの介助を担って"
                  "いる。本人も腰痛で通院中。介護サービスは訪問看護のみ。"),
                V(60, "home_visit", "地域包括支援センター、ケアマネジャーと訪問。妻のショート"
                  "ステイ利用と訪問介護の追加について合意した。本人は「少し休めるなら助かる」と"
                  "話した。"),
                V(28, "phone", "本人に電話。妻のショートステイ中に自分の通院を済ませることが"
                  "できた。夜も眠れるようになってきたとのこと。"),
            ),
        ),
        Scenario(
            key="school", name="上田 結衣", kana="ウエダ ユイ", age=14, sex=F,
            address="豊中市さくら坂5-12-8", phone="090-0000-1118",
            route="school", categories=("hikikomori", "childrearing", "family"),
            agencies=("kodomo",), status=S.SUPPORT, follow_up=7,
            visits=(
                V(110, "phone", "中学校の担任から連絡。中学2年の本人が2学期から登校できておらず、"
                  "家庭訪問でも会えない状態が続いている。母親も疲れている様子とのこと。"),
                V(95, "home_visit", "母親と面談。本人は夜遅くまで動画を見て過ごし、朝起きられ"
                  "ない。母親は仕事を休みがちになっている。本人とは会えなかった。",
                  ("上田 千春", "母", "090-0000-1918")),
                V(70, "home_visit", "本人と初めて話せた。学校の話題は避け、好きなイラストの話を"
                  "した。地域のフリースペースの見学に関心を示した。"),
                V(45, "accompany", "本人と母親のフリースペース見学に同行。本人は週1回の利用を"
                  "決めた。"),
                V(14, "phone", "母親に電話。本人はフリースペースに3回通えた。学校の別室登校に"
                  "ついて、担任と相談を始めたとのこと。", ("上田 千春", "母", "090-0000-1918")),
            ),
        ),
        Scenario(
            key="shokudo", name="田村 恵", kana="タムラ メグミ", age=36, sex=F,
            address="豊中市若葉通1-3-14", phone="090-0000-1119",
            route="community_program", categories=("income", "childrearing", "no_food"),
            follow_up=1,
            visits=(
                V(3, "phone", "地域づくり担当から情報提供。子ども食堂に小学生の子ども2人と毎週"
                  "来ている本人が、月末は食費が足りないと話していたとのこと。本人の了承を得ている"
                  "ため電話し、面談日を調整した。"),
            ),
        ),
        Scenario(
            key="leaving_care", name="村上 拓海", kana="ムラカミ タクミ", age=19, sex=M,
            address="豊中市みどり台3-9-1 みどりハイツ101", phone="090-0000-1120",
            route="agency", categories=("housing", "job_search", "income"),
            agencies=("konkyu", "kodomo"), status=S.SUPPORT, follow_up=-2,
            visits=(
                V(75, "visit", "児童養護施設の自立支援担当職員に付き添われて来所。施設を退所して"
                  "1年、就職先を辞めて家賃の支払いが難しくなっている。頼れる親族はいない。",
                  ("宮本 亜希", "児童養護施設 自立支援担当", "06-0000-0197")),
                V(68, "visit", "住居確保給付金の申請を支援。次の仕事について、本人は調理の仕事に"
                  "興味があると話す。"),
                V(40, "accompany", "飲食店の面接に同行。採用が決まり、翌月から勤務を始めた。"),
                V(12, "email", "本人からメール。仕事は続いているが、初任給までの生活費が足りない"
                  "とのこと。社協の貸付について案内し、来所日を調整する。"),
            ),
        ),
        # Last fiscal year's work, closed since: the trends compare the year with it.
        Scenario(
            key="last_year_debt", name="岡本 正樹", kana="オカモト マサキ", age=52, sex=M,
            address="豊中市東豊中町2-7-1", phone="090-0000-1131",
            route="self", categories=("debt", "income"), status=S.CLOSED,
            close_reason="債務整理が終わり、家計が立て直せたため終結",
            visits=(
                V(560, "visit", "本人が来所。カードローン4社で約300万円の返済が続かない。"),
                V(530, "accompany", "法テラスの無料相談に同行。任意整理を進めることになった。"),
                V(470, "phone", "任意整理の和解が成立。家計表をつけ始めたとのこと。"),
                V(400, "visit", "家計表を一緒に確認。毎月の返済と生活費が収まっている。"
                  "終結を確認した。"),
            ),
        ),
        Scenario(
            key="last_year_job", name="川口 由紀", kana="カワグチ ユキ", age=29, sex=F,
            address="豊中市庄内東町4-3-8", phone="090-0000-1132",
            route="government", categories=("job_search", "health"), status=S.CLOSED,
            close_reason="就職し、職場に定着したため終結",
            visits=(
                V(500, "visit", "市役所の窓口からの紹介で来所。体調を崩して退職し、半年"
                  "仕事がない。"),
                V(480, "phone", "ハローワークの担当者と面談日を調整した。"),
                V(450, "accompany", "ハローワークに同行し、事務職の求人に応募した。"),
                V(420, "visit", "採用が決まった。週4日の勤務から始める。"),
                V(330, "phone", "本人に電話。仕事は続いており、体調も安定している。"
                  "終結を確認した。"),
            ),
        ),
        Scenario(
            key="last_year_house", name="松田 勝", kana="マツダ マサル", age=71, sex=M,
            address="豊中市服部本町1-9-2", phone="090-0000-1133",
            route="minsei", categories=("housing", "isolation"), status=S.CLOSED,
            close_reason="転居先で地域包括支援センターの見守りにつないだため終結",
            visits=(
                V(440, "home_visit", "民生委員と訪問。アパートの取り壊しで転居を迫られているが、"
                  "保証人がいない。", ("村上 昭", "民生委員", "090-0000-1931")),
                V(410, "accompany", "居住支援法人の物件の内覧に同行した。"),
                V(380, "home_visit", "転居を終えた本人を訪問。近くの地域包括支援センターに"
                  "見守りをお願いした。"),
                V(300, "phone", "地域包括支援センターから、見守りが続いていると連絡があった。"),
            ),
        ),
    ),
    meetings=(
        MeetingSpec(
            kind=Meeting.Kind.MULTIAGENCY, days_ago=20, title="重層的支援会議（定例）",
            notes="松岡世帯と浅野さんの支援プランを承認した（浅野さんは参加支援を利用）。岡田さん"
            "の家計改善と債務整理の経過を共有し、プラン案は継続審議として次回に決定する。",
            attendees=(
                ("長尾 一郎", "豊中市 福祉部", None),
                ("石田 花子", "豊中市社会福祉協議会", "shakyo"),
                ("北野 恵美", "豊中市みどり台地域包括支援センター", "hokatsu"),
                ("中村 拓也", "とよなかひきこもり地域支援センター", "hikikomori"),
                ("西田 香織", "豊中市くらし自立相談窓口", "konkyu"),
            ),
            items=(
                Item("8050", D.DECIDE_PLAN, "プランを承認。3か月後に評価する。", S.SUPPORT),
                Item("debt", D.CARRY_OVER, "家計改善の経過を共有。プラン案は次回決定予定。"),
                Item("hikikomori", D.DECIDE_PLAN, "参加支援の利用を含むプランを承認。"),
            ),
        ),
        MeetingSpec(
            kind=Meeting.Kind.SUPPORT, days_ago=16, title="支援会議（社会福祉法第106条の6）",
            notes="本人の同意が得られていない2件について、守秘義務のもとで情報を共有し、"
            "見守りと対応の分担を確認した。",
            attendees=(
                ("長尾 一郎", "豊中市 福祉部", None),
                ("石田 花子", "豊中市社会福祉協議会", "shakyo"),
                ("岡 里奈", "市立中学校 スクールソーシャルワーカー", None),
                ("山下 紀子", "豊中市子ども家庭総合支援拠点", "kodomo"),
                ("西田 香織", "豊中市くらし自立相談窓口", "konkyu"),
            ),
            items=(
                Item("young_carer", D.DISCUSSED, "学校と子ども家庭総合支援拠点が長女の見守りを"
                     "分担し、母の受診状況を確認する。"),
                Item("dv", D.DISCUSSED, "加害者側への情報漏えいを防ぐため、窓口対応の注意事項を"
                     "共有した。"),
            ),
            # Without consent, the case is shared with the agency under this meeting.
            shares=(("young_carer", "kodomo"),),
        ),
    ),
    referrals=(
        ReferralSpec("hikikomori", CONSULTATION, PARTICIPATION,
                     "短時間の作業体験から始めたいとの本人の希望。データ入力など一人で集中できる"
                     "作業が向いている。", answered_by="coordinator",
                     note="受け入れます。初回は同行で見学を調整します。"),
        ReferralSpec("isolation", CONSULTATION, COMMUNITY,
                     "一人暮らしで地域とのつながりが途切れている。ふれあいサロンへの参加と、近所"
                     "の見守りへの協力をお願いしたい。", answered_by="community",
                     note="サロンの世話人と一緒に初回の送迎をします。"),
        ReferralSpec("shokudo", COMMUNITY, CONSULTATION,
                     "子ども食堂の利用者。月末の食費が足りないと話しており、家計と子育ての相談に"
                     "つなぎたい。本人の了承済み。", by="community"),
        # A tangled case handed over to the 多機関協働 team, waiting for its answer.
        ReferralSpec("double", CONSULTATION, MULTIAGENCY,
                     "父の介護と3歳の長男の育児が重なり、本人が仕事を続けられるか不安を抱えている。"
                     "高齢と子育ての両分野にまたがるため、多機関協働での役割分担の整理をお願い"
                     "したい。"),
        # A hand-over the 多機関協働 team has accepted: it assesses next.
        ReferralSpec("childrearing", CONSULTATION, MULTIAGENCY,
                     "生後8か月の長女の育児と気分の落ち込み、夫の単身赴任後の家計の不安が重なって"
                     "いる。子どもと生活困窮の両分野にまたがるため、多機関協働で役割分担を整理して"
                     "ほしい。本人同意済み。", answered_by="multiagency",
                     note="受け付けました。子ども家庭総合支援拠点と合同でアセスメントを行います。"),
        ReferralSpec("community", CONSULTATION, AGENCY,
                     "ごみの片付けは進んできたが、物忘れが気になる。介護保険の申請を含め、地域包括"
                     "支援センターでの継続相談につなぎたい。本人の同意済み。", to_agency="hokatsu"),
    ),
    emergency_looks=(
        ("konkyu", "isolation", "民生委員から、本人が数日姿を見せず新聞がたまっていると連絡。"
         "地域包括に電話がつながらないため、緊急連絡先と持病を確認したい。"),
    ),
)

# --- 松江市 ------------------------------------------------------------------------------

MATSUE = Tenant(
    key="b",
    agencies=(
        Agency("hokatsu", "松江市しらかた地域包括支援センター", Field.ELDERLY,
               "地域包括支援センター", "0852-00-0101"),
        Agency("kikan", "松江市基幹相談支援センター", Field.DISABILITY,
               "基幹相談支援センター", "0852-00-0102"),
        Agency("kodomo", "松江市子育て世代利用者支援窓口", Field.CHILDREN,
               "利用者支援事業", "0852-00-0103"),
        Agency("konkyu", "松江市生活自立相談窓口", Field.POVERTY,
               "生活困窮者自立相談支援機関", "0852-00-0104"),
        Agency("shakyo", "松江市社会福祉協議会", Field.OTHER,
               "社会福祉協議会", "0852-00-0105"),
    ),
    scenarios=(
        Scenario(
            key="isolation", by="hokatsu", name="佐々木 ミツ", kana="ササキ ミツ", age=88, sex=F,
            address="松江市しらかた町3-2-7", phone="090-0000-2101",
            route="minsei", categories=("isolation", "care", "no_food"),
            agencies=("hokatsu", "shakyo"), status=S.SUPPORT, follow_up=5,
            visits=(
                V(130, "phone", "地区の民生委員から連絡。一人暮らしの本人が、灯油を買いに行けず"
                  "寒い部屋で過ごしているとのこと。息子は県外に住み、年に一度帰省する程度。",
                  ("門田 昭子", "民生委員", "090-0000-2901")),
                V(125, "home_visit", "民生委員と訪問。食事は買い置きのパンが中心で、体重が減って"
                  "いる様子。配食サービスと灯油の配達を説明し、本人の了承を得て手配した。"),
                V(70, "home_visit", "地域包括支援センター職員と訪問。要支援2の認定が出た。本人は"
                  "公民館の体操教室に以前通っていたと話し、また行きたい気持ちがある。"),
                V(22, "phone", "本人に電話。配食の配達員と毎日顔を合わせるのが楽しみになっている"
                  "とのこと。体操教室への送迎について、地域の協力者を探している。"),
            ),
        ),
        Scenario(
            key="hikikomori", by="kikan", name="門脇 亮", kana="カドワキ リョウ", age=35, sex=M,
            address="松江市みずうみ台1-14-3", phone="090-0000-2102",
            route="family", categories=("hikikomori", "job_search", "health"),
            agencies=("kikan", "konkyu"), status=S.PLANNING, follow_up=12,
            visits=(
                V(180, "visit", "父親が来所。本人は県外の会社を体調不良で退職して帰郷し、3年間"
                  "自宅にこもっている。精神科の受診歴があるが、現在は通院していない。",
                  ("門脇 正", "父", "090-0000-2902")),
                V(150, "home_visit", "自宅を訪問したが、本人は自室から出てこなかった。自己紹介の"
                  "手紙を置いて帰った。"),
                V(120, "letter", "本人宛てに2回目の手紙を送付。メールでも相談できることを伝えた。"),
                V(95, "email", "本人からメールで返信があった。人と会うのは疲れるが、メールなら"
                  "話せるとのこと。以前していたプログラミングの仕事について書かれていた。"),
                V(50, "home_visit", "本人と初めて対面。通院の再開について話し合い、基幹相談支援"
                  "センターの相談員を紹介することに同意した。"),
                V(20, "visit", "本人が父親と来所。支援プラン案を一緒に確認した。関係機関での情報"
                  "共有と会議での検討について、書面で同意を得た。"),
            ),
            consent=ConsentSpec(20, ("kikan", "konkyu")),
            plan=PlanSpec(
                15, 75,
                "通院を再開して体調を整え、本人のペースで社会参加の機会を持つ。",
                (("kikan", "精神科の受診再開の支援と障害福祉サービスの相談"),
                 ("konkyu", "就労準備支援事業（在宅でのパソコン作業）の利用調整"),
                 (None, "本人とのメール・訪問による定期的な面談と家族への助言")),
                lead="kikan", uses_participation=True, uses_outreach=True,
                wishes="「人と会うのはまだ疲れるが、家でできる仕事から始めたい。体調を整えて、"
                "いずれは前のようにプログラミングの仕事をしたい」",
                issues=("精神科の通院が途切れ、体調の波が大きいこと",
                        "3年間自宅で過ごし、家族以外との接点がメールのみであること"),
                long_term_goal="体調を安定させ、本人の得意なパソコン作業を生かして働く。",
                short_term_goal="通院を再開する。在宅でのパソコン作業に週1回取り組む。",
                period_days=180, agreed_days_ago=15,
                evaluation=(
                    ("通院を再開する", "achieved", "2週に1回の通院を続ける。"),
                    ("在宅でのパソコン作業に週1回取り組む", "partly",
                     "体調の良い週は取り組めた。作業量を一緒に調整する。"),
                ),
                evaluated_days_ago=2,
            ),
        ),
        Scenario(
            key="double", name="福間 由香", kana="フクマ ユカ", age=42, sex=F,
            address="松江市やなぎ町2-3-18", phone="090-0000-2103",
            route="agency", categories=("double_care", "care", "childrearing"),
            agencies=("hokatsu", "kodomo"), status=S.ASSESSMENT, follow_up=0,
            household=(
                Member("福間 大輔", "フクマ ダイスケ", 44, M, R.SPOUSE, is_carer=True, works=True,
                       notes="出張が多い"),
                Member("福間 颯", "フクマ ハヤテ", 5, M, R.SON, needs_care=True, works=False,
                       notes="療育に通う（5歳）"),
                Member("小村 房江", "コムラ フサエ", 73, F, R.MOTHER, needs_care=True,
                       works=False, notes="認知症、要介護1"),
            ),
            visits=(
                V(26, "phone", "地域包括支援センターから連絡。認知症の母親の介護と、療育に通う"
                  "子どもの育児を同時に担う本人が疲れ切っている様子とのこと。"),
                V(19, "visit", "本人が来所。母の通所介護と子どもの療育の送迎が重なり、仕事を辞める"
                  "ことも考えている。夫は協力的だが出張が多い。"),
                V(5, "online", "オンラインで面談。母のデイサービスの送迎時間を調整できた。子どもの"
                  "療育先と一時預かりの利用について、子育て世代利用者支援窓口と一緒に検討する。"),
            ),
        ),
        Scenario(
            key="debt", name="石倉 大介", kana="イシクラ ダイスケ", age=48, sex=M,
            address="松江市しらかた町5-8-1", phone="090-0000-2104",
            route="self", categories=("debt", "income", "rent_loan"),
            agencies=("konkyu", "shakyo"), status=S.SUPPORT, follow_up=-3,
            visits=(
                V(110, "visit", "本人が来所。病気で2か月休職した間にカードローンの返済が滞り、"
                  "借入が約250万円に膨らんだ。家賃も1か月滞納している。"),
                V(104, "visit", "家計表を作成。収入は戻りつつあるが、返済が重い。弁護士会の無料"
                  "法律相談を予約した。"),
                V(90, "accompany", "法律相談に同行。個人再生の見通しについて説明を受けた。関係機関"
                  "との情報共有について書面で同意を得た。"),
                V(45, "phone", "本人に電話。弁護士が受任し、督促が止まった。家賃の滞納も解消できた"
                  "とのこと。"),
                V(10, "visit", "家計の状況を確認。月2万円の貯蓄ができるようになった。再生計画の"
                  "認可までの見通しを確認した。"),
            ),
            consent=ConsentSpec(90, ("konkyu", "shakyo")),
        ),
        Scenario(
            key="childrearing", name="渡部 舞", kana="ワタナベ マイ", age=27, sex=F,
            address="松江市みずうみ台4-6-2", phone="090-0000-2105",
            route="agency", categories=("childrearing", "income"),
            agencies=("kodomo",), status=S.MONITORING, follow_up=20,
            visits=(
                V(140, "phone", "子育て世代利用者支援窓口から連絡。ひとり親の本人が、保育所の入所"
                  "が決まらず仕事を始められないとのこと。"),
                V(133, "visit", "本人が来所。児童扶養手当の手続きは済んでいる。保育所の空き状況を"
                  "確認し、認可外保育施設の利用料の補助を案内した。"),
                V(100, "phone", "本人から電話。保育所の入所が決まり、医療事務の仕事に就いたとの"
                  "報告。"),
                V(35, "phone", "状況確認。子どもの体調不良による欠勤が続き不安とのこと。病児保育の"
                  "登録を案内した。"),
            ),
        ),
        Scenario(
            key="housing", name="足立 一男", kana="アダチ カズオ", age=66, sex=M,
            address="松江市やなぎ町6-1-4", phone="090-0000-2106",
            route="medical", categories=("housing", "health", "income"),
            agencies=("hokatsu", "konkyu"), status=S.CLOSED,
            close_reason="市営住宅に転居して生活が安定し、地域包括支援センターに引き継いだため終結",
            visits=(
                V(210, "phone", "病院の医療ソーシャルワーカーから連絡。心不全で入院中の本人が、"
                  "退院後に階段のある今のアパートに戻るのは難しいとのこと。",
                  ("錦 まどか", "医療ソーシャルワーカー", "0852-00-0199")),
                V(200, "visit", "病院で本人と面談。年金収入のみで貯金は少ない。市営住宅の募集に"
                  "ついて説明し、申込みを支援することにした。"),
                V(160, "accompany", "市営住宅の入居手続きに同行。1階の部屋への入居が決まった。"),
                V(120, "home_visit", "転居後に訪問。生活は落ち着いている。今後の見守りを地域包括"
                  "支援センターに引き継ぐことを本人と確認し、支援を終結する。"),
            ),
        ),
        Scenario(
            key="work", name="景山 恵子", kana="カゲヤマ ケイコ", age=58, sex=F,
            address="松江市しらかた町1-9-6", phone="090-0000-2107",
            route="self", categories=("job_search", "income", "care"), follow_up=2,
            visits=(
                V(2, "visit", "本人が来所。母親の介護のために仕事を辞めたが、母親が施設に入所した"
                  "ため再就職したい。ブランクが長く、何から始めればよいか分からないとのこと。"),
            ),
        ),
        Scenario(
            key="dv", name="松本 冬美", kana="マツモト フユミ", age=39, sex=F,
            address="松江市みずうみ台7-2-11", phone="090-0000-2108",
            route="government", categories=("dv_abuse", "housing", "income"),
            agencies=("konkyu",), status=S.SUPPORT, follow_up=8,
            by_manager=True, sensitive=True,
            visits=(
                V(85, "visit", "県の女性相談センターから紹介され来所。元交際相手からのつきまとい"
                  "があり、転居を希望している。住所などの情報の取扱いについて説明した。"),
                V(78, "phone", "警察への相談に同行する日程を調整した。転居先の候補について本人と"
                  "確認した。"),
                V(60, "accompany", "転居先の契約に同行。住民票の閲覧制限の申出を行った。"),
                V(21, "phone", "本人に電話。新しい職場で働き始めた。つきまといは止まっているが、"
                  "外出時には不安があるとのこと。"),
            ),
        ),
        Scenario(
            key="tax", by="hokatsu", name="永井 昭", kana="ナガイ アキラ", age=74, sex=M,
            address="松江市やなぎ町3-7-5", phone="090-0000-2109",
            route="resident", categories=("tax_utilities", "isolation", "income"),
            agencies=("hokatsu", "konkyu"), status=S.ASSESSMENT, follow_up=-5,
            visits=(
                V(40, "phone", "近所の住民から連絡。一人暮らしの本人宅の電気が止まっているようだ"
                  "とのこと。"),
                V(39, "home_visit", "訪問。電気料金を3か月滞納し、送電が止められていた。年金の"
                  "支給日までの生活費がない。本人の了承を得て電力会社に連絡し、支払いの猶予を"
                  "相談した。"),
                V(25, "visit", "本人が来所。年金額に比べて自動車のローンと保険料の負担が大きい。"
                  "家計の見直しを一緒に進めることにした。"),
            ),
        ),
        Scenario(
            key="youth", by="kikan", name="三島 翼", kana="ミシマ ツバサ", age=21, sex=M,
            address="松江市しらかた町7-4-3", phone="090-0000-2110",
            route="participation_program", categories=("health", "job_search", "family"),
            agencies=("kikan",), status=S.ASSESSMENT, follow_up=6,
            visits=(
                V(60, "phone", "参加支援コーディネーターから連絡。作業体験に通う本人が手順を覚える"
                  "ことに苦労しており、家族との関係にも悩んでいる様子とのこと。"),
                V(47, "visit", "本人が来所。専門学校を中退後、アルバイトが続かなかった経験を"
                  "話した。発達の特性について知りたいと本人が話す。"),
                V(15, "accompany", "本人と医療機関の受診に同行。検査は来月の予定。本人の了承を"
                  "得て基幹相談支援センターにも相談した。"),
            ),
        ),
    ),
    referrals=(
        ReferralSpec("isolation", CONSULTATION, COMMUNITY,
                     "公民館の体操教室への参加を希望。送迎や声かけをしてくれる地域の協力者を"
                     "探したい。"),
        ReferralSpec("hikikomori", CONSULTATION, PARTICIPATION,
                     "在宅でのパソコン作業から社会参加を始めたい。通所は月1回程度から。"),
    ),
    meetings=(
        MeetingSpec(
            kind=Meeting.Kind.MULTIAGENCY, days_ago=10, title="重層的支援会議（第1回）",
            notes="門脇さんの支援プラン（参加支援・アウトリーチを利用）を承認した。",
            attendees=(
                ("松江市 福祉部 担当", "松江市 福祉部", None),
                ("基幹相談支援センター 相談員", "松江市基幹相談支援センター", "kikan"),
            ),
            items=(
                Item("hikikomori", D.DECIDE_PLAN, "プランを承認。参加支援を利用する。", S.SUPPORT),
            ),
        ),
    ),
)
# fmt: on

TENANTS = (TOYONAKA, MATSUE)


# --- the interpreter -------------------------------------------------------------------


def _born(age: int, name: str, today: datetime.date) -> datetime.date:
    """A birth date (stable day of the year per name) giving ``age`` today."""
    seed = sum(map(ord, name))
    month, day = seed % 12 + 1, seed % 28 + 1
    year = today.year - age - (1 if (month, day) > (today.month, today.day) else 0)
    return datetime.date(year, month, day)


def _moment(days_ago: int, today: datetime.date) -> datetime.datetime:
    """A time in office hours ``days_ago`` days before today, never in the future."""
    day = today - datetime.timedelta(days=days_ago)
    at = datetime.datetime.combine(
        day, datetime.time(9 + days_ago % 8, days_ago * 15 % 60), tzinfo=TOKYO
    )
    return min(at, timezone.now() - datetime.timedelta(minutes=1))


class _Seeder:
    def __init__(self, tenant: Tenant, municipality: Municipality) -> None:
        self.tenant = tenant
        self.municipality = municipality
        self.today = timezone.localdate()
        self.categories = {c.code: c for c in IssueCategory.objects.filter(municipality=None)}
        self.routes = {r.code: r for r in ContactRoute.objects.filter(municipality=None)}
        self.methods = {m.code: m for m in ConsultationMethod.objects.filter(municipality=None)}
        self.agencies: dict[str, SupportAgency] = {}
        self.cases: dict[str, Case] = {}

    def user(self, role: str) -> User:
        return demo_user(f"{self.tenant.key}-{role}")

    def day(self, days_ago: int) -> datetime.date:
        return self.today - datetime.timedelta(days=days_ago)

    def ensure_agencies(self) -> None:
        manager = self.user("manager")
        for spec in self.tenant.agencies:
            agency = SupportAgency.objects.filter(
                municipality=self.municipality, name=spec.name
            ).first() or collaboration_services.agency_create(
                user=manager,
                municipality=self.municipality,
                name=spec.name,
                field=spec.field,
                kind=spec.kind,
                contact=spec.contact,
                # The staff of an agency with demo accounts work for the organisation of
                # the same name (``demo.staff``).
                organisation=Organisation.objects.filter(
                    municipality=self.municipality, name=spec.name
                ).first(),
            )
            self.agencies[spec.key] = agency

    def person_fields(self, name: str, kana: str, age: int, sex: str) -> dict[str, Any]:
        return {
            "name": name,
            "name_kana": kana,
            "birth_date": _born(age, name, self.today),
            "sex": sex,
        }

    def consultation(self, visit: Visit, follow_up: int | None) -> ConsultationData:
        name, relationship, phone = visit.visitor or ("", "", "")
        return ConsultationData(
            occurred_at=_moment(visit.days_ago, self.today),
            method=self.methods[visit.method],
            summary=visit.summary,
            follow_up_on=None
            if follow_up is None
            else self.today + datetime.timedelta(days=follow_up),
            visitor_name=name,
            visitor_relationship=relationship,
            visitor_phone=phone,
        )

    def opener(self, sc: Scenario) -> User:
        # The case is its opener's agency's (主担当機関); the managers' belong to the office.
        return self.user(sc.by or ("manager" if sc.by_manager else "caseworker"))

    def scenario(self, sc: Scenario) -> Case:
        user = self.opener(sc)
        visits = sorted(sc.visits, key=lambda v: -v.days_ago)
        last = len(visits) - 1
        follow = [sc.follow_up if i == last else None for i in range(len(visits))]
        categories = [self.categories[code] for code in sc.categories]
        person = core_services.person_create(
            user=user,
            municipality=self.municipality,
            address=sc.address,
            phone_mobile=sc.phone,
            **self.person_fields(sc.name, sc.kana, sc.age, sc.sex),
        )
        case = core_services.case_open(
            user=user,
            person=person,
            route=self.routes[sc.route],
            categories=categories,
            primary_category=categories[0],
            opened_on=self.day(visits[0].days_ago),
            assigned_to=user,
            is_sensitive=sc.sensitive,
        )
        for visit, follow_up in zip(visits, follow, strict=True):
            consultation_services.consultation_log(
                user=user, case=case, data=self.consultation(visit, follow_up)
            )
        if sc.household:
            surname = sc.name.split()[0]
            core_services.household_create(
                user=user, case=case, name=f"{surname}家", address=sc.address
            )
            for m in sc.household:
                member = core_services.person_create(
                    user=user,
                    municipality=self.municipality,
                    address=sc.address,
                    **self.person_fields(m.name, m.kana, m.age, m.sex),
                )
                core_services.household_add_member(
                    user=user,
                    case=case,
                    person=member,
                    relationship=m.relationship,
                    is_carer=m.is_carer,
                    needs_care=m.needs_care,
                    works=m.works,
                    notes=m.notes,
                )
        if sc.consent:
            self.consent(sc.consent, user, person, case)
        for key in sc.agencies:
            # An agency joins the case only as far as the person's consent names it.
            agency = self.agencies[key]
            if agency != case.lead_agency and consent_covering(case, agency, self.today):
                case_agency_add(user=user, case=case, agency=agency)
                # An agency with staff on the portal names who works the case there.
                staff = agencies_staff([agency]).first()
                if staff is not None:
                    case_agency_assign(user=staff, case=case, agency=agency, staff=staff)
        for status in PATHS[sc.status]:
            case = core_services.case_change_status(
                user=user,
                case=case,
                to_status=status,
                reason=sc.close_reason if status == S.CLOSED else "",
                on=self.day(visits[-1].days_ago),
            )
        if sc.plan:
            p = sc.plan
            collaboration_services.plan_create(
                user=user,
                case=case,
                goals=p.goals,
                created_on=self.day(p.days_ago),
                review_on=self.day(p.days_ago - p.review_in_days),
                actions=[(self.agencies[a] if a else None, text) for a, text in p.actions],
                lead_agency=self.agencies[p.lead] if p.lead else None,
                uses_participation=p.uses_participation,
                uses_outreach=p.uses_outreach,
                form=PlanItems(
                    wishes=p.wishes,
                    issues="\n".join(p.issues),
                    long_term_goal=p.long_term_goal,
                    short_term_goal=p.short_term_goal,
                    period_to=self.day(p.days_ago - p.period_days) if p.period_days else None,
                    agreed_on=self.day(p.agreed_days_ago) if p.agreed_days_ago else None,
                    members=household_members(case) if p.for_household else [],
                ),
            )
        return case

    def evaluation(self, sc: Scenario) -> None:
        """The 評価シート of the plan a meeting decided."""
        plan = self.cases[sc.key].plans.filter(status=SupportPlan.Status.DECIDED).first()
        if plan is None or not sc.plan.evaluation:
            return
        collaboration_services.plan_evaluate(
            user=self.opener(sc),
            plan=plan,
            entries=[EvaluationEntry(*row) for row in sc.plan.evaluation],
            evaluated_on=self.day(sc.plan.evaluated_days_ago),
        )

    def consent(self, spec: ConsentSpec, user: User, person: Person, case: Case) -> None:
        consent = core_services.consent_record(
            user=user,
            person=person,
            case=case,
            agencies=[self.agencies[key] for key in spec.agencies],
            purpose=spec.purpose,
            scope=spec.scope,
            method=spec.method,
            witness=spec.witness,
            rules_explained=True,
            given_on=self.day(spec.days_ago),
        )
        if spec.withdrawn_days_ago is not None:
            core_services.consent_withdraw(
                user=user,
                consent=consent,
                withdrawn_on=self.day(spec.withdrawn_days_ago),
                note=spec.withdrawal_note,
            )

    def meeting(self, spec: MeetingSpec) -> None:
        manager = self.user("manager")
        items = []
        for item in spec.items:
            case = self.cases[item.case]
            plan = collaboration_services.plan_for_decision(case, item.decision)
            items.append(
                MeetingItemData(case=case, decision=item.decision, plan=plan, note=item.note)
            )
        meeting = collaboration_services.meeting_record(
            user=manager,
            municipality=self.municipality,
            kind=spec.kind,
            held_on=self.day(spec.days_ago),
            title=spec.title,
            notes=spec.notes,
            attendees=[
                AttendeeData(
                    name=name,
                    organisation=organisation,
                    agency=self.agencies[key] if key else None,
                    secrecy_acknowledged=True,
                )
                for name, organisation, key in spec.attendees
            ],
            items=items,
        )
        for case_key, agency_key in spec.shares:
            case_agency_add(
                user=manager,
                case=self.cases[case_key],
                agency=self.agencies[agency_key],
                meeting=meeting,
            )
        for item in spec.items:
            if item.then_status:
                case = self.cases[item.case]
                self.cases[item.case] = core_services.case_change_status(
                    user=case.assigned_to, case=case, to_status=item.then_status
                )

    def referral(self, spec: ReferralSpec) -> None:
        user = self.user(spec.by)
        referral = collaboration_services.referral_create(
            user=user,
            case=self.cases[spec.case],
            from_program=spec.from_program,
            to_program=spec.to_program,
            to_agency=self.agencies[spec.to_agency] if spec.to_agency else None,
            # From the caseworker's agency, as a referral made on the case page is.
            from_agency=agency_of(user) if spec.from_program == CONSULTATION else None,
            reason=spec.reason,
        )
        if spec.answered_by:
            collaboration_services.referral_respond(
                user=self.user(spec.answered_by), referral=referral, accept=True, note=spec.note
            )

    def run(self) -> None:
        # Oldest first, so that case numbers follow the opening dates.
        for sc in sorted(self.tenant.scenarios, key=lambda sc: -max(v.days_ago for v in sc.visits)):
            self.cases[sc.key] = self.scenario(sc)
        for meeting in self.tenant.meetings:
            self.meeting(meeting)
        for sc in self.tenant.scenarios:
            if sc.plan is not None:
                self.evaluation(sc)
        for referral in self.tenant.referrals:
            self.referral(referral)
        for by, case_key, reason in self.tenant.emergency_looks:
            case = self.cases[case_key]
            emergency_look(user=self.user(by), persons=[case.person], reason=reason)


def _demo_names(tenant: Tenant) -> list[str]:
    return [sc.name for sc in tenant.scenarios] + [
        m.name for sc in tenant.scenarios for m in sc.household
    ]


def seed_cases(command: Any) -> None:
    """Create the demo cases of each demo municipality that has none of them yet."""
    load_default_master_data(django_apps)  # present after migrate; restored after a flush
    parts = []
    for tenant in TENANTS:
        code = DEMO_TENANTS[tenant.key][0]
        municipality = Municipality.objects.get(code=code)
        seeder = _Seeder(tenant, municipality)
        seeder.ensure_agencies()
        names = _demo_names(tenant)
        if not Person.objects.filter(municipality=municipality, name__in=names).exists():
            seeder.run()
        count = Case.objects.filter(
            municipality=municipality, person__name__in=[sc.name for sc in tenant.scenarios]
        ).count()
        parts.append(f"{municipality.name} {count}")
    command.stdout.write("Demo cases: " + ", ".join(parts))
    from demo.evaluation import seed_evaluations
    from demo.plan import seed_plans

    seed_plans(command)
    seed_evaluations(command)
