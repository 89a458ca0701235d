"""The system administrator logs in with password and authenticator code and loads a
roster through the admin: upload, preview, confirm."""

from __future__ import annotations

import pytest

from municipalities.models import ProgramParticipation, RosterImport
from tests.browser.test_login_roles import log_in
from tests.conftest import ROSTER_FY2022

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_sysadmin_uploads_previews_and_confirms_a_roster(page, live_server, demo, screenshot):
    log_in(page, live_server.url, "sysadmin", demo)
    page.wait_for_url(f"{live_server.url}/")
    assert "システム管理者" in page.locator("body").inner_text()

    page.goto(f"{live_server.url}/admin/municipalities/rosterimport/upload/")
    page.get_by_label("名簿ファイル").set_input_files(str(ROSTER_FY2022))
    page.get_by_label("年度").fill("2023")
    page.get_by_label("想定自治体数").fill("133")
    screenshot("journey-sysadmin-upload")
    page.get_by_role("button", name="ファイルを確認").click()
    page.wait_for_url("**/preview/")
    assert page.locator("#roster-report tbody tr").count() >= 133
    assert ProgramParticipation.objects.filter(fiscal_year=2023).count() == 0
    screenshot("journey-sysadmin-preview")
    page.get_by_role("button", name="この名簿を反映する").click()
    page.wait_for_selector("text=名簿を反映しました")
    assert RosterImport.objects.get(fiscal_year=2023).status == RosterImport.Status.APPLIED
    assert ProgramParticipation.objects.filter(fiscal_year=2023).count() == 133
