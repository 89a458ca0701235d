"""Invented demo data of community building (run by ``manage.py seed_demo``).

Places and activities of the two demo municipalities with a few months of activity
records (numbers only), platform sessions whose outcomes include a new resource that
becomes a participation provider and menu, residents' concerns (気づき) in every state
of the caseworkers' queue, and demo cases whose person now goes to a place.

As in ``demo.cases`` and ``demo.participation``, the data below are interpreted by
``seed_community``, which writes everything through ``community.services`` as the demo
community worker (places, records, sessions, concerns) and the demo caseworker (taking
up concerns, linking cases to places), so the demo obeys the same rules as the pages.
Every name, phone number and story here is invented. Activity dates are the most
recent days of each place's schedule before the day of seeding.

A municipality that already has any of the demo places is left alone, so running the
seeder again creates nothing.
"""

from __future__ import annotations

import datetime
from calendar import FRIDAY, MONDAY, SATURDAY, SUNDAY, THURSDAY, TUESDAY, WEDNESDAY
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from cases.models import Case
from community import services
from community.models import (
    ActivityRecord,
    CasePlace,
    Concern,
    Outcome,
    Place,
    PlatformSession,
    Sector,
    TargetGroup,
)
from demo import cases as cases_demo
from demo.staff import DEMO_TENANTS, demo_user
from municipalities.models import Municipality, User
from participation.models import Accommodation, Menu, Provider, Weekday

PK = Place.Kind
OK = Place.OrganiserKind
T = TargetGroup
S = Sector
OC = Outcome.Kind
R = Concern.Reporter
U = Concern.Urgency
AC = Accommodation
W = Weekday

# What a caseworker does with a concern.
KEEP = ""  # left in the queue
OPEN = "open_case"  # a new case is opened from it
LINK = "link_case"  # added to an existing demo case
CLOSE = "close"  # closed without a case


# --- the shape of the data -------------------------------------------------------------


@dataclass(frozen=True)
class PlaceSpec:
    key: str
    name: str
    kind: str
    organiser: str
    organiser_kind: str
    area: str
    address: str
    schedule: str
    targets: tuple[str, ...]
    accessibility: str
    contact: str
    weekdays: tuple[int, ...]  # calendar.MONDAY …: the days the place is held
    weeks: tuple[int, ...] = ()  # weeks of the month (第1・第3 …); empty: every week
    records: tuple[tuple[int, int, str], ...] = ()  # participants, volunteers, note; oldest first
    status: str = Place.Status.ACTIVE


@dataclass(frozen=True)
class ResourceSpec:
    """A new resource that becomes a participation provider and its first menu."""

    provider: dict[str, Any]
    menu: dict[str, Any]


@dataclass(frozen=True)
class OutcomeSpec:
    kind: str
    description: str
    organisation: str = ""
    resource: ResourceSpec | None = None


@dataclass(frozen=True)
class SessionSpec:
    days_ago: int
    theme: str
    attendance: dict[str, int]
    notes: str
    outcomes: tuple[OutcomeSpec, ...]


@dataclass(frozen=True)
class ConcernSpec:
    reporter_kind: str
    urgency: str
    observation: str
    subject_name: str = ""
    subject_kana: str = ""
    subject_area: str = ""
    how_to_reach: str = ""
    reporter_name: str = ""
    reporter_contact: str = ""
    action: str = KEEP
    case: str = ""  # LINK: the key of the scenario in demo.cases
    note: str = ""  # CLOSE: the reason


@dataclass(frozen=True)
class LinkSpec:
    case: str  # the key of the scenario in demo.cases
    place: str  # PlaceSpec.key
    days_ago: int
    note: str


@dataclass(frozen=True)
class Tenant:
    key: str  # "a" or "b" in DEMO_TENANTS
    places: tuple[PlaceSpec, ...]
    sessions: tuple[SessionSpec, ...]
    concerns: tuple[ConcernSpec, ...]
    links: tuple[LinkSpec, ...]


# fmt: off
# --- 豊中市 ------------------------------------------------------------------------------

TOYONAKA = Tenant(
    key="a",
    places=(
        PlaceSpec(
            "youth", "ユースラウンジ はっとり", PK.PLACE,
            "一般社団法人まちのよりみち", OK.NPO, "服部", "豊中市服部元町1-6-3 1階（元・文具店）",
            "毎週水曜・金曜 16:00〜20:00（出入り自由）", (T.YOUTH,),
            "駅から徒歩3分。入口に段差1段（スロープ貸出あり）。静かに過ごせる小部屋あり。",
            "まちのよりみち 事務局 06-0000-3201",
            (WEDNESDAY, FRIDAY),
            records=((5, 2, ""), (7, 2, ""), (4, 2, "雨で来所が少なかった"), (8, 3, ""),
                     (6, 2, "初めて来た高校生が1人"), (9, 3, "")),
        ),
        PlaceSpec(
            "shokudo", "こども食堂 おてらごはん", PK.CHILDREN_CAFETERIA,
            "浄土宗 蓮光寺", OK.OTHER, "服部", "豊中市若葉通3-2-8 蓮光寺 本堂横",
            "毎週土曜 17:00〜19:00（子ども無料・大人300円）", (T.CHILDREN, T.FAMILIES),
            "本堂横の会館1階（段差なし）。アレルギーは事前に相談を。",
            "蓮光寺 庫裡 06-0000-3202",
            (SATURDAY,),
            records=((38, 9, ""), (42, 10, ""), (35, 8, ""), (44, 11, "農園から野菜の差し入れ"),
                     (40, 9, ""), (47, 12, "学習コーナーを試行"), (41, 10, ""), (45, 10, "")),
        ),
        PlaceSpec(
            "cafe_paused", "ふれあい喫茶 さくら", PK.SALON,
            "服部南町自治会 福祉委員会", OK.RESIDENTS, "服部", "豊中市服部南町2-4 南町集会所",
            "毎週木曜 10:00〜12:00（集会所の改修のため休止中）", (T.ELDERLY, T.EVERYONE),
            "集会所2階（エレベーターなし）。", "福祉委員 06-0000-3203",
            (THURSDAY,), status=Place.Status.PAUSED,
        ),
        PlaceSpec(
            "hokenshitsu", "暮らしの保健室 しょうない", PK.OTHER,
            "訪問看護ステーションあおば", OK.COMPANY, "庄内", "豊中市ひかり町2-9-1 1階",
            "毎月第2・第4火曜 13:00〜16:00（予約不要・相談無料）", (T.EVERYONE, T.ELDERLY),
            "1階の路面店。車いす可。看護師が健康や介護の相談に応じる。",
            "訪問看護ステーションあおば 06-0000-3204",
            (TUESDAY,), weeks=(2, 4),
            records=((6, 2, ""), (9, 2, ""), (5, 2, ""), (11, 3, "血圧測定会を同時開催"),
                     (7, 2, ""), (8, 2, "")),
        ),
        PlaceSpec(
            "taiso", "千里 いきいき百歳体操の会", PK.GATHERING,
            "千里ニュータウン第二住宅 自治会", OK.RESIDENTS, "千里",
            "豊中市みどり台5-8 第二住宅集会所",
            "毎週火曜・金曜 10:00〜11:00", (T.ELDERLY,),
            "集会所1階（段差なし）。椅子に座ってできる体操。おもりは貸し出し。",
            "自治会 福祉部 06-0000-3205",
            (TUESDAY, FRIDAY),
            records=((16, 2, ""), (18, 2, ""), (15, 2, ""), (19, 3, "体力測定を実施"),
                     (17, 2, ""), (18, 2, ""), (20, 2, "移動販売車が集会所前に来た"),
                     (19, 2, "")),
        ),
        PlaceSpec(
            "orange", "オレンジカフェ みどりの里", PK.DEMENTIA_CAFE,
            "特別養護老人ホーム 千里みどりの里", OK.OTHER, "千里",
            "豊中市みどり台5-1-1 地域交流スペース",
            "毎月第3土曜 14:00〜16:00（参加費100円）", (T.DEMENTIA, T.ELDERLY),
            "施設1階の地域交流スペース。車いす可、駐車場あり。認知症の人と家族、どなたでも。",
            "千里みどりの里 生活相談員 06-0000-3107",
            (SATURDAY,), weeks=(3,),
            records=((9, 4, ""), (11, 4, "介護者どうしの座談会"), (12, 5, "初めての家族が2組")),
        ),
        PlaceSpec(
            "garden", "ほたるいけ みんなの畑", PK.ACTIVITY,
            "蛍池みんなの畑の会", OK.RESIDENTS, "蛍池", "豊中市みどり台1-12 市有地の一角",
            "毎週土曜 9:00〜11:00（雨天中止）", (T.EVERYONE, T.DISABILITY),
            "平らな通路あり。腰の高さの花壇で座ったまま作業できる。",
            "畑の会 代表 06-0000-3206",
            (SATURDAY,),
            records=((8, 2, ""), (6, 2, ""), (10, 2, "さつまいもの苗植え"), (7, 2, ""),
                     (9, 3, "支援学校の生徒が体験参加")),
        ),
        PlaceSpec(
            "reading", "岡町図書館 おとなの読書会", PK.ACTIVITY,
            "豊中市立岡町図書館", OK.MUNICIPALITY, "岡町", "豊中市青葉町1-10-2 岡町図書館 集会室",
            "毎月第1日曜 10:00〜11:30（申込不要）", (T.EVERYONE, T.ELDERLY),
            "図書館2階（エレベーターあり）。大活字本・拡大鏡を用意。",
            "岡町図書館 カウンター 06-0000-3207",
            (SUNDAY,), weeks=(1,),
            records=((8, 1, ""), (7, 1, ""), (9, 1, "朗読ボランティアが参加")),
        ),
        PlaceSpec(
            "salon", "岡町ふれあいサロン ひだまり", PK.SALON,
            "岡町第三自治会 福祉委員会", OK.RESIDENTS, "岡町", "豊中市青葉町4-3 岡町第三集会所",
            "毎月第2・第4水曜 13:30〜15:30（参加費100円・お茶付き）", (T.ELDERLY, T.EVERYONE),
            "集会所1階（段差なし）。送迎が必要な人は世話人に相談を。",
            "福祉委員 06-0000-3208",
            (WEDNESDAY,), weeks=(2, 4),
            records=((14, 5, ""), (16, 5, ""), (13, 4, ""), (15, 5, "手芸の日"),
                     (17, 5, "相談窓口からの紹介で1人が初参加"), (16, 5, "")),
        ),
        PlaceSpec(
            "tsudoi", "ほっとサロン 介護者のつどい", PK.SALON,
            "豊中市社会福祉協議会", OK.SWC, "蛍池", "豊中市蛍池中町2-1 蛍池地域福祉センター",
            "毎月第4金曜 10:00〜12:00", (T.DEMENTIA, T.FAMILIES),
            "福祉センター1階。介護中の家族が話せる場。本人の見守りボランティアあり。",
            "豊中市社協 地域福祉課 06-0000-0105",
            (FRIDAY,), weeks=(4,),
            records=((6, 2, ""), (8, 2, ""), (7, 2, "")),
        ),
    ),
    sessions=(
        SessionSpec(
            75, "空き店舗を活用した居場所づくり",
            {S.GOVERNMENT: 3, S.COMPANY: 2, S.NPO: 4, S.RESIDENTS: 8, S.SWC: 2, S.WELFARE: 1},
            "商店街の空き店舗の現状を商店街振興組合から報告してもらい、居場所として使う案を"
            "グループで話し合った。家賃と光熱費の負担、鍵の管理、店番を誰が担うかが論点に"
            "なった。",
            (
                OutcomeSpec(
                    OC.NEW_RESOURCE,
                    "庄内栄町商店街振興組合が、空き店舗1軒を週3日「まちの縁側」として開放する。"
                    "店番とお茶出しを担う人を募り、参加支援の体験の場としても受け入れる。",
                    "庄内栄町商店街振興組合",
                    ResourceSpec(
                        provider={
                            "name": "庄内栄町商店街 まちの縁側",
                            "kind": Provider.Kind.OTHER,
                            "contact_person": "振興組合 事務局 村田 和夫",
                            "phone": "06-0000-3209",
                            "area": "庄内",
                            "host_support": "店番の手順を一緒に決めたい。初回は参加支援の"
                            "コーディネーターに同席してほしい。鍵の受け渡し方法を相談したい。",
                        },
                        menu={
                            "name": "まちの縁側の店番・お茶出し",
                            "kind": Menu.Kind.VOLUNTEERING,
                            "description": "商店街の空き店舗を開いた「まちの縁側」で、来た人に"
                            "お茶を出し、店番をします。商店街の人や買い物客と顔見知りになれます。"
                            "座っていられる時間だけの参加でも構いません。",
                            "capacity": 3,
                            "area": "庄内",
                            "location": "庄内栄町商店街 まちの縁側（元・呉服店）",
                            "days": [W.TUE, W.THU, W.SAT],
                            "schedule": "13:00〜16:00（1時間から）",
                            "interests": ["人と話す", "地域", "接客"],
                            "accommodations": [AC.SHORT_HOURS, AC.COMPANION, AC.FLEXIBLE_DAYS],
                            "eligibility": "どなたでも",
                            "cost": "無料",
                            "contact": "振興組合 村田（06-0000-3209）",
                        },
                    ),
                ),
                OutcomeSpec(
                    OC.NEW_COLLABORATION,
                    "服部元町の空き店舗の家主と一般社団法人まちのよりみちが、光熱費のみの負担で"
                    "若者の居場所に貸し出すことで合意した。",
                    "一般社団法人まちのよりみち",
                ),
                OutcomeSpec(
                    OC.ISSUE_RAISED,
                    "空き店舗を居場所にするとき、火災保険と鍵の管理を誰が担うかの決まりがない。"
                    "市と社協で手引きを作る必要がある。",
                ),
            ),
        ),
        SessionSpec(
            40, "企業と福祉の出会いの場",
            {S.COMPANY: 6, S.WELFARE: 4, S.GOVERNMENT: 2, S.NPO: 2, S.SWC: 2, S.SCHOOL: 1},
            "市内の企業6社と福祉事業者が、仕事の切り出しと受け入れの工夫について事例を"
            "紹介し合った。後半は業種ごとに分かれて、すぐに試せることを話し合った。",
            (
                OutcomeSpec(
                    OC.NEW_COLLABORATION,
                    "株式会社ほたるいけ印刷と就労継続支援B型事業所が、チラシの折りと封入作業の"
                    "受発注を3か月試行する。",
                    "株式会社ほたるいけ印刷",
                ),
                OutcomeSpec(
                    OC.NEW_RESOURCE,
                    "ドラッグストア蛍池店が、店内の休憩スペースを月2回、高齢者の健康相談会の"
                    "会場として開放する。",
                    "ドラッグストア蛍池店",
                ),
                OutcomeSpec(
                    OC.ISSUE_RAISED,
                    "企業から「ひきこもりの経験がある人をどう受け入れればよいか分からない」と"
                    "の声が多かった。受け入れる側向けの勉強会が必要。",
                ),
            ),
        ),
        SessionSpec(
            12, "買い物支援（千里ニュータウンの団地）",
            {S.RESIDENTS: 10, S.COMPANY: 2, S.GOVERNMENT: 2, S.SWC: 2, S.WELFARE: 2},
            "団地近くのスーパーが閉店して半年。自治会のアンケート結果をもとに、買い物に"
            "困っている人の状況と、今ある移動販売・宅配の使われ方を確認した。",
            (
                OutcomeSpec(
                    OC.ISSUE_RAISED,
                    "坂の上の棟に住む高齢者が重い荷物を運べず、食事が偏りがちになっている。"
                    "宅配は注文方法が難しいとの声。",
                ),
                OutcomeSpec(
                    OC.NEW_COLLABORATION,
                    "生協の移動販売車が、いきいき百歳体操の開催日（火曜）に合わせて集会所前に"
                    "停まる。体操の世話人が買い物の声かけをする。",
                    "コープみどり 移動販売",
                ),
            ),
        ),
    ),
    concerns=(
        # Taken up the same day; 松江's urgent concern is the one left in the queue.
        ConcernSpec(
            R.SHOP, U.URGENT,
            "一人暮らしの高齢の女性宅の郵便受けに、新聞が3日分たまっている。呼び鈴を鳴らし"
            "たが応答がなく、夜も部屋の明かりがついていなかった。普段は毎朝玄関先で挨拶を"
            "する方。",
            subject_name="森田 フミ", subject_kana="モリタ フミ",
            subject_area="庄内（ひかり町5丁目 ひかり荘1階）",
            how_to_reach="近くに住む妹が合鍵を持っていると聞いている（連絡先は販売店で把握）。",
            reporter_name="庄内新聞販売所 配達員", reporter_contact="06-0000-3291",
            action=OPEN,
        ),
        ConcernSpec(
            R.MINSEI, U.SOON,
            "先月妻を亡くしてから外出が減り、ごみ出しの曜日を間違えることが増えた。話すと"
            "しっかりしているが「食事は面倒で」と言い、少し痩せたように見える。息子は東京に"
            "いて、連絡はあまり取っていないらしい。",
            subject_name="坂口 清", subject_kana="サカグチ キヨシ",
            subject_area="岡町（青葉町6丁目 一戸建て）",
            how_to_reach="民生委員の谷口が訪問に同行できる（平日の午後）。",
            reporter_name="谷口 幸子", reporter_contact="090-0000-1905",
        ),
        ConcernSpec(
            R.PLACE, U.SOON,
            "ユースラウンジに通う高校2年の男子が、最近は閉所の20時まで残り「家に帰りたく"
            "ない」と話す。夕食はコンビニのおにぎりで済ませることが多い様子。父親と二人暮らし"
            "と聞いている。",
            subject_name="西村 悠斗", subject_kana="ニシムラ ユウト",
            subject_area="服部（服部元町周辺）",
            how_to_reach="水曜・金曜の夕方にユースラウンジで会える。本人はスタッフの同席を希望。",
            reporter_name="ユースラウンジ はっとり スタッフ", reporter_contact="06-0000-3201",
        ),
        ConcernSpec(
            R.RESIDENT, U.NORMAL,
            "服部天神駅前のベンチに、平日の昼間いつも同じ高齢の男性が座っている。夏も冬も"
            "同じ上着で、昼食をとっている様子がない。声をかけると会釈はするが、名前や住まいは"
            "分からない。",
            subject_area="服部（服部天神駅前のバス停横のベンチ）",
            how_to_reach="平日の11時〜15時ごろ、駅前のベンチにいることが多い。",
            reporter_name="近所の住民（匿名希望）",
        ),
        ConcernSpec(
            R.VOLUNTEER, U.NORMAL,
            "サロンの送迎ボランティアとして吉村さん宅の前を通ると、片付けた庭に再びごみ袋が"
            "積まれ始めている。本人は元気そうで、サロンに誘うと「今度ね」と笑っていた。",
            subject_name="吉村 ハル", subject_kana="ヨシムラ ハル",
            subject_area="庄内（ひかり町2丁目）",
            reporter_name="ふれあいサロン 送迎ボランティア", reporter_contact="06-0000-3208",
            action=LINK, case="community",
        ),
        ConcernSpec(
            R.SCHOOL, U.NORMAL,
            "小学2年の児童が、月曜日になると給食をおかわりし、週末はあまり食べていない様子。"
            "服装は清潔で、母親とは連絡が取れている。",
            subject_name="大野 ひなた", subject_kana="オオノ ヒナタ",
            subject_area="千里（みどり台4丁目）",
            how_to_reach="学校の担任を通じて母親に連絡できる。",
            reporter_name="みどり台小学校 教頭", reporter_contact="06-0000-3292",
            action=CLOSE,
            note="スクールソーシャルワーカーが既に家庭訪問しており、子ども家庭総合支援拠点とも"
            "連携済みと確認した。学校と拠点で見守るため、相談窓口としての対応は不要。",
        ),
    ),
    links=(
        LinkSpec("isolation", "salon", 20,
                 "世話人が送迎。昔の手芸の会の知り合いと再会し、毎回参加している。"),
        LinkSpec("family", "tsudoi", 14, "夫の介護について、同じ立場の家族と話せる場として紹介。"),
        LinkSpec("shokudo", "shokudo", 2,
                 "以前から小学生の子ども2人と毎週利用している。相談後も食堂のスタッフが"
                 "様子を見守る。"),
    ),
)

# --- 松江市 ------------------------------------------------------------------------------

MATSUE = Tenant(
    key="b",
    places=(
        PlaceSpec(
            "taiso", "しらかた いきいき百歳体操の会", PK.GATHERING,
            "しらかた町内会 いきいき部", OK.RESIDENTS, "市街地",
            "松江市しらかた町3-1 しらかた公民館",
            "毎週月曜・木曜 10:00〜11:00", (T.ELDERLY,),
            "公民館1階の和室（椅子あり）。送迎は町内の協力者が相談に応じる。",
            "しらかた公民館 0852-00-3201",
            (MONDAY, THURSDAY),
            records=((12, 2, ""), (14, 2, ""), (11, 2, ""), (13, 2, ""),
                     (15, 3, "新しい参加者が1人（送迎付き）"), (14, 2, "")),
        ),
        PlaceSpec(
            "youth", "まつえユースルーム", PK.PLACE,
            "NPO法人しまね若者サポート", OK.NPO, "市街地", "松江市やなぎ町1-4-6 2階",
            "毎週火曜・土曜 14:00〜19:00（出入り自由）", (T.YOUTH,),
            "2階（エレベーターなし）。オンラインでの参加も可。", "しまね若者サポート 0852-00-3202",
            (TUESDAY, SATURDAY),
            records=((4, 2, ""), (6, 2, ""), (3, 2, ""), (5, 2, "オンライン参加が2人"),
                     (7, 2, "")),
        ),
        PlaceSpec(
            "shokudo", "しんじこ こども食堂", PK.CHILDREN_CAFETERIA,
            "NPO法人しんじこネット", OK.NPO, "宍道", "松江市宍道町ひがし2-3 宍道公民館 調理室",
            "毎月第2・第4土曜 17:00〜19:00（子ども無料・大人300円）",
            (T.CHILDREN, T.FAMILIES, T.EVERYONE),
            "公民館1階（段差なし）。", "しんじこネット 0852-00-3203",
            (SATURDAY,), weeks=(2, 4),
            records=((24, 7, ""), (28, 8, "しじみ汁の日"), (22, 7, ""), (27, 8, ""),
                     (30, 9, "")),
        ),
        PlaceSpec(
            "orange", "オレンジカフェ 宍道の家", PK.DEMENTIA_CAFE,
            "グループホーム宍道の家", OK.OTHER, "宍道", "松江市宍道町にし1-8-2",
            "毎月第1日曜 13:30〜15:30（施設の感染症対策のため休止中）", (T.DEMENTIA, T.ELDERLY),
            "施設1階の食堂（段差なし）。", "グループホーム宍道の家 0852-00-3204",
            (SUNDAY,), weeks=(1,), status=Place.Status.PAUSED,
        ),
        PlaceSpec(
            "salon", "美保関 港のふれあいサロン", PK.SALON,
            "美保関地区社会福祉協議会", OK.SWC, "美保関", "松江市美保関町うみべ1-2 地区集会所",
            "毎月第1・第3水曜 13:30〜15:00", (T.ELDERLY, T.EVERYONE),
            "集会所1階。移動販売車の停車時間に合わせて開催。",
            "美保関地区社協 0852-00-3205",
            (WEDNESDAY,), weeks=(1, 3),
            records=((11, 3, ""), (9, 3, ""), (12, 4, ""), (10, 3, "移動販売車と同時開催")),
        ),
    ),
    sessions=(
        SessionSpec(
            30, "買い物支援と移動販売（美保関・宍道）",
            {S.RESIDENTS: 7, S.COMPANY: 2, S.GOVERNMENT: 2, S.SWC: 3, S.WELFARE: 1},
            "バスの減便で買い物に困る高齢者が増えている地区の住民と、地元のスーパー、社協が"
            "集まった。移動販売の巡回ルートと、見守りとの組み合わせ方を話し合った。",
            (
                OutcomeSpec(
                    OC.NEW_RESOURCE,
                    "地元スーパー「みほのせきマート」が、移動販売の品出しと声かけを手伝う人を、"
                    "参加支援の体験として受け入れると申し出た。",
                    "みほのせきマート",
                    ResourceSpec(
                        provider={
                            "name": "みほのせきマート",
                            "kind": Provider.Kind.SHOP,
                            "contact_person": "店長 浜崎 誠一",
                            "phone": "0852-00-3209",
                            "area": "美保関",
                            "host_support": "初回は店まで送迎の相談をしたい。移動販売の車内は"
                            "狭いので、体調のことは事前に教えてほしい。",
                        },
                        menu={
                            "name": "移動販売の品出しとお客さんへの声かけ",
                            "kind": Menu.Kind.WORK_EXPERIENCE,
                            "description": "移動販売車に同乗し、停車場所で商品を並べ、お客さん"
                            "の袋詰めを手伝います。常連の高齢者と顔を合わせ、変わった様子が"
                            "あれば店長に伝えます。",
                            "capacity": 1,
                            "area": "美保関",
                            "location": "みほのせきマート（移動販売車の発着場所）",
                            "days": [W.WED, W.FRI],
                            "schedule": "10:00〜13:00（2時間から）",
                            "interests": ["接客", "地域", "高齢者"],
                            "accommodations": [AC.SHORT_HOURS, AC.COMPANION],
                            "eligibility": "18歳以上",
                            "cost": "無料（昼食付き）",
                            "contact": "みほのせきマート 浜崎（0852-00-3209）",
                        },
                    ),
                ),
                OutcomeSpec(
                    OC.NEW_COLLABORATION,
                    "移動販売車の運転手が、いつも来る人が来ないときに地区社協へ連絡する見守りの"
                    "取り決めを結んだ。",
                    "みほのせきマート",
                ),
                OutcomeSpec(
                    OC.ISSUE_RAISED,
                    "バスの減便で、宍道地区の通いの場に来られなくなった人がいる。送迎の担い手が"
                    "足りない。",
                ),
            ),
        ),
    ),
    concerns=(
        ConcernSpec(
            R.SHOP, U.URGENT,
            "毎週水曜に移動販売車で買い物をする一人暮らしの女性が、2週続けて姿を見せない。"
            "家の前で声をかけたが返事がなく、カーテンが閉まったままだった。",
            subject_name="川島 トシ子", subject_kana="カワシマ トシコ",
            subject_area="美保関（美保関町うみべ3丁目）",
            how_to_reach="地区の民生委員が家族の連絡先を知っている。",
            reporter_name="みほのせきマート 移動販売 運転手", reporter_contact="0852-00-3209",
        ),
        ConcernSpec(
            R.RESIDENT, U.SOON,
            "隣家の60代の男性が、半年前に仕事を辞めてから昼間もカーテンを閉め切っている。"
            "先日、家賃の督促らしい貼り紙が玄関にあった。会えば挨拶はする。",
            subject_name="野津 和夫", subject_kana="ノツ カズオ",
            subject_area="宍道（宍道町ひがし4丁目 借家）",
            how_to_reach="夕方なら在宅していることが多い。",
            reporter_name="近所の住民", reporter_contact="0852-00-3291",
            action=OPEN,
        ),
        ConcernSpec(
            R.PLACE, U.NORMAL,
            "体操の後のお茶の時間に、佐々木さんが「配食のお弁当を半分残して夜に食べている」"
            "と話していた。立ち上がるときに足元がふらつくことがあった。",
            subject_name="佐々木 ミツ", subject_kana="ササキ ミツ",
            subject_area="市街地（しらかた町3丁目）",
            reporter_name="しらかた いきいき百歳体操の会 世話人", reporter_contact="0852-00-3201",
            action=LINK, case="isolation",
        ),
    ),
    links=(
        LinkSpec("isolation", "taiso", 10,
                 "以前通っていた体操教室に再び参加。町内の協力者が送迎している。"),
        LinkSpec("tax", "taiso", 5, "家計相談の帰りに見学し、本人が参加を希望した。"),
    ),
)
# fmt: on

TENANTS = (TOYONAKA, MATSUE)


# --- the interpreter -------------------------------------------------------------------


def held_days(
    today: datetime.date, weekdays: tuple[int, ...], weeks: tuple[int, ...], count: int
) -> list[datetime.date]:
    """The ``count`` most recent dates before ``today`` on ``weekdays`` (and, if given,
    in ``weeks`` of the month: 第1 = 1 …), oldest first."""
    found: list[datetime.date] = []
    day = today
    while len(found) < count:
        day -= datetime.timedelta(days=1)
        if day.weekday() in weekdays and (not weeks or (day.day - 1) // 7 + 1 in weeks):
            found.append(day)
    return found[::-1]


class _Seeder:
    def __init__(self, tenant: Tenant, municipality: Municipality) -> None:
        self.tenant = tenant
        self.municipality = municipality
        self.worker: User = demo_user(f"{tenant.key}-community")
        self.caseworker: User = demo_user(f"{tenant.key}-caseworker")
        self.today = timezone.localdate()
        self.places: dict[str, Place] = {}

    def day(self, days_ago: int) -> datetime.date:
        return self.today - datetime.timedelta(days=days_ago)

    def demo_case(self, key: str) -> Case | None:
        """The open case of the cases demo's scenario ``key``: its person and its most
        pressing category."""
        [tenant] = [t for t in cases_demo.TENANTS if t.key == self.tenant.key]
        [scenario] = [sc for sc in tenant.scenarios if sc.key == key]
        return (
            Case.objects.filter(
                municipality=self.municipality,
                person__name=scenario.name,
                case_categories__category__code=scenario.categories[0],
                deleted_at__isnull=True,
            )
            .exclude(status=Case.Status.CLOSED)
            .order_by("-opened_on", "-pk")
            .first()
        )

    def place(self, spec: PlaceSpec) -> Place:
        place = services.place_save(
            user=self.worker,
            municipality=self.municipality,
            name=spec.name,
            kind=spec.kind,
            organiser=spec.organiser,
            organiser_kind=spec.organiser_kind,
            area=spec.area,
            address=spec.address,
            schedule=spec.schedule,
            target_groups=list(spec.targets),
            accessibility=spec.accessibility,
            contact=spec.contact,
            status=spec.status,
        )
        if spec.status == Place.Status.ACTIVE and spec.records:
            dates = held_days(self.today, spec.weekdays, spec.weeks, len(spec.records))
            for (participants, volunteers, note), held_on in zip(spec.records, dates, strict=True):
                services.activity_record(
                    user=self.worker,
                    place=place,
                    held_on=held_on,
                    participants=participants,
                    volunteers=volunteers,
                    note=note,
                )
        return place

    def session(self, spec: SessionSpec) -> None:
        session = services.platform_session_record(
            user=self.worker,
            municipality=self.municipality,
            held_on=self.day(spec.days_ago),
            theme=spec.theme,
            attendance=dict(spec.attendance),
            notes=spec.notes,
            outcomes=[(o.kind, o.description, o.organisation) for o in spec.outcomes],
            organisations=ORGANISATIONS.get(spec.theme, ()),
        )
        outcomes = session.outcomes.order_by("pk")
        for outcome, o in zip(outcomes, spec.outcomes, strict=True):
            r = o.resource
            if r is None:
                continue
            if Provider.objects.filter(
                municipality=self.municipality, name=r.provider["name"]
            ).exists():
                continue  # a provider of that name was made by hand: leave the outcome open
            services.outcome_to_provider(
                user=self.worker, outcome=outcome, provider_fields=r.provider, menu_fields=r.menu
            )

    def concern(self, spec: ConcernSpec) -> None:
        concern = services.concern_record(
            user=self.worker,
            municipality=self.municipality,
            reporter_kind=spec.reporter_kind,
            reporter_name=spec.reporter_name,
            reporter_contact=spec.reporter_contact,
            subject_name=spec.subject_name,
            subject_kana=spec.subject_kana,
            subject_area=spec.subject_area,
            how_to_reach=spec.how_to_reach,
            observation=spec.observation,
            urgency=spec.urgency,
        )
        if spec.action == OPEN:
            services.concern_open_case(user=self.caseworker, concern=concern)
        elif spec.action == LINK:
            case = self.demo_case(spec.case)
            if case is not None:  # otherwise left in the queue
                services.concern_link_case(user=self.caseworker, concern=concern, case=case)
        elif spec.action == CLOSE:
            services.concern_close(user=self.caseworker, concern=concern, note=spec.note)

    def link(self, spec: LinkSpec) -> None:
        case = self.demo_case(spec.case)
        if case is None:
            return
        services.case_place_link(
            user=self.caseworker,
            case=case,
            place=self.places[spec.place],
            since=self.day(spec.days_ago),
            note=spec.note,
        )

    def run(self) -> None:
        for spec in self.tenant.places:
            self.places[spec.key] = self.place(spec)
        for session in sorted(self.tenant.sessions, key=lambda s: -s.days_ago):
            self.session(session)
        for concern in self.tenant.concerns:
            self.concern(concern)
        for link in self.tenant.links:
            self.link(link)


# The organisations named at each session (参加機関: counted once each in the statistics).
ORGANISATIONS: dict[str, tuple[str, ...]] = {
    "空き店舗を活用した居場所づくり": (
        "豊中市", "商店街振興組合", "NPO法人とよなかつなぐ", "豊中市社会福祉協議会",
        "地域包括支援センター",
    ),
    "企業と福祉の出会いの場": (
        "株式会社ほたるいけ印刷", "就労継続支援B型事業所", "豊中市社会福祉協議会", "豊中市",
        "NPO法人とよなかつなぐ", "市立中学校",
    ),
    "買い物支援（千里ニュータウンの団地）": (
        "団地自治会", "スーパー千里店", "豊中市社会福祉協議会", "地域包括支援センター", "豊中市",
    ),
    "買い物支援と移動販売（美保関・宍道）": (
        "みほのせきマート", "松江市社会福祉協議会", "松江市", "地区社協",
    ),
}  # fmt: skip


def seed_community(command: Any) -> None:
    """Create the community demo of each demo municipality that has none of it yet."""
    parts = []
    for tenant in TENANTS:
        municipality = Municipality.objects.get(code=DEMO_TENANTS[tenant.key][0])
        names = [p.name for p in tenant.places]
        if not Place.objects.filter(municipality=municipality, name__in=names).exists():
            _Seeder(tenant, municipality).run()
        counts = {
            "places": Place.objects.filter(municipality=municipality).count(),
            "records": ActivityRecord.objects.filter(municipality=municipality).count(),
            "sessions": PlatformSession.objects.filter(municipality=municipality).count(),
            "concerns": Concern.objects.filter(municipality=municipality).count(),
            "case links": CasePlace.objects.filter(municipality=municipality).count(),
        }
        parts.append(f"{municipality.name} " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    command.stdout.write("Demo community: " + "; ".join(parts))
