"""The roster upload is the only upload: size, type and encoding are checked with a
clear message, and the file is held only in memory while it is read: never on disk, and
not in the database (only its rows and hash)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.db import models
from django.urls import reverse

from municipalities.models import RosterImport
from tests.municipalities.test_admin import UPLOAD, upload

pytestmark = pytest.mark.django_db

SJIS_CSV = "団体コード,市区町村名\n272035,豊中市\n".encode("cp932")


@pytest.fixture
def sysadmin(client, personas):
    client.force_login(personas.system_admin)
    return client


def refused(response, message: str) -> None:
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not RosterImport.objects.exists()


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"code\n272035\n", "roster.exe", "のみアップロードできます"),
        (b"<html></html>", "roster.html", "のみアップロードできます"),
        (b"code\n272035\n", "roster", "のみアップロードできます"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "roster.xls", "古い Excel"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "roster.csv", "古い Excel"),
        (b"code,name\n272035,x\n", "roster.xlsx", "Excel ファイルではありません"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "roster.csv", "テキストではありません"),
        (b"PK\x03\x04 zip", "roster.json", "テキストではありません"),
        (b"code\n2720\x0035\n", "roster.tsv", "テキストではありません"),
        ("code\n272035\n".encode("utf-16"), "roster.csv", "UTF-16"),
        (b"code\n\x80\xfd\xfe\xff\n", "roster.csv", "Shift_JIS のテキストではありません"),
    ],
)
def test_wrong_type_or_encoding_is_refused_with_a_message(sysadmin, content, name, message):
    refused(upload(sysadmin, content, name), message)


def test_shift_jis_csv_as_excel_writes_it_is_accepted(sysadmin):
    response = upload(sysadmin, SJIS_CSV, "名簿.csv")
    assert response.status_code == 302
    record = RosterImport.objects.get()
    assert record.status == RosterImport.Status.PREVIEWED
    assert [(row["line"], row["code"], row["name"]) for row in record.rows] == [
        (2, "272035", "豊中市")
    ]


def test_oversize_file_is_refused_by_the_form(sysadmin, settings):
    settings.ROSTER_UPLOAD_MAX_BYTES = 10
    refused(upload(sysadmin, SJIS_CSV), "大きすぎます")


def test_oversize_request_is_refused_before_its_body_is_read(sysadmin, settings):
    settings.ROSTER_UPLOAD_MAX_BYTES = 10
    response = upload(sysadmin, b"code\n" + b"272035\n" * 20000)
    assert response.status_code == 413
    assert "大きすぎます" in response.content.decode()
    assert not RosterImport.objects.exists()


def test_get_of_the_upload_page_still_works(sysadmin):
    assert sysadmin.get(reverse(UPLOAD)).status_code == 200


def test_no_model_stores_files_and_nothing_is_served_from_an_upload_folder():
    file_fields = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.FileField)
    ]
    assert file_fields == []
    # No media folder is configured, so no upload can land under the web root.
    assert not getattr(django_settings, "MEDIA_ROOT", "")
    # Files up to the limit are parsed from memory, never spooled to a temporary file.
    assert django_settings.ROSTER_UPLOAD_MAX_BYTES <= django_settings.FILE_UPLOAD_MAX_MEMORY_SIZE
