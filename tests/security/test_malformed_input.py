"""Oversize and malformed input is refused with a clear message and saves nothing:
control characters (NUL included: PostgreSQL cannot store it), text beyond its length
and a 1 MB text, impossible and implausible dates, wrong JSON types, bodies that are
not JSON, a request too large to read, a roster file that is not UTF-8 or Shift_JIS.

Run these against PostgreSQL too (DATABASE_URL=postgres://...): SQLite stores NUL
and would hide a server error there.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil

import pytest
from django import forms
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework import serializers

from portal.forms import CleanTextMixin, clean_text_fields
from tests.security.test_mass_assignment import cases as api_cases

pytestmark = pytest.mark.django_db

CONTROL = ["a\x00b", "a\x01b", "a\x08b", "a\x1bb", "a\x7fb", "a\x85b", "\x00"]
BAD_DATES = ["2026-02-30", "0000-00-00", "2026-13-01", "9999-12-31", "1850-01-01", "令和8年"]
MEGABYTE_TEXT = "あ" * (1024 * 1024 // 3 + 1)  # 1 MB of UTF-8


def snapshot() -> dict[str, int]:
    return {
        m._meta.label: m._base_manager.count()
        for m in apps.get_models()
        if m._meta.label not in ("sessions.Session", "axes.AccessAttempt", "axes.AccessLog")
    }


def post_json(client, url: str, body, **extra):
    data = body if isinstance(body, str | bytes) else json.dumps(body, ensure_ascii=False)
    return client.post(url, data=data, content_type="application/json", **extra)


def assert_structured_400(response, field: str | None = None) -> None:
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"]
    assert error["message"]
    assert not error["message"].isascii(), error  # a Japanese message
    if field:
        assert field in error["fields"], error


# --- API ----------------------------------------------------------------------------

API_TEXT = [
    ("cases", "create", "name"),
    ("cases", "status", "reason"),
    ("consultations", "create", "summary"),
    ("meetings", "create", "title"),
    ("referrals", "create", "reason"),
    ("referrals", "respond", "note"),
    ("assignments", "status", "reason"),
    ("session-logs", "create", "observation"),
    ("concerns", "create", "observation"),
    ("concerns", "create", "subject_name"),
]
API_DATES = [
    ("cases", "create", "birth_date"),
    ("cases", "create", "opened_on"),
    ("consultations", "create", "occurred_at"),
    ("consultations", "create", "follow_up_on"),
    ("meetings", "create", "held_on"),
    ("session-logs", "create", "held_on"),
    ("assignments", "status", "on"),
]


def api_route(personas, world_a, world_b, client, key):
    persona, url, body, _model = api_cases(personas, world_a, world_b)[key]
    client.force_login(personas.all()[persona])
    return url, dict(body)


@pytest.mark.parametrize(("route", "action", "field"), API_TEXT)
def test_api_refuses_control_characters_and_oversize_text(
    client, personas, world_a, world_b, route, action, field
):
    url, body = api_route(personas, world_a, world_b, client, (route, action))
    before = snapshot()
    for value in [*CONTROL, "x" * 10_001, MEGABYTE_TEXT]:
        response = post_json(client, url, {**body, field: value})
        assert_structured_400(response, field)
    assert snapshot() == before


@pytest.mark.parametrize(("route", "action", "field"), API_DATES)
def test_api_refuses_impossible_and_implausible_dates(
    client, personas, world_a, world_b, route, action, field
):
    url, body = api_route(personas, world_a, world_b, client, (route, action))
    before = snapshot()
    for value in BAD_DATES:
        if field == "occurred_at":
            value = f"{value}T10:00:00+09:00"
        response = post_json(client, url, {**body, field: value})
        assert response.status_code == 400, (field, value, response.content[:300])
        assert_structured_400(response)
        assert field in response.json()["error"]["fields"], (field, value, response.json())
    assert snapshot() == before


@pytest.mark.parametrize(
    "key",
    [("cases", "create"), ("consultations", "create"), ("meetings", "create"),
     ("session-logs", "create"), ("concerns", "create")],
)  # fmt: skip
def test_api_refuses_wrong_types(client, personas, world_a, world_b, key):
    url, body = api_route(personas, world_a, world_b, client, key)
    before = snapshot()
    for name in body:
        for wrong in (123, True, None, ["x"], {"x": 1}, 1.5):
            if wrong == body[name] or (wrong is None and name in ("follow_up_on",)):
                continue
            response = post_json(client, url, {**body, name: wrong})
            assert response.status_code in (400, 404), (name, wrong, response.status_code)
            assert "error" in response.json()
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ("not json{", "application/json", 400),
        ('{"summary": "\xff"', "application/json", 400),
        (b'{"summary": "\xff\xfe"}', "application/json", 400),
        (b"\x00\x00\x00", "application/json", 400),
        ("[1, 2]", "application/json", 400),
        ('"text"', "application/json", 400),
        ("null", "application/json", 400),
        ("summary=x", "text/plain", 415),
        ("<xml/>", "application/xml", 415),
    ],
)
def test_api_refuses_bodies_that_are_not_a_json_object(
    client, personas, world_a, body, content_type, status
):
    client.force_login(personas.caseworker_a)
    before = snapshot()
    response = client.post("/api/consultations/", data=body, content_type=content_type)
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"], error
    assert not error["message"].isascii(), error
    assert snapshot() == before


def test_api_refuses_a_body_too_large_to_read_with_structured_json(client, personas, world_a):
    client.force_login(personas.caseworker_a)
    before = snapshot()
    summary = "x" * (6 * 1024 * 1024)  # beyond DATA_UPLOAD_MAX_MEMORY_SIZE
    response = post_json(
        client, "/api/consultations/", {"case": world_a.case.pk, "summary": summary}
    )
    assert_structured_400(response)
    assert response.json()["error"]["code"] == "bad_request"
    assert snapshot() == before


def test_api_query_parameters_with_control_characters_are_harmless(client, personas, world_a):
    client.force_login(personas.caseworker_a)
    for params in (
        {"status": "a\x00"},
        {"ordering": "\x00"},
        {"page": "\x00"},
        {"page_size": "\x00"},
        {"case": "\x00"},
    ):
        response = client.get("/api/cases/" if "case" not in params else "/api/consultations/",
                              params)  # fmt: skip
        assert response.status_code in (200, 400, 404), (params, response.status_code)
        assert response["Content-Type"] == "application/json"


def test_every_api_input_field_is_checked():
    """Text and dates in every input serializer go through the checked fields."""
    from portal.api import StrictCharField, StrictDateField, StrictDateTimeField

    plain = (serializers.CharField, serializers.DateField, serializers.DateTimeField)
    strict = (StrictCharField, StrictDateField, StrictDateTimeField)
    found = 0

    def check(serializer, where):
        nonlocal found
        for name, field in serializer.fields.items():
            inner = getattr(field, "child", None) or field
            if isinstance(inner, serializers.BaseSerializer):
                check(inner, f"{where}.{name}")
            elif isinstance(inner, plain) and not inner.read_only:
                found += 1
                assert isinstance(inner, strict), f"{where}.{name}"

    for module in app_modules("api"):
        for name, cls in vars(__import__(module, fromlist=["x"])).items():
            if (
                inspect.isclass(cls)
                and issubclass(cls, serializers.Serializer)
                and cls.__module__ == module
                and (name.endswith("Input") or name == "ConcernSerializer")
            ):
                check(cls(), name)
    assert found >= 20


# --- pages --------------------------------------------------------------------------


def app_modules(name: str) -> list[str]:
    """Every module called ``name`` in the apps, packages included (``cases.core.forms``)."""
    found = []
    for app in ("cases", "participation", "community", "municipalities"):
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if info.name.rsplit(".", 1)[-1] == name and ".migrations" not in info.name:
                found.append(info.name)
    assert found
    return sorted(found)


def project_forms():
    for module in (*app_modules("forms"), "municipalities.admin"):
        for name, cls in vars(__import__(module, fromlist=["x"])).items():
            if (
                inspect.isclass(cls)
                and issubclass(cls, forms.BaseForm)
                and cls.__module__ == module
            ):
                yield f"{module}.{name}", cls


def test_every_form_checks_its_text_and_dates():
    """A new form must use CleanTextMixin (or call clean_text_fields in its clean)."""
    unchecked = []
    for name, cls in project_forms():
        if issubclass(cls, CleanTextMixin):
            continue
        calls = any(
            "clean_text_fields" in getattr(klass.__dict__.get("clean"), "__code__", None).co_names
            for klass in cls.__mro__
            if "clean" in klass.__dict__ and hasattr(klass.__dict__["clean"], "__code__")
        )
        if not calls:
            unchecked.append(name)
    assert unchecked == []
    assert clean_text_fields  # the function the check looks for


def page_forms(personas, world_a):
    """(persona, url, valid data, text field, model) of the forms people type into most."""
    method = world_a.consultation.method_id
    return [
        ("caseworker_a", reverse("cases:consultation_add", args=[world_a.case.pk]),
         {"occurred_at": "2026-04-01T10:00", "method": method, "summary": "電話"},
         "summary", "cases.Consultation"),
        ("caseworker_a", reverse("cases:intake"),
         {"name": "新規 太郎", "name_kana": "シンキ タロウ", "occurred_at": "2026-04-01T10:00",
          "method": method, "route": world_a.case.route_id, "summary": "来所"},
         "summary", "cases.Person"),
        ("caseworker_a", reverse("cases:person_edit", args=[world_a.person.pk]),
         {"name": "山田 花子", "name_kana": "ヤマダ ハナコ", "address": "豊中市"},
         "address", None),
        ("community_worker_a", reverse("community:concern_add"),
         {"urgency": "normal", "observation": "見かけない", "reporter_kind": "minsei"},
         "observation", "community.Concern"),
        ("coordinator_a", reverse("participation:session_log_add", args=[world_a.assignment.pk]),
         {"held_on": "2026-04-01", "attendance": "present", "observation": "元気"},
         "observation", "participation.SessionLog"),
    ]  # fmt: skip


@pytest.mark.parametrize("index", range(5))
def test_forms_refuse_control_characters_and_oversize_text_in_japanese(
    client, personas, world_a, index
):
    persona, url, data, field, _model = page_forms(personas, world_a)[index]
    client.force_login(personas.all()[persona])
    before = snapshot()
    person = world_a.person.__class__.objects.values().get(pk=world_a.person.pk)
    for value, message in [
        *((v, "制御文字") for v in CONTROL),
        (MEGABYTE_TEXT, "文字"),
    ]:
        response = client.post(url, {**data, field: value})
        assert response.status_code == 400, (url, repr(value[:5]))
        html = response.content.decode()
        form = response.context.get("log_form") or response.context["form"]
        errors = " ".join(form.errors[field])
        assert message in errors, (url, repr(value[:5]), errors)
        assert errors in html, (url, repr(value[:5]), errors)
    assert snapshot() == before
    assert world_a.person.__class__.objects.values().get(pk=world_a.person.pk) == person


@pytest.mark.parametrize("value", ["2026-02-30", "0000-00-00", "9999-12-31", "1850-01-01", "x"])
def test_forms_refuse_impossible_and_implausible_dates_in_japanese(
    client, personas, world_a, value
):
    client.force_login(personas.coordinator_a)
    before = snapshot()
    url = reverse("participation:session_log_add", args=[world_a.assignment.pk])
    response = client.post(url, {"held_on": value, "attendance": "present"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "日付" in html, value
    client.force_login(personas.caseworker_a)
    response = client.post(
        reverse("cases:consultation_add", args=[world_a.case.pk]),
        {"occurred_at": f"{value}T10:00", "method": world_a.consultation.method_id,
         "summary": "x"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "日" in response.content.decode()
    assert snapshot() == before


def test_a_form_post_too_large_to_read_gets_a_japanese_page(client, personas, world_a):
    client.force_login(personas.caseworker_a)
    before = snapshot()
    response = client.post(
        reverse("cases:consultation_add", args=[world_a.case.pk]),
        {"summary": "x" * (6 * 1024 * 1024), "method": world_a.consultation.method_id},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "保存されていません" in html or "保存していません" in html
    assert snapshot() == before


@pytest.mark.parametrize("q", ["a\x00", "\x00", "\x1b[31m", "x" * 5000])
def test_search_with_control_characters_or_oversize_is_harmless(client, personas, world_a, q):
    client.force_login(personas.caseworker_a)
    response = client.get(reverse("cases:person_search"), {"q": q})
    assert response.status_code == 200
    assert response.context["results"] == []


@pytest.mark.parametrize("username", ["a\x00b", "\x00", "x" * 10_000, "caseworker_a\x00"])
def test_login_with_control_characters_or_oversize_is_refused(client, personas, username):
    response = client.post(reverse("login"), {"username": username, "password": "x\x00"})
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session


# --- roster upload (admin) ------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        "code,name\n131016,Müller\n".encode("latin-1"),
        "code,name\n131016,千代田区\n".encode("utf-16"),
        b"code,name\n131016,\xff\xfe\xfd\n",
        "code,name\n131016,千代田\x00区\n".encode(),
    ],
)
def test_roster_upload_that_is_not_readable_text_is_refused_in_japanese(client, personas, content):
    from municipalities.models import Municipality, ProgramParticipation, RosterImport

    client.force_login(personas.system_admin)
    response = client.post(
        reverse("admin:municipalities_rosterimport_upload"),
        {"fiscal_year": 2022, "kind": "implementation",
         "file": SimpleUploadedFile("roster.csv", content)},
    )  # fmt: skip
    assert response.status_code in (200, 302)
    html = (
        client.get(response["Location"]).content.decode()
        if response.status_code == 302
        else (response.content.decode())
    )
    assert "却下" in html or "UTF-8" in html or "制御文字" in html, html[-3000:]
    assert Municipality.objects.count() == 2
    assert not ProgramParticipation.objects.exists()
    assert not RosterImport.objects.filter(status=RosterImport.Status.APPLIED).exists()


# --- lists and repeated entries -------------------------------------------------------


def test_every_api_input_list_is_bounded():
    from portal.api import MAX_LIST

    found = 0
    for module in app_modules("api"):
        for name, cls in vars(__import__(module, fromlist=["x"])).items():
            if not (inspect.isclass(cls) and name.endswith("Input")):
                continue
            for field_name, field in cls().fields.items():
                if isinstance(field, serializers.ListField | serializers.ListSerializer):
                    found += 1
                    assert field.max_length == MAX_LIST, f"{name}.{field_name}"
    assert found >= 4


@pytest.mark.parametrize(
    ("key", "field", "item"),
    [
        (("meetings", "create"), "attendees", {"name": "田中", "secrecy_acknowledged": True}),
        (("cases", "create"), "categories", "isolation"),
        (("session-logs", "create"), "concerns", "health"),
    ],
)
def test_api_refuses_an_overlong_list_in_japanese(
    client, personas, world_a, world_b, key, field, item
):
    url, body = api_route(personas, world_a, world_b, client, key)
    before = snapshot()
    response = post_json(client, url, {**body, field: [item] * 5000})
    assert_structured_400(response, field)
    assert "100" in json.dumps(response.json(), ensure_ascii=False)
    assert snapshot() == before


def test_a_case_taken_up_twice_in_one_meeting_is_refused_not_a_server_error(
    client, personas, world_a, world_b
):
    url, body = api_route(personas, world_a, world_b, client, ("meetings", "create"))
    before = snapshot()
    response = post_json(client, url, {**body, "items": [{"case": world_a.case.pk}] * 2})
    assert_structured_400(response, "cases")
    assert snapshot() == before


def test_a_category_given_twice_is_recorded_once(client, personas, world_a, world_b):
    url, body = api_route(personas, world_a, world_b, client, ("cases", "create"))
    response = post_json(
        client,
        url,
        {**body, "categories": ["isolation", "isolation"], "primary_category": "isolation"},
    )
    assert response.status_code == 201, response.json()
    assert response.json()["categories"] == ["isolation"]


@pytest.mark.parametrize(
    "data",
    [
        {"owner": "a\x00b"},
        {"owner": "x"},
        {"name": "連携\x00"},
        {"scope": "admin"},
        {"days": "0"},
        {"days": "366"},
        {"days": "1e9"},
        {"name": ""},
    ],
)
def test_api_token_page_refuses_malformed_posts_and_changes_nothing(client, personas, data):
    from municipalities.models import ApiToken

    client.force_login(personas.manager_a)
    data = {
        "owner": personas.caseworker_a.pk,
        "name": "連携",
        "scope": "read",
        "days": "90",
        **data,
    }
    response = client.post(reverse("api_tokens"), data)
    assert response.status_code == 400
    assert "トークンは発行されていません" in response.content.decode()
    assert not ApiToken.objects.exists()
