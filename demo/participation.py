"""Invented demo data of participation support (run by ``manage.py seed_demo``).

Providers and menus of the two demo municipalities, and participation for the people
the cases demo referred to participation support: a matching profile, assignments,
session logs (one with a concern that goes back to the caseworker) and a follow-up.

As in ``demo.cases``, the data below are interpreted by ``seed_participation``, which
writes everything through ``participation.services`` as the demo coordinator, so the
demo obeys the same rules as the pages (capacity, accepted referral first, no session
before it happens …). Every name, phone number and story here is invented. Session
dates are the most recent days of the menu's weekdays before the day of seeding.

A municipality that already has any of the demo providers is left alone, so running
the seeder again creates nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from cases.collaboration import services as collaboration_services
from cases.models import Referral
from demo.staff import DEMO_TENANTS, demo_user
from municipalities.models import Municipality, User
from participation import services
from participation.models import Accommodation, Assignment, Menu, Provider, SessionLog, Weekday
from participation.program import PROGRAM as PARTICIPATION

K = Menu.Kind
PK = Provider.Kind
AC = Accommodation
W = Weekday
AS = Assignment.Status
AT = SessionLog.Attendance


# --- the shape of the data -------------------------------------------------------------


@dataclass(frozen=True)
class ProviderSpec:
    key: str
    name: str
    kind: str
    contact_person: str
    phone: str
    area: str
    address: str
    host_support: str
    email: str = ""
    notes: str = ""


@dataclass(frozen=True)
class MenuSpec:
    key: str
    provider: str  # ProviderSpec.key
    name: str
    description: str
    kind: str
    days: tuple[str, ...]
    schedule: str
    capacity: int
    interests: tuple[str, ...]
    accommodations: tuple[str, ...]
    eligibility: str
    cost: str
    contact: str
    location: str = ""
    status: str = Menu.Status.ACTIVE
    made_for: str = ""  # PersonSpec.name: a made-to-order menu for that person


@dataclass(frozen=True)
class Session:
    attendance: str
    observation: str
    concerns: tuple[str, ...] = ()
    concern_note: str = ""


@dataclass(frozen=True)
class FollowUpSpec:
    """One follow-up done today with the host's feedback, and the next one scheduled."""

    host_feedback: str
    note: str
    next_in_days: int


@dataclass(frozen=True)
class AssignmentSpec:
    menu: str  # MenuSpec.key
    status: str  # proposed, trial or active
    sessions: tuple[Session, ...] = ()  # oldest first; the first is the trial's start
    active_from: int = 1  # index of the session from which the person takes part
    follow_up: FollowUpSpec | None = None


@dataclass(frozen=True)
class PersonSpec:
    """A person of the cases demo referred to participation support."""

    name: str  # Person.name in demo.cases
    accept_note: str  # used if the referral is still proposed
    interests: tuple[str, ...]
    area: str
    days: tuple[str, ...]
    needs: tuple[str, ...]
    notes: str
    assignments: tuple[AssignmentSpec, ...]


@dataclass(frozen=True)
class Tenant:
    key: str  # "a" or "b" in DEMO_TENANTS
    providers: tuple[ProviderSpec, ...]
    menus: tuple[MenuSpec, ...]
    people: tuple[PersonSpec, ...]


# fmt: off
# --- 豊中市 ------------------------------------------------------------------------------

TOYONAKA = Tenant(
    key="a",
    providers=(
        ProviderSpec(
            "logi", "株式会社とよなかロジネット 服部物流センター", PK.COMPANY,
            "物流センター長 堀 雅人", "06-0000-3101", "服部", "豊中市若葉通6-3-1",
            "作業手順書を写真付きで一緒に作りたい。初回と2回目はコーディネーターに同行して"
            "ほしい。現場の担当者が替わるときは事前に連絡する。",
            email="hattori-center@example.org",
            notes="障害者雇用の経験あり。繁忙期（12月・3月）は受け入れ人数を減らす。",
        ),
        ProviderSpec(
            "bakery", "社会福祉法人みのり会 ベーカリーカフェこむぎ", PK.WELFARE,
            "施設長 三宅 典子", "06-0000-3102", "岡町", "豊中市青葉町2-8-5",
            "接客が苦手な人には厨房側の作業を用意できる。体調の波がある人は、本人の了承を"
            "得たうえで事前に共有してほしい。",
            notes="就労継続支援B型事業所を併設。",
        ),
        ProviderSpec(
            "farm", "とよなか街なか農園", PK.FARM,
            "代表 久保田 修", "06-0000-3103", "庄内", "豊中市ひかり町4-11",
            "雨天中止の連絡方法を一緒に決めたい（電話が苦手な人にはメールで）。夏場は"
            "熱中症対策の声かけに協力してほしい。",
        ),
        ProviderSpec(
            "shakyo", "豊中市社会福祉協議会 ボランティアセンター", PK.SWC,
            "ボランティアコーディネーター 西川 あゆみ", "06-0000-3104", "岡町",
            "豊中市青葉町1-2-3 ふれあい会館2階",
            "活動前に本人と顔合わせをしたい。ボランティア保険の加入手続きを一緒に行う。",
            email="vc@example.org",
        ),
        ProviderSpec(
            "youth", "NPO法人ユースひろば豊中", PK.NPO,
            "理事長 中島 拓也", "06-0000-3105", "服部", "豊中市さくら坂3-4-1 2階",
            "利用を始める前に、コーディネーター・本人・スタッフの三者で話す時間がほしい。"
            "スタッフが少ない曜日があるので、初回の日程は事前に相談を。",
            email="hiroba@example.org",
        ),
        ProviderSpec(
            "books", "古書ひだまり堂", PK.SHOP,
            "店主 小野寺 清", "06-0000-3106", "蛍池", "豊中市みどり台1-5-9",
            "店主一人の店なので、最初の数回は作業の教え方を一緒に考えてほしい。来られない"
            "日はメールで連絡がほしい。",
        ),
        ProviderSpec(
            "tokuyo", "特別養護老人ホーム 千里みどりの里", PK.WELFARE,
            "生活相談員 大西 真由美", "06-0000-3107", "千里", "豊中市みどり台5-1-1",
            "入居者の個人情報の扱いについて、初回に一緒に説明してほしい。感染症の流行期は"
            "受け入れを止めることがある。",
        ),
        ProviderSpec(
            "school", "豊中市立みどり台中学校", PK.SCHOOL,
            "教頭 松井 康弘", "06-0000-3108", "千里", "豊中市みどり台3-8-1",
            "学習支援ルームのサポーターには事前に30分の研修を受けてもらう。生徒の情報を"
            "学校の外で話さないことを一緒に確認したい。",
        ),
    ),
    menus=(
        MenuSpec(
            "sorting", "logi", "倉庫での仕分け・検品体験",
            "通販商品の仕分けと検品を、社員と一緒に体験します。作業は写真付きの手順書に"
            "沿って進めるので、初めての人でも取り組めます。慣れてきたら作業時間を延ばせます。",
            K.WORK_EXPERIENCE, (W.MON, W.WED, W.FRI), "9:30〜12:00（1時間から）", 3,
            ("軽作業", "体を動かす", "黙々と作業"),
            (AC.SHORT_HOURS, AC.COMPANION, AC.FLEXIBLE_DAYS),
            "18歳以上（安全靴は貸し出しあり）", "無料（交通費は自己負担）",
            "物流センター 堀（06-0000-3101）", location="服部物流センター 2階 作業場",
        ),
        MenuSpec(
            "data_entry", "logi", "伝票データの入力（個別・静かな席）",
            "配送伝票の内容を専用ソフトに入力する作業です。事務所の奥の静かな席で、担当"
            "社員が一人付きます。1回1時間から始め、本人のペースで時間を延ばします。",
            K.INTERMEDIATE_WORK, (W.WED,), "14:00〜15:00（1時間から）", 1,
            ("パソコン", "データ入力", "黙々と作業"),
            (AC.SHORT_HOURS, AC.NO_PHONE, AC.QUIET, AC.FEW_PEOPLE),
            "個別に調整", "工賃あり（1時間500円）", "物流センター 堀（06-0000-3101）",
            location="服部物流センター 1階 事務所", made_for="浅野 大輝",
        ),
        MenuSpec(
            "packing", "bakery", "パンの袋詰め・ラベル貼り",
            "焼き上がったパンの袋詰めと、値札ラベル貼りを行います。厨房の奥での作業なので、"
            "お客さんと接することはありません。作業量に応じて工賃が支払われます。",
            K.INTERMEDIATE_WORK, (W.TUE, W.THU, W.FRI), "8:30〜11:00（1時間から）", 4,
            ("料理", "軽作業", "パン"), (AC.SHORT_HOURS, AC.NO_PHONE, AC.FLEXIBLE_DAYS),
            "18歳以上（食品を扱うため検便の提出あり）", "工賃あり（時給換算300円程度）",
            "こむぎ 三宅（06-0000-3102）", location="ベーカリーカフェこむぎ 厨房",
        ),
        MenuSpec(
            "cafe", "bakery", "カフェの接客体験",
            "併設カフェで注文を受け、飲み物を運ぶ接客を体験します。最初は配膳だけ、慣れたら"
            "レジにも挑戦できます。店舗改装のため、現在は受け入れを休止しています。",
            K.WORK_EXPERIENCE, (W.MON, W.WED), "11:00〜14:00（2時間から）", 2,
            ("接客", "料理", "人と話す"), (AC.SHORT_HOURS, AC.WHEELCHAIR),
            "18歳以上", "無料（まかないのパン付き）", "こむぎ 三宅（06-0000-3102）",
            location="ベーカリーカフェこむぎ 客席", status=Menu.Status.PAUSED,
        ),
        MenuSpec(
            "field", "farm", "街なか農園の畑作業",
            "季節の野菜の種まき、水やり、草取り、収穫を地域の人たちと一緒に行います。体を"
            "動かしたい人や、土に触れたい人に向いています。雨の日は中止で、前日の夕方に"
            "メールで連絡します。",
            K.VOLUNTEERING, (W.TUE, W.SAT), "9:00〜11:00（途中参加・途中退出可）", 6,
            ("農作業", "体を動かす", "自然"),
            (AC.SHORT_HOURS, AC.NO_PHONE, AC.COMPANION, AC.FLEXIBLE_DAYS),
            "どなたでも（汚れてもよい服装で）", "無料（収穫した野菜を持ち帰れます）",
            "農園 久保田（06-0000-3103）", location="とよなか街なか農園（庄内）",
        ),
        MenuSpec(
            "market", "farm", "農園の朝市の準備・販売手伝い",
            "月2回、農園の前で開く朝市の準備と販売を手伝います。値札づくりや野菜の袋詰め"
            "など、接客をしない役割もあります。地域の人と顔見知りになるきっかけになります。",
            K.OTHER, (W.SAT,), "8:00〜10:00（第1・第3土曜）", 3,
            ("接客", "農作業", "地域"), (AC.SHORT_HOURS, AC.COMPANION),
            "どなたでも", "無料", "農園 久保田（06-0000-3103）",
            location="とよなか街なか農園 入口",
        ),
        MenuSpec(
            "mailing", "shakyo", "ボランティアセンターの封入・発送作業",
            "社協だよりやイベント案内の封入、宛名ラベル貼りを行います。座ってできる作業で、"
            "おしゃべりしながらでも黙々とでも大丈夫です。初めての人にはボランティア"
            "コーディネーターが付きます。",
            K.VOLUNTEERING, (W.MON, W.THU), "13:30〜15:30（1時間から）", 5,
            ("軽作業", "事務", "黙々と作業"),
            (AC.SHORT_HOURS, AC.NO_PHONE, AC.WHEELCHAIR, AC.COMPANION),
            "どなたでも", "無料（ボランティア保険料は社協が負担）",
            "ボランティアセンター 西川（06-0000-3104）", location="ふれあい会館2階 作業室",
        ),
        MenuSpec(
            "hiroba", "youth", "ユースひろば（若者の居場所）",
            "15〜39歳の人がふらっと立ち寄れるフリースペースです。ゲームや漫画、勉強、"
            "おしゃべりなど過ごし方は自由で、何もしなくても構いません。スタッフが常駐し、"
            "希望すれば個別に相談もできます。",
            K.PLACE, (W.TUE, W.THU, W.SAT), "13:00〜18:00（出入り自由）", 6,
            ("ゲーム", "漫画", "音楽", "若者"),
            (AC.SHORT_HOURS, AC.QUIET, AC.COMPANION, AC.FLEXIBLE_DAYS),
            "15〜39歳", "無料", "ユースひろば 中島（06-0000-3105）",
            location="さくら坂3丁目 ユースひろば（静養室あり）",
        ),
        MenuSpec(
            "games", "youth", "ボードゲームとものづくりの会",
            "月2回、ボードゲームや簡単な木工・プラモデル作りをみんなで楽しみます。見ている"
            "だけの参加も歓迎です。初めての人にはスタッフが隣で遊び方を説明します。",
            K.HOBBY, (W.SAT,), "14:00〜16:00（第2・第4土曜）", 6,
            ("ゲーム", "ものづくり", "若者"), (AC.SHORT_HOURS, AC.COMPANION),
            "15〜39歳", "材料費100円", "ユースひろば 中島（06-0000-3105）",
            location="ユースひろば 多目的室",
        ),
        MenuSpec(
            "relearn", "youth", "学び直し・高卒認定の学習会",
            "高卒認定試験や資格の勉強、中学の学び直しを、元教員のボランティアがマン"
            "ツーマンで支えます。自分の教材を持ち込んでも、用意した教材を使っても構いません。"
            "オンラインでの参加もできます。",
            K.LEARNING, (W.MON, W.WED), "18:00〜20:00（1時間から）", 4,
            ("勉強", "読書", "パソコン"),
            (AC.SHORT_HOURS, AC.QUIET, AC.FEW_PEOPLE, AC.ONLINE),
            "16〜39歳", "無料（テキスト代は実費）", "ユースひろば 中島（06-0000-3105）",
            location="ユースひろば 学習室／オンライン",
        ),
        MenuSpec(
            "books", "books", "古本の値付け・データ登録",
            "買い取った古本の状態を確認し、値付けとネット販売用のデータ登録を手伝います。"
            "店主と二人の静かな店内での作業です。本が好きな人、パソコンの入力に慣れている"
            "人に向いています。",
            K.WORK_EXPERIENCE, (W.FRI,), "13:00〜15:00（1時間から）", 2,
            ("読書", "パソコン", "データ入力", "黙々と作業"),
            (AC.SHORT_HOURS, AC.NO_PHONE, AC.QUIET, AC.FEW_PEOPLE),
            "18歳以上", "無料（交通費を支給）", "ひだまり堂 小野寺（06-0000-3106）",
            location="古書ひだまり堂 店内・帳場",
        ),
        MenuSpec(
            "recreation", "tokuyo", "入居者のレクリエーション補助ボランティア",
            "入居者の体操や歌の時間に参加し、準備や片付け、話し相手をします。高齢者と接する"
            "のが好きな人に向いています。職員が必ず近くにいるので安心して参加できます。",
            K.VOLUNTEERING, (W.TUE, W.FRI), "14:00〜15:30", 3,
            ("高齢者", "音楽", "人と話す"),
            (AC.SHORT_HOURS, AC.WHEELCHAIR, AC.COMPANION),
            "18歳以上（初回に施設のオリエンテーションあり）", "無料",
            "千里みどりの里 大西（06-0000-3107）", location="千里みどりの里 1階 ホール",
        ),
        MenuSpec(
            "crafts", "tokuyo", "入居者と一緒の手芸クラブ",
            "入居者と一緒に、編み物や小物づくりを楽しむクラブです。手芸の経験は問いません。"
            "作品は施設の季節の飾りや地域のバザーに使われます。",
            K.HOBBY, (W.THU,), "13:30〜15:00（第1・第3木曜）", 4,
            ("手芸", "高齢者", "ものづくり"),
            (AC.SHORT_HOURS, AC.WHEELCHAIR, AC.FEW_PEOPLE),
            "どなたでも", "材料費は施設が負担", "千里みどりの里 大西（06-0000-3107）",
            location="千里みどりの里 2階 談話室",
        ),
        MenuSpec(
            "study_room", "school", "放課後学習支援ルーム",
            "放課後の教室で、中学生が宿題や受験勉強をするのを大学生と地域のボランティアが"
            "支えます。家の手伝いなどで家で勉強する時間が取りにくい生徒も、静かに自習できます。",
            K.LEARNING, (W.MON, W.TUE, W.THU), "16:00〜18:00", 6,
            ("勉強", "子ども", "読書"), (AC.QUIET, AC.FLEXIBLE_DAYS),
            "みどり台中学校の生徒（保護者の同意が必要）", "無料",
            "みどり台中学校 松井（06-0000-3108）", location="みどり台中学校 図書室横の教室",
        ),
    ),
    people=(
        PersonSpec(
            name="浅野 大輝",
            accept_note="受け入れます。初回は同行で見学を調整します。",
            interests=("パソコン", "データ入力", "ゲーム", "読書", "黙々と作業"),
            area="服部",
            days=(W.WED, W.FRI),
            needs=(AC.SHORT_HOURS, AC.NO_PHONE, AC.QUIET, AC.FEW_PEOPLE),
            notes="人の多い場所と電話が苦手。連絡はメールか母親を通じて。週1回・1時間から"
            "始め、慣れたら回数を増やす。",
            assignments=(
                AssignmentSpec(
                    "data_entry", AS.ACTIVE,
                    sessions=(
                        Session(AT.PRESENT,
                                "初日は母親と一緒に来所し、担当の堀さんから入力ソフトの使い方を"
                                "教わった。30分の予定だったが、本人の希望で1時間作業した。帰り"
                                "際に「静かでやりやすい」と話した。"),
                        Session(AT.PRESENT,
                                "一人で来所できた。入力ミスが数件あったが、自分で見直して直して"
                                "いた。休憩中に担当社員とゲームの話をする場面もあった。"),
                        Session(AT.ABSENT,
                                "前日の夜にメールで欠席の連絡があった。母親によると、寝付けず朝"
                                "起きられなかったとのこと。事前に連絡できたことを本人に伝えた。"),
                        Session(AT.PRESENT,
                                "作業を1時間半に延ばした。伝票50枚を入力し、ミスはなかった。堀"
                                "さんから在庫表の入力も頼みたいと提案があり、本人も「やってみた"
                                "い」と答えた。"),
                    ),
                    follow_up=FollowUpSpec(
                        host_feedback="遅刻もなく、作業が正確で助かっている。自分から質問する"
                        "ことは少ないので、困ったときに出せる合図を一緒に決めたい。",
                        note="本人は「週2回に増やしてもいい」と話す。次回の振り返りで回数を"
                        "検討する。母親も本人の表情が明るくなったと話している。",
                        next_in_days=5,
                    ),
                ),
                AssignmentSpec(
                    "books", AS.TRIAL,
                    sessions=(
                        Session(AT.PRESENT,
                                "店主と二人で、文庫本の状態確認と値付けを1時間体験した。本の話に"
                                "なると口数が増え、店主も「よく知っている」と感心していた。月2回"
                                "の参加を本人と検討する。"),
                    ),
                ),
            ),
        ),
    ),
)

# --- 松江市 ------------------------------------------------------------------------------

MATSUE = Tenant(
    key="b",
    providers=(
        ProviderSpec(
            "shijimi", "社会福祉法人しんじ会 しじみ工房", PK.WELFARE,
            "サービス管理責任者 原 由紀子", "0852-00-3101", "宍道", "松江市宍道町ひがし1-4-2",
            "作業に入る前に、本人の得意なこと・苦手なことをコーディネーターから聞いておき"
            "たい。工房の送迎ルートに乗れるか一緒に確認してほしい。",
        ),
        ProviderSpec(
            "it", "NPO法人まつえITサポートネット", PK.NPO,
            "事務局 青木 健吾", "0852-00-3102", "市街地", "松江市やなぎ町5-2-8 2階",
            "在宅で作業する人との連絡方法（メール・チャット）を一緒に決めたい。作業の進み"
            "具合を週1回、コーディネーターと共有したい。",
            email="office@example.net",
        ),
        ProviderSpec(
            "mihonoseki", "美保関 海と畑の会", PK.RESIDENTS,
            "会長 浜田 昭二", "0852-00-3103", "美保関", "松江市美保関町うみべ2-7",
            "活動場所まで公共交通が少ないので、送迎について相談したい。会員が高齢なので、"
            "力仕事の手伝いは歓迎。",
        ),
        ProviderSpec(
            "shakyo", "松江市社会福祉協議会 ボランティアセンター", PK.SWC,
            "ボランティアコーディネーター 森山 千里", "0852-00-3104", "市街地",
            "松江市しらかた町2-1-1 福祉会館1階",
            "初回は本人と一緒に見学に来てほしい。ボランティア保険の手続きは社協で代行できる。",
        ),
    ),
    menus=(
        MenuSpec(
            "shijimi", "shijimi", "しじみの選別・袋詰め",
            "宍道湖でとれたしじみの選別と袋詰めを行います。作業は3〜4人の少人数で、一つの"
            "作業に集中できます。出来高に応じて工賃が支払われます。",
            K.INTERMEDIATE_WORK, (W.MON, W.WED, W.FRI), "9:30〜12:00（1時間から）", 4,
            ("軽作業", "黙々と作業", "食品"),
            (AC.SHORT_HOURS, AC.FEW_PEOPLE, AC.FLEXIBLE_DAYS),
            "18歳以上", "工賃あり（時給換算350円程度）", "しじみ工房 原（0852-00-3101）",
            location="しじみ工房 作業棟",
        ),
        MenuSpec(
            "web", "it", "地域団体のホームページ更新（在宅）",
            "自治会や子ども食堂など、地域団体のホームページのお知らせ更新を在宅で行います。"
            "週2回のオンライン打ち合わせで作業を受け取り、カメラはオフでも構いません。"
            "パソコンの貸し出しも相談できます。",
            K.WORK_EXPERIENCE, (W.TUE, W.THU), "10:00〜12:00（打ち合わせ30分、作業は自宅）", 2,
            ("パソコン", "プログラミング", "デザイン"),
            (AC.SHORT_HOURS, AC.NO_PHONE, AC.QUIET, AC.ONLINE, AC.FLEXIBLE_DAYS),
            "自宅にインターネット環境がある人", "無料",
            "ITサポートネット 青木（office@example.net）", location="オンライン（自宅）",
        ),
        MenuSpec(
            "yoru", "it", "オンライン居場所「よるのまど」",
            "夜の時間にオンラインで集まり、雑談やゲーム、作業をしながら過ごす居場所です。"
            "カメラやマイクはオフのまま、チャットだけの参加もできます。月に一度、希望者で"
            "対面の集まりも開きます。",
            K.PLACE, (W.WED, W.SAT), "20:00〜22:00（出入り自由）", 6,
            ("ゲーム", "パソコン", "音楽"),
            (AC.NO_PHONE, AC.QUIET, AC.ONLINE, AC.FLEXIBLE_DAYS),
            "15歳以上", "無料", "ITサポートネット 青木（office@example.net）",
            location="オンライン",
        ),
        MenuSpec(
            "harbour_field", "mihonoseki", "港の畑の草取りと収穫",
            "美保関の港を見下ろす畑で、会員の皆さんと草取りや野菜の収穫をします。作業の後は"
            "お茶を飲みながら一休みします。初回は松江駅からの送迎を相談できます。",
            K.VOLUNTEERING, (W.SAT,), "9:00〜11:00", 5,
            ("農作業", "自然", "高齢者"), (AC.SHORT_HOURS, AC.COMPANION),
            "どなたでも", "無料（とれた野菜のおすそ分けあり）", "海と畑の会 浜田（0852-00-3103）",
            location="美保関町 会の畑",
        ),
        MenuSpec(
            "pc_class", "shakyo", "はじめてのパソコン教室",
            "文字入力やメール、インターネットの使い方を全6回で学びます。講師は地域の"
            "ボランティアで、一人ひとりのペースに合わせて教えます。",
            K.LEARNING, (W.THU,), "13:30〜15:00（全6回）", 6,
            ("パソコン", "勉強"), (AC.SHORT_HOURS, AC.WHEELCHAIR),
            "どなたでも", "無料（テキストは貸し出し）", "社協 森山（0852-00-3104）",
            location="福祉会館 研修室",
        ),
        MenuSpec(
            "crafts", "shakyo", "手芸サークル「ゆうなぎ」",
            "編み物や布小物づくりを楽しむサークルです。経験者が丁寧に教えてくれるので、"
            "初めての人も安心です。できた作品は社協のバザーに出品します。",
            K.HOBBY, (W.TUE,), "10:00〜12:00（第2・第4火曜）", 6,
            ("手芸", "高齢者", "人と話す"), (AC.SHORT_HOURS, AC.WHEELCHAIR, AC.COMPANION),
            "どなたでも", "材料費200円", "社協 森山（0852-00-3104）",
            location="福祉会館 和室",
        ),
    ),
    people=(
        PersonSpec(
            name="門脇 亮",
            accept_note="受け入れます。本人の希望に沿って、在宅でのパソコン作業から調整します。",
            interests=("パソコン", "プログラミング", "読書", "ゲーム"),
            area="市街地",
            days=(W.TUE, W.THU),
            needs=(AC.NO_PHONE, AC.ONLINE),
            notes="人と会うと疲れやすい。連絡はメールで。通院の再開を基幹相談支援センターが"
            "支援中。",
            assignments=(
                AssignmentSpec(
                    "web", AS.ACTIVE,
                    sessions=(
                        Session(AT.PRESENT,
                                "青木さんとオンラインで初回の打ち合わせ。カメラはオフでチャット"
                                "中心だったが、更新の手順はすぐに理解し、自治会のお知らせを1件"
                                "更新した。"),
                        Session(AT.PRESENT,
                                "子ども食堂の活動報告ページを作成。画像の配置を自分で工夫して"
                                "いた。団体から届いたお礼のメールを伝えると「よかった」と返信が"
                                "あった。"),
                        Session(AT.ABSENT,
                                "打ち合わせの時間にログインがなく、当日はメールにも返信がなかった。"
                                "翌日「体調が悪かった」と短い返信があった。"),
                        Session(AT.LATE,
                                "30分遅れてログイン。作業はできたが、チャットの返信が短く、疲れて"
                                "いる様子だった。",
                                concerns=(SessionLog.Concern.HEALTH,),
                                concern_note="夜眠れない日が続いているとメールで話している。通院"
                                "再開の状況を相談員から確認してほしい。"),
                    ),
                    active_from=1,
                ),
                AssignmentSpec("yoru", AS.PROPOSED),
            ),
        ),
    ),
)
# fmt: on

TENANTS = (TOYONAKA, MATSUE)


# --- the interpreter -------------------------------------------------------------------


def recent_days(today: datetime.date, days: tuple[str, ...], count: int) -> list[datetime.date]:
    """The ``count`` most recent dates before ``today`` that fall on ``days`` (Weekday
    values), oldest first."""
    weekdays = {Weekday.values.index(d) for d in days} or set(range(7))
    found: list[datetime.date] = []
    day = today
    while len(found) < count:
        day -= datetime.timedelta(days=1)
        if day.weekday() in weekdays:
            found.append(day)
    return found[::-1]


class _Seeder:
    def __init__(self, tenant: Tenant, municipality: Municipality) -> None:
        self.tenant = tenant
        self.municipality = municipality
        self.user: User = demo_user(f"{tenant.key}-coordinator")
        self.today = timezone.localdate()
        self.providers: dict[str, Provider] = {}
        self.menus: dict[str, Menu] = {}
        self.referrals: dict[str, Referral] = {}  # person name → accepted referral

    def provider(self, spec: ProviderSpec) -> Provider:
        return services.provider_save(
            user=self.user,
            municipality=self.municipality,
            name=spec.name,
            kind=spec.kind,
            contact_person=spec.contact_person,
            phone=spec.phone,
            email=spec.email,
            address=spec.address,
            area=spec.area,
            host_support=spec.host_support,
            notes=spec.notes,
        )

    def accept_referrals(self) -> None:
        """Accept the demo people's referrals to participation support still proposed."""
        people = {p.name: p for p in self.tenant.people}
        referrals = (
            Referral.objects.filter(
                municipality=self.municipality,
                to_program=PARTICIPATION,
                status__in=(Referral.Status.PROPOSED, Referral.Status.ACCEPTED),
                case__person__name__in=people,
                case__deleted_at__isnull=True,
            )
            .select_related("case__person")
            .order_by("created_at", "pk")
        )
        for referral in referrals:
            name = referral.case.person.name
            if referral.status == Referral.Status.PROPOSED:
                referral = collaboration_services.referral_respond(
                    user=self.user, referral=referral, accept=True, note=people[name].accept_note
                )
            self.referrals.setdefault(name, referral)

    def menu(self, spec: MenuSpec) -> Menu | None:
        made_for = None
        if spec.made_for:
            referral = self.referrals.get(spec.made_for)
            if referral is None:  # the person was not referred here: no menu for them
                return None
            made_for = referral.case
        return services.menu_save(
            user=self.user,
            municipality=self.municipality,
            made_for=made_for,
            provider=self.providers[spec.provider],
            name=spec.name,
            description=spec.description,
            kind=spec.kind,
            area=self.providers[spec.provider].area,
            location=spec.location,
            days=list(spec.days),
            schedule=spec.schedule,
            capacity=spec.capacity,
            interests=list(spec.interests),
            accommodations=list(spec.accommodations),
            eligibility=spec.eligibility,
            cost=spec.cost,
            contact=spec.contact,
            status=spec.status,
        )

    def person(self, spec: PersonSpec) -> None:
        referral = self.referrals.get(spec.name)
        if referral is None:
            return
        services.profile_save(
            user=self.user,
            case=referral.case,
            interests=spec.interests,
            area=spec.area,
            days=spec.days,
            needs=spec.needs,
            notes=spec.notes,
        )
        for assignment in spec.assignments:
            menu = self.menus.get(assignment.menu)
            if menu is not None:
                self.assignment(referral, menu, assignment)

    def assignment(self, referral: Referral, menu: Menu, spec: AssignmentSpec) -> None:
        assignment = services.assignment_propose(user=self.user, referral=referral, menu=menu)
        if spec.status == AS.PROPOSED or not spec.sessions:
            return
        dates = recent_days(self.today, tuple(menu.days), len(spec.sessions))
        assignment = services.assignment_change_status(
            user=self.user, assignment=assignment, to_status=AS.TRIAL, on=dates[0]
        )
        for i, (session, held_on) in enumerate(zip(spec.sessions, dates, strict=True)):
            if spec.status == AS.ACTIVE and i == spec.active_from:
                assignment = services.assignment_change_status(
                    user=self.user, assignment=assignment, to_status=AS.ACTIVE, on=held_on
                )
            services.session_log(
                user=self.user,
                assignment=assignment,
                held_on=held_on,
                attendance=session.attendance,
                observation=session.observation,
                concerns=session.concerns,
                concern_note=session.concern_note,
            )
        if spec.follow_up and assignment.status == AS.ACTIVE:
            f = spec.follow_up
            done = services.follow_up_schedule(
                user=self.user, assignment=assignment, due_on=self.today
            )
            services.follow_up_record(
                user=self.user,
                follow_up=done,
                done_on=self.today,
                host_feedback=f.host_feedback,
                note=f.note,
            )
            services.follow_up_schedule(
                user=self.user,
                assignment=assignment,
                due_on=self.today + datetime.timedelta(days=f.next_in_days),
            )

    def run(self) -> None:
        for spec in self.tenant.providers:
            self.providers[spec.key] = self.provider(spec)
        self.accept_referrals()
        for spec in self.tenant.menus:
            menu = self.menu(spec)
            if menu is not None:
                self.menus[spec.key] = menu
        for person in self.tenant.people:
            self.person(person)


def seed_participation(command: Any) -> None:
    """Create the participation demo of each demo municipality that has none of it yet."""
    parts = []
    for tenant in TENANTS:
        municipality = Municipality.objects.get(code=DEMO_TENANTS[tenant.key][0])
        names = [p.name for p in tenant.providers]
        if not Provider.objects.filter(municipality=municipality, name__in=names).exists():
            _Seeder(tenant, municipality).run()
        providers = Provider.objects.filter(municipality=municipality).count()
        menus = Menu.objects.filter(municipality=municipality).count()
        assignments = Assignment.objects.filter(municipality=municipality).count()
        parts.append(
            f"{municipality.name} {providers} providers, {menus} menus, {assignments} assignments"
        )
    command.stdout.write("Demo participation: " + "; ".join(parts))
