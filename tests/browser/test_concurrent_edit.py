"""Two members of staff edit one case at once: the second is told, nothing is lost."""

from __future__ import annotations

import pytest

from cases.models import Case
from tests.browser.test_login_roles import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_second_editor_sees_the_conflict_message(browser, live_server, demo):
    case = (
        Case.objects.filter(municipality__code="272035", is_sensitive=False)
        .exclude(status=Case.Status.CLOSED)
        .order_by("pk")
        .first()
    )
    url = f"{live_server.url}/cases/{case.pk}/edit/"
    pages = []
    for username in ("a-caseworker", "a-manager"):
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ja-JP")
        page = context.new_page()
        log_in(page, live_server.url, username, demo)
        page.goto(url)
        pages.append(page)
    first, second = pages

    first.locator("#id_is_sensitive").check()
    first.locator("button.primary").click()
    first.wait_for_url(f"**/cases/{case.pk}/")

    other_route = next(
        value
        for value in second.locator("#id_route option").evaluate_all("os => os.map(o => o.value)")
        if value and value != str(case.route_id)
    )
    second.locator("#id_route").select_option(other_route)
    second.locator("button.primary").click()
    alert = second.locator("#conflict")
    assert "この記録は他の職員によって更新されています" in alert.inner_text()
    # The form shows the stored values, the first editor's change included.
    assert second.locator("#id_is_sensitive").is_checked()
    second.screenshot(path="test-results/screenshots/case-edit-conflict.png", full_page=True)
    stored = Case.objects.get(pk=case.pk)
    assert stored.is_sensitive
    assert stored.route_id == case.route_id
