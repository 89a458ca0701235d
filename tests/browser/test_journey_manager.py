"""A manager logs in with password and authenticator code, reads the statistics and
finds in the audit trail that a record was opened."""

from __future__ import annotations

import pytest

from tests.browser.test_login_roles import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_manager_statistics_then_audit_search(page, live_server, demo, screenshot):
    log_in(page, live_server.url, "a-manager", demo)
    page.wait_for_url(f"{live_server.url}/cases/office/")
    assert "管理者" in page.locator("body").inner_text()

    page.get_by_role("link", name="統計").first.click()
    page.wait_for_url("**/cases/statistics/**")
    assert "統計" in page.locator("h1").inner_text()
    screenshot("journey-manager-statistics")

    # Open a person's record: that view is written to the audit trail.
    page.get_by_role("link", name="対象者を探す").first.click()
    page.get_by_label("氏名またはふりがな").fill("まつおか")
    page.get_by_role("button", name="検索").click()
    page.get_by_role("link", name="松岡 キヨ子").first.click()
    page.wait_for_url("**/cases/persons/*/**")

    page.get_by_role("link", name="アクセス記録（監査証跡）").first.click()
    page.wait_for_url("**/audit/**")
    page.get_by_label("対象者（氏名・ふりがな・ID）").fill("まつおか")
    page.get_by_label("操作", exact=True).select_option(label="閲覧")
    page.get_by_role("button", name="検索", exact=True).click()
    results = page.locator("#audit-results")
    results.wait_for()
    text = results.inner_text()
    assert "松岡 キヨ子" in text
    assert "閲覧" in text
    assert "長尾 一郎" in text
    screenshot("journey-manager-audit-search")


def test_manager_sets_a_staff_members_password(page, live_server, demo, screenshot):
    log_in(page, live_server.url, "a-manager", demo)
    page.wait_for_url(f"{live_server.url}/cases/office/")
    page.get_by_role("link", name="職員のセキュリティ").first.click()
    page.wait_for_url("**/staff/security/")
    row = page.locator("#staff-devices tr", has_text="石田 花子")
    row.get_by_role("link", name="パスワードを設定").click()
    page.wait_for_url("**/password/")
    page.get_by_label("新しいパスワード", exact=True).fill("short")
    page.get_by_label("新しいパスワード(確認用)").fill("short")
    page.get_by_role("button", name="パスワードを保存").click()
    assert "短すぎます" in page.locator("main").inner_text()
    page.get_by_label("新しいパスワード", exact=True).fill("Sodan-Madoguchi-2026")
    page.get_by_label("新しいパスワード(確認用)").fill("Sodan-Madoguchi-2026")
    page.get_by_role("button", name="パスワードを保存").click()
    page.wait_for_url("**/staff/security/")
    assert "新しいパスワードを設定し" in page.locator("main").inner_text()
    screenshot("journey-manager-staff-password")
