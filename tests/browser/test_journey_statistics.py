"""A manager reads the statistics 事業 by 事業, opens the trends and the 実施計画."""

from __future__ import annotations

import pytest

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_login_roles import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BUSINESSES = ("comprehensive", "participation", "community", "outreach", "multiagency")


def test_manager_reads_five_sections_trends_and_plan(page, live_server, demo, screenshot):
    log_in(page, live_server.url, "a-manager", demo)
    page.wait_for_url(f"{live_server.url}/cases/office/")
    page.get_by_role("link", name="統計").first.click()
    page.wait_for_url("**/cases/statistics/**")
    text = page.locator("main").inner_text()
    for label in ("包括的相談支援事業", "参加支援事業", "地域づくり事業", "多機関協働事業"):
        assert label in text
    assert "アウトリーチ等を通じた継続的支援事業" in text
    assert "第1期 重層的支援体制整備事業実施計画" in text
    screenshot("statistics-businesses")
    for key in BUSINESSES:
        page.locator(f"#business-{key}").screenshot(path=str(SCREENSHOTS / f"business-{key}.png"))

    page.get_by_role("link", name="推移").first.click()
    page.wait_for_url("**/cases/statistics/trends/**")
    page.locator("canvas.trend-chart[data-rendered='true']").first.wait_for()
    screenshot("statistics-trends")

    page.goto(f"{live_server.url}/cases/statistics/plan/")
    assert page.locator("#id_contractors_participation").input_value() == "豊中市社会福祉協議会"
    screenshot("statistics-plan")
