"""The operator's administration (/admin/) never leads to personal data or to another
person's credentials: every admin page as the system administrator, and each way the
attack found (a role for itself, the superuser flag, another person's password)."""

from __future__ import annotations

import contextlib

import pytest
from django.contrib import admin
from django.contrib.auth.hashers import check_password
from django.test import Client
from django.urls import NoReverseMatch, reverse

from municipalities.models import Membership, Role, User
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def admin_urls(objects: dict[type, list[int]]) -> list[str]:
    """Every page of every registered model admin, for every object given."""
    urls = ["/admin/"]
    for model, _model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        for name in ("changelist", "add"):
            with contextlib.suppress(NoReverseMatch):
                urls.append(reverse("admin:{}_{}_{}".format(*info, name)))
        ids = objects.get(model) or list(model.objects.values_list("pk", flat=True)[:3])
        for pk in ids:
            for name in ("change", "delete", "history", "password"):
                with contextlib.suppress(NoReverseMatch):
                    urls.append(reverse("admin:{}_{}_{}".format(*info, name), args=[pk]))
    return urls


def test_no_admin_page_shows_a_persons_record(client, personas, world_a):
    client.force_login(personas.system_admin)
    person = world_a.person
    secrets = [person.name, person.address, person.phone_mobile, world_a.consultation.summary]
    secrets = [s for s in secrets if s]
    assert secrets
    checked = 0
    for url in admin_urls({User: [personas.caseworker_a.pk, personas.manager_a.pk]}):
        response = client.get(url)
        assert response.status_code in (200, 302, 403, 404), url
        html = response.content.decode()
        for secret in secrets:
            assert secret not in html, (url, secret)
        checked += 1
    assert checked > 20


def test_no_admin_page_sets_or_shows_another_persons_password(client, personas):
    client.force_login(personas.system_admin)
    target = personas.caseworker_a
    url = f"/admin/municipalities/user/{target.pk}/password/"
    assert client.get(url).status_code == 403
    response = client.post(
        url, {"password1": "Takeover-2026-xyz", "password2": "Takeover-2026-xyz"}
    )
    assert response.status_code == 403
    target.refresh_from_db()
    assert not check_password("Takeover-2026-xyz", target.password)
    html = client.get(reverse("admin:municipalities_user_change", args=[target.pk])).content
    assert b"pbkdf2" not in html
    assert b"argon2" not in html
    assert b"md5$" not in html


def test_the_superuser_flag_and_permissions_cannot_be_set(client, personas):
    client.force_login(personas.system_admin)
    me = personas.system_admin
    url = reverse("admin:municipalities_user_change", args=[me.pk])
    html = client.get(url).content.decode()
    assert 'name="is_superuser"' not in html
    assert 'name="user_permissions"' not in html
    assert 'name="groups"' not in html
    client.post(
        url,
        {"username": me.username, "is_superuser": "on", "is_system_admin": "", "is_active": "on"},
    )
    me.refresh_from_db()
    assert not me.is_superuser
    assert me.is_system_admin  # its own flags are read-only


def test_the_administrator_gives_itself_no_role(client, personas):
    client.force_login(personas.system_admin)
    response = client.post(
        reverse("admin:municipalities_membership_add"),
        {
            "user": personas.system_admin.pk,
            "municipality": personas.municipality_a.pk,
            "role": Role.CASEWORKER,
            "is_active": "on",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert not Membership.objects.filter(user=personas.system_admin).exists()
    # Nor to another operator account.
    other = UserFactory(username="operator_2", is_system_admin=True, is_staff=True)
    client.post(
        reverse("admin:municipalities_membership_add"),
        {
            "user": other.pk,
            "municipality": personas.municipality_a.pk,
            "role": Role.MANAGER,
            "is_active": "on",
        },
    )
    assert not Membership.objects.filter(user=other).exists()
    # Its own account page offers no roles.
    html = client.get(
        reverse("admin:municipalities_user_change", args=[personas.system_admin.pk])
    ).content.decode()
    assert "memberships-TOTAL_FORMS" not in html


def test_a_new_account_made_in_the_admin_cannot_log_in_until_its_manager_sets_a_password(
    client, personas
):
    client.force_login(personas.system_admin)
    response = client.post(
        reverse("admin:municipalities_user_add"),
        {
            "username": "new_caseworker",
            "display_name": "新人 職員",
            "email": "",
            "password1": "Chosen-by-operator-1",
            "password2": "Chosen-by-operator-1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:1000]
    user = User.objects.get(username="new_caseworker")
    assert not user.has_usable_password()
    assert not user.is_staff
    assert not user.is_superuser
    Membership.objects.create(
        user=user,
        municipality=personas.municipality_a,
        organisation=personas.caseworker_a.memberships.get().organisation,
        role=Role.CASEWORKER,
    )
    # The manager sets the first password; it is audited and the operator never knew it.
    manager = Client()
    manager.force_login(personas.manager_a)
    url = reverse("staff_set_password", args=[user.pk])
    assert manager.get(url).status_code == 200
    response = manager.post(
        url, {"new_password1": "Kaigo-Sodan-2026!", "new_password2": "Kaigo-Sodan-2026!"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert check_password("Kaigo-Sodan-2026!", user.password)
    from municipalities.models import AuditEvent

    assert AuditEvent.objects.filter(
        user=personas.manager_a, detail__security="password_set_by_manager"
    ).exists()


def test_only_a_manager_of_the_same_municipality_sets_a_staff_password(client, personas):
    url = reverse("staff_set_password", args=[personas.caseworker_a.pk])
    client.force_login(personas.caseworker_b)
    assert client.get(url).status_code in (403, 404)
    client.force_login(personas.coordinator_a)
    assert client.get(url).status_code == 404
    b_manager = MembershipFactory(municipality=personas.municipality_b, role=Role.MANAGER).user
    client.force_login(b_manager)
    assert client.get(url).status_code == 404
    client.force_login(personas.system_admin)
    assert client.get(url).status_code == 404
    client.force_login(personas.manager_a)
    response = client.post(
        reverse("staff_set_password", args=[personas.manager_a.pk]),
        {"new_password1": "Kaigo-Sodan-2026!", "new_password2": "Kaigo-Sodan-2026!"},
    )
    assert response.status_code == 302  # refused: own password on the account page
    personas.manager_a.refresh_from_db()
    assert not check_password("Kaigo-Sodan-2026!", personas.manager_a.password)


def test_a_weak_password_is_refused_with_a_japanese_message(client, personas):
    client.force_login(personas.manager_a)
    url = reverse("staff_set_password", args=[personas.caseworker_a.pk])
    response = client.post(url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "パスワード" in html
    personas.caseworker_a.refresh_from_db()
    assert not check_password("12345678", personas.caseworker_a.password)
