"""Every demo role logs in through the real login form and sees its home page in Japanese."""

from __future__ import annotations

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROLES = {
    "a-caseworker": ("大阪府豊中市", "相談支援員", "/cases/"),
    "a-coordinator": ("大阪府豊中市", "参加支援コーディネーター", "/participation/home/"),
    "a-community": ("大阪府豊中市", "地域づくり担当", "/community/home/"),
    "a-manager": ("大阪府豊中市", "管理者", "/cases/office/"),
    "a-multiagency": ("大阪府豊中市", "多機関協働担当", "/cases/office/"),
    "a-hokatsu": ("大阪府豊中市", "豊中市みどり台地域包括支援センター", "/cases/"),
    "a-outreach": ("大阪府豊中市", "アウトリーチ支援員", "/outreach/home/"),
    "b-caseworker": ("島根県松江市", "相談支援員", "/cases/"),
    "b-manager": ("島根県松江市", "管理者", "/cases/office/"),
    "sysadmin": ("実施自治体名簿", "システム管理者", "/"),
}


def totp_code(username: str) -> str | None:
    """The current code of the account's authenticator (demo managers and sysadmin)."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
    if device is None:
        return None
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def log_in(page, base_url: str, username: str, password: str) -> None:
    """The login form, then the code step for an account with an authenticator."""
    from django.conf import settings

    page.goto(f"{base_url}/login/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    code = totp_code(username)
    if code is not None and password == settings.DEMO_PASSWORD:
        page.wait_for_url("**/login/code/**")
        page.get_by_label("6桁のコード").fill(code)
        page.get_by_role("button", name="確認").click()


def test_each_demo_role_sees_its_home_page_in_japanese(page, live_server, demo, screenshot):
    """Each role lands on its own work, in Japanese, and the page passes axe."""
    from tests.browser.conftest import no_serious_violations

    for username, (place, role, home) in ROLES.items():
        log_in(page, live_server.url, username, demo)
        page.wait_for_url(f"{live_server.url}{home}")
        body = page.locator("body")
        assert place in body.inner_text(), username
        assert role in body.inner_text(), username
        assert page.locator("html").get_attribute("lang") == "ja"
        no_serious_violations(page)
        screenshot(f"home-{username}")
        page.get_by_role("button", name="ログアウト").click()
        page.wait_for_url(f"{live_server.url}/login/")


def test_wrong_password_shows_japanese_error(page, live_server, demo, screenshot):
    log_in(page, live_server.url, "a-caseworker", "wrong-password")
    assert "正しいユーザー名とパスワードを入力してください" in page.locator("body").inner_text()
    screenshot("login-error")


def test_manager_opens_statistics_and_sees_the_charts(page, live_server, demo, screenshot):
    log_in(page, live_server.url, "a-manager", demo)
    page.goto(f"{live_server.url}/cases/statistics/")
    page.wait_for_selector("#chart-monthly[data-rendered=true]")
    page.wait_for_selector("#chart-flows[data-rendered=true]")
    assert "統計" in page.locator("h1").inner_text()
    # A flow's long label is drawn on two lines ("… →", "…"), not clipped.
    labels = page.evaluate("document.getElementById('chart-flows').chart.data.labels")
    assert labels
    assert all(isinstance(label, list) and label[0].endswith("→") for label in labels)
    screenshot("statistics")
