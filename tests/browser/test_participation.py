"""The coordinator's journey in the browser: from the inbox to matching a referred
person with a menu, a trial, session logs, and a concern that goes back to the
caseworker (participation → consultation)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from cases.collaboration import services as collaboration_services
from cases.core import services as core_services
from cases.models import ContactRoute, Person
from municipalities.models import User
from participation.models import Assignment, SessionLog
from tests.browser.test_login_roles import log_in
from tests.conftest import ROSTER_FY2022
from tests.worlds import decide_participation_plan, master

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def referral(settings):
    settings.DEBUG = True
    call_command("load_roster", str(ROSTER_FY2022), "--fiscal-year", "2022", verbosity=0)
    call_command("seed_demo", verbosity=0)
    settings.DEBUG = False
    caseworker = User.objects.get(username="a-caseworker")
    coordinator = User.objects.get(username="a-coordinator")
    person = core_services.person_create(
        user=caseworker,
        municipality=caseworker.memberships.get().municipality,
        name="岸本 悠",
        name_kana="キシモト ユウ",
    )
    case = core_services.case_open(
        user=caseworker, person=person, route=master(ContactRoute, "self")
    )
    referral = collaboration_services.referral_create(
        user=caseworker,
        case=case,
        from_program="consultation",
        to_program="participation",
        reason="人の少ない場所で、パソコンを使う作業から始めたい。電話は苦手。",
    )
    collaboration_services.referral_respond(user=coordinator, referral=referral, accept=True)
    # A menu is proposed only from a decided plan that applies for 参加支援.
    decide_participation_plan(caseworker, case)
    return referral


def test_coordinator_journey_matching_sessions_and_a_concern_for_the_caseworker(
    browser, page, live_server, settings, referral, screenshot
):
    log_in(page, live_server.url, "a-coordinator", settings.DEMO_PASSWORD)
    page.goto(f"{live_server.url}/participation/inbox/")
    assert "岸本 悠" in page.locator("body").inner_text()
    page.locator(f"a[href$='/participation/referrals/{referral.pk}/match/']").click()
    page.wait_for_url(f"**/participation/referrals/{referral.pk}/match/")
    page.locator("#id_interests").fill("パソコン、読書")
    page.locator("input[name=needs][value=no_phone]").check()
    page.locator("form[method=post] button.primary").first.click()
    page.wait_for_url(f"**/participation/referrals/{referral.pk}/match/")
    suggestions = page.locator("#suggestions")
    assert "興味：パソコン" in suggestions.inner_text()
    screenshot("participation-matching")
    first = suggestions.locator("li").first
    menu_name = first.locator("strong").inner_text()
    first.locator("button").click()
    page.wait_for_url("**/participation/assignments/*/")
    assignment = Assignment.objects.get(case=referral.case)
    assert assignment.menu.name == menu_name
    assert assignment.status == "proposed"

    page.locator("#id_to_status").select_option("trial")
    page.locator("form[action$='/status/'] button").click()
    page.wait_for_url(f"**/participation/assignments/{assignment.pk}/")
    page.locator("#id_attendance").select_option("present")
    page.locator("#id_observation").fill("初回は緊張していたが、最後まで作業できた。")
    page.locator("form[action$='/logs/'] button").click()
    page.wait_for_url(f"**/participation/assignments/{assignment.pk}/")
    assert "最後まで作業できた" in page.locator("body").inner_text()
    screenshot("participation-assignment")
    log = SessionLog.objects.get(assignment=assignment)
    assert log.held_on == timezone.localdate()
    assert log.attendance == "present"
    assert Person.objects.filter(name="岸本 悠").count() == 1

    # A later session: absent, with a concern the caseworker should know about.
    page.locator("#id_attendance").select_option("absent")
    page.locator("input[name=concerns][value=health]").check()
    page.locator("#id_concern_note").fill("先週から体調がすぐれないと連絡があった。")
    page.locator("form[action$='/logs/'] button").click()
    page.wait_for_url(f"**/participation/assignments/{assignment.pk}/")
    screenshot("participation-concern-logged")
    concern_log = SessionLog.objects.get(assignment=assignment, attendance="absent")
    assert concern_log.concerns == ["health"]
    assert concern_log.referral is not None

    # The caseworker finds it among the referrals to consultation.
    desk = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ja-JP")
    caseworker = desk.new_page()
    log_in(caseworker, live_server.url, "a-caseworker", settings.DEMO_PASSWORD)
    caseworker.goto(f"{live_server.url}/cases/referrals/")
    caseworker.get_by_role("link", name="岸本 悠").first.click()
    caseworker.wait_for_url("**/cases/referrals/*/")
    assert "体調がすぐれない" in caseworker.locator("body").inner_text()
    caseworker.screenshot(path="test-results/screenshots/participation-concern-to-caseworker.png")
    desk.close()
