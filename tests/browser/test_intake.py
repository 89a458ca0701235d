"""A caseworker records a phone intake end to end in the browser."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from cases.models import Case, Consultation
from tests.browser.test_login_roles import log_in
from tests.conftest import ROSTER_FY2022

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("load_roster", str(ROSTER_FY2022), "--fiscal-year", "2022", verbosity=0)
    call_command("seed_demo", verbosity=0)
    settings.DEBUG = False
    return settings.DEMO_PASSWORD


def test_caseworker_records_an_intake_and_sees_the_case(page, live_server, demo, screenshot):
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
    assert "北村 和子" in body and "キタムラ カズコ" in body
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
