"""SQL and HTML injection: hostile text in searches and free-text fields is data,
never code. Searches answer normally with no extra rows; every page shows stored text
escaped; the API returns it unchanged as JSON; exports neutralise formulas."""

from __future__ import annotations

import csv
import io

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse
from openpyxl import load_workbook

from cases.core import services as core_services
from portal.exports import neutralise
from tests.urlwalk import fill, walk

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
ESCAPED = ("&lt;script&gt;alert(1)&lt;/script&gt;", "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;")
SEARCHES = ["' OR 1=1 --", "%", "_", "\\", "%%", "'; DROP TABLE cases_person; --", SCRIPT, IMG]

# Free text never shown as such (stored keys, codes, hashes and the like).
NOT_FREE_TEXT = {"code", "number", "password", "username", "hash", "prev_hash", "key"}


def poison_free_text() -> int:
    """Write the payloads into every free-text column of every tenant-owned row."""
    poisoned = 0
    for model in apps.get_models():
        names = {f.name for f in model._meta.concrete_fields}
        if "municipality" not in names or model._meta.app_label == "municipalities":
            continue
        keys = {n for c in model._meta.constraints for n in getattr(c, "fields", ())}
        for field in model._meta.concrete_fields:
            if (
                field.unique
                or field.name in keys
                or not isinstance(field, models.CharField | models.TextField)
                or field.choices
                or field.name in NOT_FREE_TEXT
                or field.name.startswith("search_")
                or not field.editable
            ):
                continue
            size = field.max_length or 10_000
            value = IMG + SCRIPT if size >= len(IMG + SCRIPT) else IMG if size >= len(IMG) else None
            if value is None:
                continue
            poisoned += model._base_manager.update(**{field.name: value})
    return poisoned


@pytest.mark.parametrize("query", SEARCHES)
def test_hostile_name_search_finds_nothing_and_shows_the_query_escaped(
    client, personas, world_a, query
):
    client.force_login(personas.caseworker_a)
    response = client.get(reverse("cases:person_search"), {"q": query})
    assert response.status_code == 200
    assert response.context["results"] == []  # no wildcard, no always-true condition
    html = response.content.decode()
    assert SCRIPT not in html
    assert IMG not in html


def test_wildcard_characters_are_matched_literally(client, personas, world_a):
    core_services.person_create(
        user=personas.caseworker_a,
        municipality=personas.municipality_a,
        name="百%_太郎",
        name_kana="ヒャク",
    )
    client.force_login(personas.caseworker_a)
    for query in ("%", "_", "%_"):
        results = client.get(reverse("cases:person_search"), {"q": query}).context["results"]
        assert [p.name for p in results] == ["百%_太郎"], query


def test_hostile_text_is_shown_escaped_on_every_page(client, personas, world_a):
    """Every page of the portal, opened by each persona, with every free-text column
    of every record holding markup: the markup never reaches the HTML as markup."""
    assert poison_free_text() >= 30
    ids = world_a.ids()
    shown_escaped = set()
    for persona in ("manager_a", "caseworker_a", "coordinator_a", "community_worker_a"):
        client.force_login(personas.all()[persona])
        for route, _pattern in walk():
            if route.startswith(("api/", "i18n/", "logout/")):
                continue
            url = fill(route, ids)
            response = client.get(url)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            html = response.content.decode()
            assert SCRIPT not in html, (persona, url)
            assert "<img src=x" not in html, (persona, url)
            shown_escaped.update(url for e in ESCAPED if e in html)
    # The check is meaningful: the escaped payload is visible on the record pages.
    for key in ("case_id", "person_id", "concern_id", "menu_id", "place_id"):
        assert any(f"/{ids[key]}/" in url for url in shown_escaped), key


def test_hostile_text_comes_back_unchanged_as_json(client, personas, world_a):
    poison_free_text()
    client.force_login(personas.manager_a)
    for url in ("/api/persons/", "/api/consultations/", "/api/concerns/", "/api/menus/"):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert IMG + SCRIPT in response.content.decode("unicode_escape") or (
            IMG + SCRIPT in str(response.json())
        ), url


def test_sql_text_in_free_text_is_stored_verbatim(client, personas, world_a):
    from cases.models import Consultation

    client.force_login(personas.caseworker_a)
    text = "'); DELETE FROM cases_consultation; -- \\ % _"
    response = client.post(
        reverse("cases:consultation_add", args=[world_a.case.pk]),
        {"occurred_at": "2026-04-01T10:00", "method": world_a.consultation.method_id,
         "summary": text},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Consultation.objects.filter(summary=text).count() == 1
    assert Consultation.objects.count() >= 2


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("普通の文", "普通の文"),
        (12, 12),
    ],
)
def test_export_cells_that_look_like_formulas_are_neutralised(value, expected):
    assert neutralise(value) == expected


def test_statistics_exports_carry_no_formula(client, personas, world_a):
    from cases.models import ContactRoute

    ContactRoute.objects.update(name='=HYPERLINK("http://evil.example")')
    client.force_login(personas.manager_a)
    url = reverse("cases:statistics")
    body = client.get(url, {"export": "csv"}).content.decode("utf-8").lstrip("\ufeff")
    cells = [cell for row in csv.reader(io.StringIO(body)) for cell in row]
    assert any(cell.startswith("'=HYPERLINK") for cell in cells)
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)
    workbook = load_workbook(io.BytesIO(client.get(url, {"export": "xlsx"}).content))
    values = [c.value for sheet in workbook for row in sheet.iter_rows() for c in row]
    assert any(isinstance(v, str) and v.startswith("'=HYPERLINK") for v in values)
    assert not any(isinstance(v, str) and v.startswith(("=", "+", "@")) for v in values)


@pytest.mark.parametrize("query", SEARCHES)
def test_hostile_catalogue_keyword_finds_nothing_and_is_shown_escaped(
    client, personas, world_a, query
):
    client.force_login(personas.coordinator_a)
    response = client.get(reverse("participation:catalogue"), {"q": query})
    assert response.status_code == 200
    html = response.content.decode()
    assert world_a.menu.name not in html  # no wildcard, no always-true condition
    assert SCRIPT not in html
    assert IMG not in html
    assert (
        client.get(reverse("participation:catalogue")).content.decode().count(world_a.menu.name)
    )  # the menu is listed without the keyword
