"""The network in the browser (DESIGN §9): an agency's caseworker registers a person,
records the consent naming a second agency and refers the person there; the second
agency's staff see the referral — the person, contact and reason, not the case — until
they accept it, and then the case. Each page passes axe."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cases.models import Case, CaseAgency, Referral, SupportAgency
from tests.browser.conftest import no_serious_violations
from tests.browser.test_login_roles import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

HOKATSU = "豊中市みどり台地域包括支援センター"


def test_referral_with_consent_to_a_second_agency(page, live_server, demo, screenshot):
    # The くらし自立相談窓口 (a contracted operator) registers a person at intake.
    log_in(page, live_server.url, "a-konkyu", demo)
    page.goto(f"{live_server.url}/cases/intake/")
    page.locator("#id_person-name").fill("木下 文子")
    page.locator("#id_person-name_kana").fill("きのした ふみこ")
    page.locator("#id_person-sex").select_option("female")
    page.locator("#id_person-birth_date").fill("1950-06-03")
    page.locator("#id_method").select_option(label="来所")
    page.locator("#id_route").select_option(label="本人")
    page.get_by_label("収入・生活費").check()
    page.locator("#id_primary_category").select_option(label="収入・生活費")
    page.locator("#id_summary").fill("年金だけでは生活費が足りない。夫の介護も始まり不安とのこと。")
    page.get_by_role("button", name="受付内容を保存").click()
    page.wait_for_url("**/cases/*/")
    case = Case.objects.get(person__name="木下 文子")
    assert case.lead_agency.name == "豊中市くらし自立相談窓口"
    hokatsu = SupportAgency.objects.get(name=HOKATSU)

    # Without consent naming the 地域包括, the referral is refused with the reason.
    page.goto(f"{live_server.url}/cases/{case.pk}/referrals/new/")
    page.locator("#id_to_program").select_option("agency")
    page.locator("#id_to_agency").select_option(str(hokatsu.pk))
    page.locator("#id_reason").fill("夫の介護保険の申請と本人の見守りをお願いしたい。")
    page.locator("main form button.primary").click()
    assert "同意" in page.locator("main").inner_text()
    assert not Referral.objects.filter(case=case).exists()

    # The consent names both agencies; the referral goes.
    page.goto(f"{live_server.url}/cases/{case.pk}/consents/new/")
    page.get_by_label(HOKATSU).check()
    page.get_by_label("豊中市くらし自立相談窓口").check()
    page.locator("#id_purpose").fill("介護と生活の相談のため")
    page.locator("#id_scope").fill("氏名・連絡先・相談内容")
    page.locator("#id_method").select_option("signature")
    page.locator("#id_rules_explained").check()
    page.locator("#id_given_on").fill(timezone.localdate().isoformat())
    page.locator("main form button.primary").click()
    page.wait_for_url(f"**/cases/{case.pk}/")
    page.goto(f"{live_server.url}/cases/{case.pk}/referrals/new/")
    page.locator("#id_to_program").select_option("agency")
    page.locator("#id_to_agency").select_option(str(hokatsu.pk))
    page.locator("#id_reason").fill("夫の介護保険の申請と本人の見守りをお願いしたい。")
    page.locator("main form button.primary").click()
    page.wait_for_load_state()
    referral = Referral.objects.get(case=case)
    page.context.clear_cookies()

    # The 地域包括 sees the referral, not the case, until it accepts.
    log_in(page, live_server.url, "a-hokatsu", demo)
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    assert page.locator("h1").first.inner_text() != "木下 文子"
    assert "木下 文子" not in page.locator("body").inner_text()
    page.goto(f"{live_server.url}/cases/referrals/{referral.pk}/")
    body = page.locator("main").inner_text()
    assert "木下 文子" in body
    assert "夫の介護保険の申請" in body
    assert "年金だけでは生活費が足りない" not in body  # the consultation stays with the case
    no_serious_violations(page)
    screenshot("agency-referral-received")
    page.get_by_role("button", name="受諾する").click()
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    body = page.locator("main").inner_text()
    assert "年金だけでは生活費が足りない" in body
    assert HOKATSU in body
    no_serious_violations(page)
    screenshot("agency-case-after-acceptance")
    # The 地域包括 names who works the case there; she finds it on her dashboard.
    page.goto(f"{live_server.url}/cases/{case.pk}/agencies/")
    page.locator("select[name=staff]").select_option(label="北野 恵美")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"**/cases/{case.pk}/agencies/")
    assert CaseAgency.objects.get(case=case, agency=hokatsu).assigned_to.username == "a-hokatsu"
    no_serious_violations(page)
    screenshot("agency-case-agencies")
    page.goto(f"{live_server.url}/cases/")
    assert case.number in page.locator("main").inner_text()
    page.context.clear_cookies()

    # The lead agency provides the record on paper, within what the consent names.
    log_in(page, live_server.url, "a-konkyu", demo)
    page.goto(f"{live_server.url}/cases/{case.pk}/provide/")
    no_serious_violations(page)
    page.get_by_label("提供先の機関").select_option(label=HOKATSU)
    page.locator("#id_within_consent").check()
    page.get_by_role("button", name="情報提供書を作成").click()
    document = page.locator("#provision-document").inner_text()
    assert HOKATSU in document
    assert "介護と生活の相談のため" in document  # the purpose the person agreed to
    assert "年金だけでは生活費が足りない" in document
    no_serious_violations(page)
    page.emulate_media(media="print")
    screenshot("agency-provision-document")


def test_emergency_look_and_the_managers_review(page, live_server, demo, screenshot):
    """The 地域包括 finds nobody under 浅野 (the 社協 holds him), is told to ask the office,
    and in an emergency opens the case with a reason; the manager sees it on the
    dashboard."""
    log_in(page, live_server.url, "a-hokatsu", demo)
    page.goto(f"{live_server.url}/cases/persons/?q=あさの")
    main = page.locator("main")
    assert "浅野 大輝" not in main.inner_text()
    assert "他の機関ですでに把握されている可能性があります" in main.inner_text()
    page.get_by_text("緊急時：生命・身体に危険があり").click()
    no_serious_violations(page)
    screenshot("emergency-search-hint")
    page.get_by_label("急を要する理由").fill(
        "母親から、本人が部屋で倒れていると電話。持病を確認したい。"
    )
    page.get_by_role("button", name="緊急時の閲覧として開く").click()
    page.wait_for_url("**/cases/persons/?q=*")
    assert "浅野 大輝" in page.locator("main").inner_text()
    page.context.clear_cookies()
    log_in(page, live_server.url, "a-manager", demo)
    page.goto(f"{live_server.url}/cases/")
    assert "持病を確認したい" in page.locator("main").inner_text()
    no_serious_violations(page)
    screenshot("emergency-dashboard")
