"""Roster upload through the Django admin: upload, preview, confirm."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from municipalities.models import Municipality, ProgramParticipation, RosterImport
from tests.conftest import ROSTER_FY2022

pytestmark = pytest.mark.django_db

UPLOAD = "admin:municipalities_rosterimport_upload"


def upload(client, content: bytes, name: str = "roster.csv", **data):
    payload = {
        "fiscal_year": 2022,
        "kind": "implementation",
        **data,
        "file": SimpleUploadedFile(name, content),
    }
    return client.post(reverse(UPLOAD), payload)


def confirm(client, record: RosterImport, **data):
    """The preview page's confirm button: the form names the file by its SHA-256."""
    url = reverse("admin:municipalities_rosterimport_preview", args=[record.pk])
    return client.post(url, {"file_sha256": record.file_sha256, **data}, follow=True)


def test_system_admin_uploads_previews_and_applies(client, personas):
    client.force_login(personas.system_admin)
    response = upload(client, ROSTER_FY2022.read_bytes(), "roster_fy2022.csv", expected_total=133)
    assert response.status_code == 302
    record = RosterImport.objects.get()
    assert record.status == RosterImport.Status.PREVIEWED
    assert Municipality.objects.count() == 2  # only the personas' two; nothing applied yet

    preview = client.get(response["Location"])
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "鰺ヶ沢町" in html
    assert "この名簿を反映する" in html
    assert f'name="file_sha256" value="{record.file_sha256}"' in html

    applied = confirm(client, record)
    assert "名簿を反映しました" in applied.content.decode()
    record.refresh_from_db()
    assert record.status == RosterImport.Status.APPLIED
    assert record.applied_at
    assert Municipality.objects.count() == 133
    assert (
        ProgramParticipation.objects.filter(fiscal_year=2022, roster_import=record).count() == 133
    )
    assert RosterImport.objects.count() == 1  # the preview became the applied import

    # Confirming again does nothing more.
    again = confirm(client, record)
    assert RosterImport.objects.count() == 1
    assert "この名簿を反映する" not in again.content.decode()


def test_bad_upload_is_shown_as_rejected_and_cannot_be_applied(client, personas):
    client.force_login(personas.system_admin)
    response = upload(client, "name\n太子町\n".encode())
    record = RosterImport.objects.get()
    assert record.status == RosterImport.Status.REJECTED
    html = client.get(response["Location"]).content.decode()
    assert "太子町" in html
    assert "却下" in html
    assert "この名簿を反映する" not in html
    confirm(client, record)
    assert not ProgramParticipation.objects.exists()


def test_oversize_upload_is_refused_with_a_message(client, personas, settings):
    settings.ROSTER_UPLOAD_MAX_BYTES = 10
    client.force_login(personas.system_admin)
    response = upload(client, b"code\n272035\n272043\n")
    assert response.status_code == 200
    assert not RosterImport.objects.exists()
    assert "大きすぎ" in response.content.decode()


@pytest.mark.parametrize("persona", ["manager_a", "caseworker_a"])
def test_municipal_staff_cannot_reach_the_admin(client, personas, persona):
    user = personas.all()[persona]
    user.is_staff = True  # even if someone ticked it by mistake
    user.save()
    client.force_login(user)
    assert client.get(reverse(UPLOAD)).status_code == 403
    assert client.get(reverse("admin:municipalities_municipality_changelist")).status_code == 403


def test_anonymous_is_sent_to_admin_login(client):
    response = client.get(reverse(UPLOAD))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_admin_pages_open_for_the_system_admin(client, personas, fy2022_roster):
    client.force_login(personas.system_admin)
    for name in (
        "municipality",
        "programparticipation",
        "rosterimport",
        "user",
        "membership",
        "organisation",
    ):
        url = reverse(f"admin:municipalities_{name}_changelist")
        assert client.get(url).status_code == 200, url
    muni = Municipality.objects.get(code="272035")
    assert (
        client.get(reverse("admin:municipalities_municipality_change", args=[muni.pk])).status_code
        == 200
    )
