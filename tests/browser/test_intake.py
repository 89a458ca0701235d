"""The caseworker's journey in the browser: a phone intake, a follow-up consultation,
the person's consent, a support plan and the 重層的支援会議 that approves it."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from cases.models import Case, Consent, Consultation, Meeting, SupportPlan
from tests.browser.test_login_roles import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_caseworker_journey_from_intake_to_multiagency_meeting(page, live_server, demo, screenshot):
    log_in(page, live_server.url, "a-caseworker", demo)
    page.get_by_role("link", name="新規受付").first.click()
    page.wait_for_url("**/cases/intake/")
    page.locator("#id_person-name").fill("北村 和子")
    page.locator("#id_person-name_kana").fill("きたむら かずこ")
    page.locator("#id_person-sex").select_option("female")
    page.locator("#id_person-birth_date").fill("1948-02-11")
    page.locator("#id_method").select_option(label="電話")
    page.locator("#id_route").select_option(label="民生委員・児童委員")
    page.get_by_label("社会的孤立").check()
    page.locator("#id_primary_category").select_option(label="社会的孤立")
    page.locator("#id_summary").fill(
        "民生委員から。一人暮らしで最近外出が減り、食事も不規則とのこと。"
    )
    screenshot("intake-filled")
    page.get_by_role("button", name="受付内容を保存").click()
    page.wait_for_url("**/cases/*/")
    body = page.locator("body").inner_text()
    assert "北村 和子" in body
    assert "キタムラ カズコ" in body
    assert "民生委員から。一人暮らし" in body
    screenshot("case-after-intake")
    case = Case.objects.get(person__name="北村 和子")
    assert case.municipality.code == "272035"
    assert Consultation.objects.filter(case=case).count() == 1

    # The caseworker finds her again by kana in half-width.
    page.get_by_role("link", name="対象者を探す").first.click()
    page.locator("#id_q").fill("ｷﾀﾑﾗ")
    page.get_by_role("button", name="検索").click()
    assert "北村 和子" in page.locator("body").inner_text()
    screenshot("search-half-width")

    # A follow-up consultation from the case page.
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.get_by_role("link", name="相談を記録").first.click()
    page.wait_for_url(f"**/cases/{case.pk}/consultations/new/")
    page.locator("#id_method").select_option(label="訪問")
    page.locator("#id_summary").fill(
        "自宅を訪問。長男（50代）が同居し、ひきこもりの状態と分かった。"
    )
    page.locator("main form button.primary").click()
    page.wait_for_url(f"**/cases/{case.pk}/")
    assert "長男（50代）が同居" in page.locator("body").inner_text()
    assert Consultation.objects.filter(case=case).count() == 2

    # Consent to share with agencies, covering the 重層的支援会議.
    page.get_by_role("link", name="同意を記録").click()
    page.wait_for_url(f"**/cases/{case.pk}/consents/new/")
    page.locator("input[name=agencies]").first.check()
    page.locator("#id_purpose").fill("支援方針の検討のため")
    page.locator("#id_scope").fill("相談内容、世帯の状況")
    page.locator("#id_covers_multiagency_meeting").check()
    page.locator("#id_legal_basis").select_option("consent")
    page.locator("#id_method").select_option("signature")
    page.locator("#id_rules_explained").check()
    page.locator("#id_given_on").fill(timezone.localdate().isoformat())
    page.locator("main form button.primary").click()
    page.wait_for_url(f"**/cases/{case.pk}/")
    consent = Consent.objects.get(case=case)
    assert consent.covers_multiagency_meeting
    assert consent.agencies.count() == 1

    # The support plan, saved as a draft.
    page.get_by_role("link", name="支援プランを作成").click()
    page.wait_for_url(f"**/cases/{case.pk}/plans/new/")
    page.locator("#id_goals").fill("本人の食事と外出を支え、長男の社会参加の糸口を探る。")
    page.locator("#id_action_0_text").fill("週1回の訪問と見守り")
    page.locator("#id_uses_participation").check()
    page.locator("main form button.primary").click()
    page.wait_for_load_state()
    plan = SupportPlan.objects.get(case=case)
    assert plan.status == SupportPlan.Status.DRAFT
    screenshot("journey-plan")

    # The 重層的支援会議 approves the plan.
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.get_by_role("link", name="会議を記録").click()
    page.wait_for_url("**/cases/meetings/new/**")
    assert page.locator("#id_item_0_case").input_value() == case.number
    # The agenda's rows pick their case as the user types: the name offers the case.
    page.locator("#id_item_0_case").fill("")
    page.locator("#id_item_0_case").fill("きたむら")
    page.wait_for_selector("#id_item_0_case[data-choices]")
    offered = page.eval_on_selector_all(
        "#id_item_0_case-choices option", "options => options.map(o => o.value)"
    )
    assert offered == [f"{case.number} {case.person.name}"]
    page.locator("#id_item_0_case").fill(offered[0])
    from tests.browser.conftest import no_serious_violations

    no_serious_violations(page)
    page.locator("#id_kind").select_option("multiagency")
    page.locator("#id_title").fill("北村さん世帯の支援方針")
    page.locator("#id_item_0_decision").select_option("decide")
    page.locator("#id_attendee_0_name").fill("高橋 誠")
    page.locator("#id_attendee_0_organisation").fill("地域包括支援センター")
    page.locator("#id_attendee_0_secrecy").check()
    page.locator("main form button.primary").click()
    page.wait_for_url("**/cases/meetings/*/")
    body = page.locator("body").inner_text()
    assert "重層的支援会議" in body
    assert case.number in body
    screenshot("journey-meeting")
    meeting = Meeting.objects.get(kind=Meeting.Kind.MULTIAGENCY, cases=case)
    assert meeting.held_on == timezone.localdate()
    plan.refresh_from_db()
    assert plan.status == SupportPlan.Status.DECIDED
    assert plan.review_on > timezone.localdate() + datetime.timedelta(days=30)
