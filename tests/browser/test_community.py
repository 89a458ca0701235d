"""The community worker's journey in the browser: on a phone, a concern (気づき) is
recorded; a caseworker at a desk opens a case from it; back on the phone, the
community worker sees that consultation took it up (community → consultation)."""

from __future__ import annotations

import pytest

from community.models import Concern
from tests.browser.conftest import no_serious_violations
from tests.browser.test_login_roles import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_community_worker_journey_concern_from_a_phone_reaches_consultation(
    browser, live_server, demo
):
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="ja-JP")
    page = phone.new_page()
    log_in(page, live_server.url, "a-community", demo)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    page.get_by_role("link", name="気づきを記録").first.click()
    page.wait_for_url("**/community/concerns/new/")
    page.locator("input[name=urgency][value=urgent]").check()
    page.locator("#id_observation").fill("三日前から雨戸が閉まったまま。郵便受けがいっぱい。")
    page.locator("#id_subject_name").fill("大西 トメ")
    page.locator("#id_reporter_kind").select_option("minsei")
    page.screenshot(path="test-results/screenshots/concern-phone.png", full_page=True)
    page.locator("button.wide").click()
    page.wait_for_url("**/community/concerns/mine/")
    assert "大西 トメ" in page.locator("body").inner_text()
    assert "受付済み" in page.locator("tbody tr", has_text="大西 トメ").inner_text()
    phone_page = page

    desk = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ja-JP")
    page = desk.new_page()
    log_in(page, live_server.url, "a-caseworker", demo)
    page.goto(f"{live_server.url}/community/concerns/")
    rows = page.locator("tbody tr")
    assert "大西 トメ" in rows.first.inner_text()  # urgent first
    page.get_by_role("link", name="大西 トメ").click()
    page.locator("#id_person-name_kana").fill("おおにし とめ")
    page.locator("form[action$='/open-case/'] button.primary").click()
    page.wait_for_url("**/cases/*/")
    body = page.locator("body").inner_text()
    assert "大西 トメ" in body
    assert "雨戸が閉まったまま" in body
    page.screenshot(path="test-results/screenshots/case-from-concern.png", full_page=True)
    concern = Concern.objects.get(subject_name="大西 トメ")
    assert concern.status == "taken_up"
    assert concern.case.route.code == "minsei"
    desk.close()

    phone_page.reload()
    assert "相談支援で対応中" in phone_page.locator("tbody tr", has_text="大西 トメ").inner_text()
    phone_page.screenshot(
        path="test-results/screenshots/concern-taken-up-phone.png", full_page=True
    )
    no_serious_violations(phone_page)

    # The register at 390 px: the page does not scroll sideways, the table does, and no
    # column is squeezed to a character.
    phone_page.goto(f"{live_server.url}/community/")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    table = phone_page.locator("table.list").first
    assert table.evaluate("t => t.scrollWidth > t.clientWidth")
    narrowest = phone_page.eval_on_selector_all(
        "table.list tbody td",
        "cells => Math.min(...cells.map(c => c.getBoundingClientRect().width))",
    )
    assert narrowest >= 60
    no_serious_violations(phone_page)
    phone_page.screenshot(path="test-results/screenshots/register-phone.png", full_page=True)
    phone.close()
