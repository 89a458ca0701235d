"""The outreach worker's journey on a phone at the door (390 px): the visit to the
8050 household's son is overdue and flagged; the worker logs the contact in a few taps
and the flag goes. Then the office sees the target at a desk, and the ready target is
handed over to a case."""

from __future__ import annotations

import pytest

from cases.engine.flags import evaluate
from cases.models import Flag
from municipalities.models import Municipality
from outreach.models import OutreachTarget, Stage
from tests.browser.test_login_roles import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_contact_logged_at_the_door_clears_the_overdue_flag(browser, live_server, demo):
    from tests.browser.conftest import SCREENSHOTS, no_serious_violations

    toyonaka = Municipality.objects.get(code="272035")
    evaluate(toyonaka.pk)  # the hourly scan
    son = OutreachTarget.objects.get(municipality=toyonaka, person__name="松岡 浩二")
    overdue = Flag.objects.filter(
        rule="outreach_contact_overdue", subject_id=son.pk, resolved_at__isnull=True
    )
    assert overdue.exists()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="ja-JP")
    page = phone.new_page()
    log_in(page, live_server.url, "a-outreach", demo)
    page.wait_for_url("**/outreach/home/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    row = page.locator("tbody tr", has_text="松岡 浩二")
    assert "期限超過" in row.inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    no_serious_violations(page)
    page.screenshot(path=str(SCREENSHOTS / "outreach-home-phone.png"), full_page=True)
    page.goto(f"{live_server.url}/cases/flags/")
    assert "アウトリーチの接触予定超過" in page.locator("main").inner_text()
    no_serious_violations(page)
    page.goto(f"{live_server.url}/outreach/home/")
    page.get_by_role("link", name="松岡 浩二").click()
    page.wait_for_url("**/outreach/*/")
    # Two taps and a line: how, what happened, what was seen.
    page.locator("label.chip", has_text="訪問").click()
    page.locator("label.chip", has_text="会えた").click()
    page.locator("#id_observed").fill("玄関先で5分ほど話せた。来週、母の通院に同行する約束をした。")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    no_serious_violations(page)
    page.screenshot(path=str(SCREENSHOTS / "outreach-contact-phone.png"), full_page=True)
    page.get_by_role("button", name="接触を保存").click()
    page.wait_for_url(f"**/outreach/{son.pk}/")
    assert "接触を記録しました" in page.locator("body").inner_text()
    assert "玄関先で5分ほど話せた" in page.locator("ol.timeline").inner_text()
    assert not overdue.exists()
    page.goto(f"{live_server.url}/cases/flags/")
    assert (
        "松岡" not in page.locator("main").inner_text()
        or "予定超過" not in page.locator("main").inner_text()
    )
    phone.close()


def test_the_ready_target_is_handed_over_to_a_case(browser, live_server, demo):
    from tests.browser.conftest import SCREENSHOTS, no_serious_violations

    desk = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ja-JP")
    page = desk.new_page()
    log_in(page, live_server.url, "a-outreach", demo)
    page.goto(f"{live_server.url}/outreach/?stage=consent")
    page.get_by_role("link", name="上野西の30代男性").click()
    ready = OutreachTarget.objects.get(description__startswith="上野西の30代男性")
    # A case needs a name: record the person first.
    page.locator("#id_person-name").fill("上野 翔太")
    page.locator("#id_person-name_kana").fill("うえの しょうた")
    page.get_by_role("button", name="本人を登録").click()
    page.wait_for_url(f"**/outreach/{ready.pk}/")
    page.get_by_role("link", name="ケースにつなぐ").click()
    page.locator("#id_lead_agency").select_option(label="とよなかひきこもり地域支援センター")
    no_serious_violations(page)
    page.screenshot(path=str(SCREENSHOTS / "outreach-hand-over.png"), full_page=True)
    page.get_by_role("button", name="つなぐ").click()
    page.wait_for_url(f"**/outreach/{ready.pk}/")
    ready.refresh_from_db()
    assert ready.stage == Stage.HANDED_OVER
    assert ready.case.person.name == "上野 翔太"
    assert "つなぎ" in page.locator("h1").inner_text()
    desk.close()
