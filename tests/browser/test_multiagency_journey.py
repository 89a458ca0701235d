"""多機関協働 in the browser, as its people do it (issue 15): the くらし自立相談窓口 (a
contracted agency) hands a tangled case over to the 多機関協働 team from the case page;
the team accepts it, records the assessment (the genogram and ecomap drawn on the
page), writes the plan in the national form's shape from it, and takes it with a
second case to a 重層的支援会議 that decides each case on its own; then the plan is
printed. Only the world is set up through services: every step is clicks and typing.
Every page visited passes axe; the assessment, the plan and the meeting are
photographed at desktop width under ``/tmp/journey/`` (``JOURNEY_SCREENSHOTS``)."""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from cases.core import services as core_services
from cases.engine.flags import evaluate
from cases.models import (
    Assessment,
    Case,
    Consent,
    ContactRoute,
    Flag,
    IssueCategory,
    Meeting,
    MeetingCase,
    Referral,
    Relationship,
    SupportAgency,
    SupportPlan,
)
from cases.programs import MULTIAGENCY
from municipalities.models import User
from tests.browser.conftest import no_serious_violations
from tests.browser.test_login_roles import log_in
from tests.worlds import master

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHOTS = Path(os.environ.get("JOURNEY_SCREENSHOTS", Path(tempfile.gettempdir()) / "journey"))
KONKYU = "豊中市くらし自立相談窓口"
HOKATSU = "豊中市みどり台地域包括支援センター"
TODAY = timezone.localdate
D = datetime.timedelta


def _case(agency_user: User, name: str, kana: str, age: int, categories: tuple[str, ...]) -> Case:
    """A person and their case held by ``agency_user``'s agency, opened a month ago, with
    the person's consent to a 重層的支援会議 naming the agencies that will attend."""
    municipality = agency_user.memberships.get().municipality
    person = core_services.person_create(
        user=agency_user,
        municipality=municipality,
        name=name,
        name_kana=kana,
        sex="female" if name.endswith("子") else "male",
        birth_date=TODAY().replace(year=TODAY().year - age, day=1),
    )
    case = core_services.case_open(
        user=agency_user,
        person=person,
        route=master(ContactRoute, "self"),
        categories=[master(IssueCategory, c) for c in categories],
        primary_category=master(IssueCategory, categories[0]),
        opened_on=TODAY() - D(days=30),
        assigned_to=agency_user,
    )
    core_services.consent_record(
        user=agency_user,
        person=person,
        case=case,
        agencies=list(SupportAgency.objects.filter(name__in=[KONKYU, HOKATSU])),
        purpose="重層的支援会議での支援の検討のため",
        scope="氏名・連絡先・相談内容・世帯の状況",
        method=Consent.Method.SIGNATURE,
        rules_explained=True,
        given_on=TODAY() - D(days=7),
    )
    return case


@pytest.fixture
def world(demo):
    """The demo, and two cases of the くらし自立相談窓口: 森田 文子 (care for her and money:
    the elderly and the needy persons' fields) living with her son, and 西村 健二 (debt
    and a disability), both with the person's consent to a 重層的支援会議."""
    konkyu = User.objects.get(username="a-konkyu")
    mother = _case(konkyu, "森田 文子", "モリタ フミコ", 79, ("care", "income"))
    core_services.household_create(user=konkyu, case=mother, name="森田家")
    son = core_services.person_create(
        user=konkyu,
        municipality=mother.municipality,
        name="森田 誠",
        name_kana="モリタ マコト",
        sex="male",
        birth_date=TODAY().replace(year=TODAY().year - 52, day=1),
    )
    core_services.household_add_member(
        user=konkyu, case=mother, person=son, relationship=Relationship.SON, works=False
    )
    second = _case(konkyu, "西村 健二", "ニシムラ ケンジ", 45, ("debt", "disability"))
    return mother, second


def _shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _open(page, url: str) -> None:
    """Go to a page and check it with axe."""
    page.goto(url)
    no_serious_violations(page)


def test_agency_hands_over_and_the_team_assesses_plans_and_decides(
    page, live_server, demo, world, monkeypatch
):
    # The re-evaluation after each save runs after commit in the server's thread, as
    # without a broker: with one (CI) it would go to a worker this test does not wait for.
    from portal.celery import app

    monkeypatch.setattr(app.conf, "task_always_eager", True)
    mother, second = world
    base = live_server.url
    evaluate(mother.municipality_id)  # the hourly scan

    # --- 1. The agency's caseworker hands the case over, from the case page ----------
    log_in(page, base, "a-konkyu", demo)
    page.wait_for_url(f"{base}/cases/")
    no_serious_violations(page)
    # The rule's suggestion waits in the agency's queue: with consent, hand it over.
    _open(page, f"{base}/cases/flags/")
    row = page.locator("tbody tr", has_text="森田 文子").filter(has_text="多機関協働が必要")
    assert "同意あり：多機関協働につなぐ" in row.inner_text()
    _open(page, f"{base}/cases/{mother.pk}/")
    main = page.locator("main")
    assert "森田 文子" in main.inner_text()
    assert "多機関協働" in page.locator("#flags").inner_text()  # the rule's suggestion
    page.get_by_role("link", name="他の事業・機関につなぐ").click()
    page.wait_for_url(f"**/cases/{mother.pk}/referrals/new/")
    no_serious_violations(page)
    page.locator("#id_to_program").select_option(MULTIAGENCY)
    page.get_by_label("つなぐ理由と依頼内容").fill(
        "本人の介護と生活費の不足、同居の長男の無職が重なっている。高齢と生活困窮の両分野に"
        "またがるため、多機関協働で役割分担を整理してほしい。本人同意済み。"
    )
    page.locator("main form button.primary").click()
    page.wait_for_url(f"**/cases/{mother.pk}/")
    no_serious_violations(page)
    referral = Referral.objects.get(case=mother, to_program=MULTIAGENCY)
    assert referral.status == Referral.Status.PROPOSED
    assert referral.from_agency.name == KONKYU
    # Handed over: the suggestion is gone.
    assert not Flag.objects.filter(
        rule="needs_multiagency", case=mother, resolved_at__isnull=True
    ).exists()
    page.context.clear_cookies()

    # --- 2. The 多機関協働 team accepts it --------------------------------------------
    log_in(page, base, "a-multiagency", demo)
    page.wait_for_url(f"{base}/cases/office/")
    no_serious_violations(page)
    _open(page, f"{base}/cases/referrals/")
    page.get_by_role("link", name="森田 文子").first.click()
    page.wait_for_url(f"**/cases/referrals/{referral.pk}/")
    no_serious_violations(page)
    assert "役割分担を整理してほしい" in page.locator("main").inner_text()
    page.get_by_label("備考（辞退する場合は必須）").fill(
        "受け付けました。来週アセスメントを行います。"
    )
    page.get_by_role("button", name="受諾する").click()
    page.wait_for_url(f"**/cases/referrals/{referral.pk}/")
    no_serious_violations(page)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED

    # --- 3. The assessment, and the genogram and ecomap drawn on the page ----------------
    page.get_by_role("link", name="ケースを開く").click()
    page.wait_for_url(f"**/cases/{mother.pk}/")
    no_serious_violations(page)
    _open(page, f"{base}/cases/{mother.pk}/assessment/new/")
    page.get_by_label("本人の意向（本人の言葉で）").fill(
        "「この家で息子と暮らし続けたい。息子には自分の収入を持ってほしい」"
    )
    page.get_by_label("生活歴").fill("夫を10年前に亡くし、長男と二人暮らし。")
    page.get_by_label("参加した職員").fill("谷口（多機関協働）、西田（自立相談）")
    page.get_by_label("本人が参加", exact=True).check()
    page.get_by_label(KONKYU).check()
    page.get_by_label("本人を支える人").fill("民生委員: 上野 和夫")
    page.get_by_label("健康・疾病・障害：現状").fill("要支援1。膝の痛みで買い物が難しい。")
    page.get_by_label("健康・疾病・障害：課題").fill("介護保険サービスの利用調整")
    page.get_by_label("収入・資産・債務：現状").fill("本人の年金のみ（月9万円）。")
    page.get_by_label("収入・資産・債務：課題").fill("家計の見直しと長男の就労")
    page.get_by_label("収入・資産・債務：強み（ストレングス）").fill("借金はない。")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"**/cases/{mother.pk}/assessment/")
    no_serious_violations(page)
    assessment = Assessment.objects.get(case=mother)
    assert assessment.person_present
    main = page.locator("main")
    assert "この家で息子と暮らし続けたい" in main.inner_text()
    genogram = page.locator("svg", has_text="森田 誠").first
    assert genogram.is_visible()
    assert "民生委員" in page.locator("main").inner_html()  # the supporter on the ecomap
    _shot(page, "assessment")

    # --- 4. The plan, written from the assessment ----------------------------------------
    _open(page, f"{base}/cases/{mother.pk}/plans/new/")
    wishes = page.get_by_label("本人の意向（本人の言葉で）")
    assert "この家で息子と暮らし続けたい" in wishes.input_value()  # from the assessment
    issues = page.get_by_label("課題（1行に1つ）")
    assert "家計の見直しと長男の就労" in issues.input_value()
    page.get_by_label("支援の目標と方向性").fill(
        "介護サービスで本人の生活を支え、長男の就労に向けて参加支援につなぐ。"
    )
    page.get_by_label("長期目標").fill("本人と長男が安心してこの家で暮らし続ける。")
    page.get_by_label("短期目標").fill(
        "3か月以内にデイサービスを使い始め、長男が作業体験に参加する。"
    )
    page.get_by_label("プラン期間（開始）").fill(TODAY().isoformat())
    page.get_by_label("プラン期間（終了）").fill((TODAY() + D(days=180)).isoformat())
    page.get_by_label("次回評価日").fill((TODAY() + D(days=90)).isoformat())
    page.get_by_label("主担当機関").select_option(label=KONKYU)
    page.get_by_label("参加支援事業を利用する").check()
    page.locator("#id_action_0_agency").select_option(label=HOKATSU)
    page.locator("#id_action_0_text").fill("要支援認定の更新とデイサービスの調整")
    page.locator("#id_action_1_agency").select_option(label=KONKYU)
    page.locator("#id_action_1_text").fill("家計改善支援と長男の参加支援へのつなぎ")
    page.get_by_label("森田 誠（息子）").check()
    page.get_by_label("本人の同意・申込日").fill(TODAY().isoformat())
    page.get_by_role("button", name="作成中として保存").click()
    page.wait_for_url(f"**/cases/{mother.pk}/")
    no_serious_violations(page)
    plan = SupportPlan.objects.get(case=mother)
    assert plan.status == SupportPlan.Status.DRAFT
    assert plan.uses_participation
    assert plan.lead_agency.name == KONKYU
    assert plan.agreed_on == TODAY()
    assert [a.agency.name for a in plan.actions.order_by("pk")] == [HOKATSU, KONKYU]
    assert [m.person.name for m in plan.members.all()] == ["森田 誠"]
    _open(page, f"{base}/cases/plans/{plan.pk}/")
    main = page.locator("main").inner_text()
    assert "要支援認定の更新とデイサービスの調整" in main
    assert "家計の見直しと長男の就労" in main
    _shot(page, "plan")

    # --- 5. The 重層的支援会議: two cases, a decision each ---------------------------------
    _open(page, f"{base}/cases/meetings/new/?case={mother.pk}")
    page.get_by_label("会議の種類").select_option(Meeting.Kind.MULTIAGENCY)
    page.get_by_label("件名").fill("重層的支援会議（12月定例）")
    assert page.locator("#id_item_0_case").input_value() == mother.number
    page.locator("#id_item_0_decision").select_option(MeetingCase.Decision.DECIDE_PLAN)
    page.locator("#id_item_0_note").fill("プランを承認。参加支援を利用する。")
    page.locator("#id_item_1_case").fill(second.number)
    page.locator("#id_item_1_decision").select_option(MeetingCase.Decision.CARRY_OVER)
    page.locator("#id_item_1_note").fill("債務整理の見通しを確認してから次回に決定する。")
    page.locator("#id_attendee_0_name").fill("谷口 あかり")
    page.locator("#id_attendee_0_organisation").fill("豊中市 福祉部")
    page.locator("#id_attendee_1_name").fill("西田 香織")
    page.locator("#id_attendee_1_organisation").fill(KONKYU)
    page.locator("#id_attendee_1_secrecy").check()
    page.get_by_label("記録・議事録").fill("森田さんのプランを承認した。西村さんは継続審議。")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/cases/meetings/*/")
    no_serious_violations(page)
    meeting = Meeting.objects.get(title="重層的支援会議（12月定例）")
    decisions = {i.case_id: i.decision for i in meeting.case_items.all()}
    assert decisions == {
        mother.pk: MeetingCase.Decision.DECIDE_PLAN,
        second.pk: MeetingCase.Decision.CARRY_OVER,
    }
    plan.refresh_from_db()
    assert plan.status == SupportPlan.Status.DECIDED
    assert plan.decided_at_meeting == meeting
    assert not SupportPlan.objects.filter(case=second).exists()
    rows = page.locator("main table").first.inner_text()
    assert "森田 文子" in rows
    assert "支援決定" in rows
    assert "西村 健二" in rows
    assert "継続審議" in rows
    _shot(page, "meeting")

    # --- 6. The plan's print -------------------------------------------------------------
    try:
        print_url = reverse("cases:plan_print", args=[plan.pk])
    except NoReverseMatch:
        pytest.skip("plan print not built")
    _open(page, f"{base}/cases/plans/{plan.pk}/")
    link = page.get_by_role("link", name="印刷（PDF）")
    assert link.get_attribute("href").endswith(print_url)
    response = page.request.get(f"{base}{print_url}")
    assert response.ok
    assert response.headers["content-type"].startswith("application/pdf")
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("pdftotext not installed (apt install poppler-utils)")
    text = subprocess.run(
        [pdftotext, "-layout", "-", "-"],
        input=response.body(),
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert "森田 文子" in text
