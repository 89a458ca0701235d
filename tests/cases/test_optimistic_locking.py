"""Optimistic locking: of two edits based on the same version, the second is told the
record changed and nothing of it is saved; the first one's data survive."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from cases.core import services as core_services
from cases.models import Case, ContactRoute, IssueCategory, Person
from portal.errors import RecordChanged
from tests.worlds import master

pytestmark = pytest.mark.django_db

CONFLICT = "この記録は他の職員によって更新されています"


def form_data(response) -> dict:
    """What the browser would send back for the form as it was rendered."""
    form = response.context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if isinstance(value, list | tuple):
            data[name] = [getattr(v, "pk", v) for v in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = getattr(value, "pk", value)
    return data


def two_clients(user) -> tuple[Client, Client]:
    first, second = Client(), Client()
    first.force_login(user)
    second.force_login(user)
    return first, second


def test_second_case_edit_is_refused_and_the_first_survives(personas, world_a):
    url = reverse("cases:case_edit", args=[world_a.case.pk])
    version = Case.objects.get(pk=world_a.case.pk).version
    first, second = two_clients(personas.caseworker_a)
    data_1 = form_data(first.get(url))
    data_2 = form_data(second.get(url))
    assert data_1["version"] == data_2["version"] == version

    data_1["route"] = master(ContactRoute, "self").pk
    assert first.post(url, data_1).status_code == 302

    data_2["route"] = master(ContactRoute, "family").pk
    data_2["is_sensitive"] = "on"
    response = second.post(url, data_2)
    assert response.status_code == 409
    html = response.content.decode()
    assert CONFLICT in html
    # The form now shows what is stored, with the new version to base a retry on.
    form = response.context["form"]
    assert form.initial["route"].code == "self"
    assert form.initial["version"] == version + 1
    case = Case.objects.get(pk=world_a.case.pk)
    assert case.route.code == "self"
    assert not case.is_sensitive
    assert case.version == version + 1

    # Resubmitting from the refreshed form works.
    retry = form_data(response)
    retry["is_sensitive"] = "on"
    assert second.post(url, retry).status_code == 302
    assert Case.objects.get(pk=world_a.case.pk).is_sensitive


def test_a_status_change_makes_an_open_edit_form_stale(personas, world_a, client):
    client.force_login(personas.caseworker_a)
    url = reverse("cases:case_edit", args=[world_a.case.pk])
    data = form_data(client.get(url))
    core_services.case_change_status(
        user=personas.manager_a, case=world_a.case, to_status="support", reason=""
    )
    data["is_sensitive"] = "on"
    assert client.post(url, data).status_code == 409
    assert not Case.objects.get(pk=world_a.case.pk).is_sensitive


def test_second_person_edit_is_refused_and_the_first_survives(personas, world_a):
    url = reverse("cases:person_edit", args=[world_a.person.pk])
    first, second = two_clients(personas.caseworker_a)
    data_1 = form_data(first.get(url))
    data_2 = form_data(second.get(url))
    data_1["address"] = "豊中市本町1-1"
    assert first.post(url, data_1).status_code == 302
    data_2["phone_home"] = "06-0000-0000"
    response = second.post(url, data_2)
    assert response.status_code == 409
    assert CONFLICT in response.content.decode()
    assert response.context["form"].initial["version"] == 2
    person = Person.objects.get(pk=world_a.person.pk)
    assert person.address == "豊中市本町1-1"
    assert person.phone_home == ""


def test_second_amendment_of_a_consultation_is_refused(personas, world_a):
    url = reverse("cases:consultation_edit", args=[world_a.consultation.pk])
    first, second = two_clients(personas.caseworker_a)
    data_1 = form_data(first.get(url))
    data_2 = form_data(second.get(url))
    data_1["summary"] = "一人目の追記"
    assert first.post(url, data_1).status_code == 302
    data_2["summary"] = "二人目の追記"
    response = second.post(url, data_2)
    assert response.status_code == 409
    assert CONFLICT in response.content.decode()
    assert response.context["form"].initial["summary"] == "一人目の追記"
    world_a.consultation.refresh_from_db()
    assert world_a.consultation.summary == "一人目の追記"


def test_a_form_without_its_version_is_refused(personas, world_a, client):
    client.force_login(personas.caseworker_a)
    url = reverse("cases:case_edit", args=[world_a.case.pk])
    data = form_data(client.get(url))
    del data["version"]
    data["is_sensitive"] = "on"
    assert client.post(url, data).status_code == 400
    assert not Case.objects.get(pk=world_a.case.pk).is_sensitive


# --- API ---------------------------------------------------------------------------------


def test_api_patch_with_a_stale_version_is_409(personas, world_a, client):
    client.force_login(personas.caseworker_a)
    url = f"/api/cases/{world_a.case.pk}/"
    version = client.get(url).json()["version"]
    first = client.patch(
        url, {"version": version, "categories": ["p8050"]}, content_type="application/json"
    )
    assert first.status_code == 200, first.json()
    assert first.json()["version"] == version + 1
    assert first.json()["categories"] == ["p8050"]

    second = client.patch(
        url, {"version": version, "is_sensitive": True}, content_type="application/json"
    )
    assert second.status_code == 409
    error = second.json()["error"]
    assert error["code"] == "conflict"
    assert CONFLICT in error["message"]
    assert error["fields"] == {"version": [error["message"]]}
    assert error["current_version"] == version + 1
    case = Case.objects.get(pk=world_a.case.pk)
    assert not case.is_sensitive
    assert [c.category.code for c in case.case_categories.all()] == ["p8050"]


def test_api_patch_without_a_version_is_refused(personas, world_a, client):
    client.force_login(personas.caseworker_a)
    response = client.patch(
        f"/api/cases/{world_a.case.pk}/", {"is_sensitive": True}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "version" in response.json()["error"]["fields"]
    assert not Case.objects.get(pk=world_a.case.pk).is_sensitive


def test_api_patch_of_another_municipality_case_is_404(personas, world_a, world_b, client):
    client.force_login(personas.caseworker_a)
    response = client.patch(
        f"/api/cases/{world_b.case.pk}/",
        {"version": 1, "is_sensitive": True},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_api_patch_keeps_fields_left_out_and_checks_the_caseworker(personas, world_a, client):
    client.force_login(personas.caseworker_a)
    url = f"/api/cases/{world_a.case.pk}/"
    before = client.get(url).json()
    response = client.patch(
        url,
        {"version": before["version"], "assigned_to": personas.caseworker_b.pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "rule_violation"
    response = client.patch(
        url, {"version": before["version"], "route": "self"}, content_type="application/json"
    )
    after = response.json()
    assert after["route"] == "self"
    assert after["categories"] == before["categories"]
    assert after["assigned_to"] == before["assigned_to"]


def test_api_person_patch_with_a_stale_version_is_409(personas, world_a, client):
    client.force_login(personas.caseworker_a)
    url = f"/api/persons/{world_a.person.pk}/"
    version = client.get(url).json()["version"]
    first = client.patch(
        url,
        {"version": version, "address": "豊中市本町1-1", "name_kana": "やまだ はなこ"},
        content_type="application/json",
    )
    assert first.status_code == 200, first.json()
    assert first.json()["version"] == version + 1
    assert first.json()["name_kana"] == "ヤマダ ハナコ"
    second = client.patch(
        url, {"version": version, "phone_home": "06-0000-0000"}, content_type="application/json"
    )
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "conflict"
    person = Person.objects.get(pk=world_a.person.pk)
    assert person.address == "豊中市本町1-1"
    assert person.phone_home == ""


def test_api_person_patch_validates_like_the_form(personas, world_a, client):
    client.force_login(personas.caseworker_a)
    url = f"/api/persons/{world_a.person.pk}/"
    bodies = [
        # The reading's rule is the person service's (as for the page): a rule violation.
        ({"version": 1, "name_kana": "Yamada"}, "rule_violation"),
        ({"version": 1, "email": "not-an-address"}, "invalid"),
        ({"version": 1, "name": " "}, "invalid"),
        ({"version": 1, "birth_date": "1850-01-01"}, "invalid"),
        ({"name": "山田 花"}, "invalid"),  # no version
    ]
    for body, code in bodies:
        response = client.patch(url, body, content_type="application/json")
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == code, body
    assert Person.objects.get(pk=world_a.person.pk).version == 1


# --- two transactions at once (PostgreSQL) -------------------------------------------------


# serialized_rollback like every transactional test here: a flush without it re-creates
# the content types with new ids, and the next serialized test then fails to restore.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_updates_of_one_version_save_exactly_one(personas, world_a):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    case = world_a.case
    version = Case.objects.get(pk=case.pk).version
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def edit(category_code: str) -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait(timeout=10)
            core_services.case_update(
                user=personas.caseworker_a,
                case=Case.objects.get(pk=case.pk),
                version=version,
                route=master(ContactRoute, "minsei"),
                categories=[master(IssueCategory, category_code)],
                primary_category=None,
                assigned_to=personas.caseworker_a,
                agencies=[],
                is_sensitive=False,
            )
            outcomes.append(category_code)
        except RecordChanged:
            outcomes.append("conflict")
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=edit, args=(code,)) for code in ("care", "p8050")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes).count("conflict") == 1
    [saved] = [o for o in outcomes if o != "conflict"]
    stored = Case.objects.get(pk=case.pk)
    assert stored.version == version + 1
    assert [c.category.code for c in stored.case_categories.all()] == [saved]
