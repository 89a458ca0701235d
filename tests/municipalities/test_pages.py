"""Login, logout, home pages per role, language, health check."""

from __future__ import annotations

import pytest
from django.urls import reverse

from municipalities.models import Organisation

pytestmark = pytest.mark.django_db


def test_login_page_is_japanese(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="ja"' in html
    assert "ログイン" in html
    assert "パスワード" in html


def test_login_with_wrong_password_shows_a_japanese_message(client, personas):
    response = client.post(reverse("login"), {"username": "caseworker_a", "password": "wrong"})
    assert response.status_code == 200
    assert "正しいユーザー名とパスワードを入力してください" in response.content.decode()


def test_login_rotates_the_session_and_lands_on_home(client, personas):
    client.get(reverse("login"))
    before = client.cookies.get("sessionid")
    response = client.post(
        reverse("login"), {"username": "caseworker_a", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.cookies["sessionid"].value != (before.value if before else None)


def test_login_ignores_an_open_redirect(client, personas):
    response = client.post(
        reverse("login") + "?next=https://evil.example/",
        {
            "username": "caseworker_a",
            "password": "correct-horse-battery",
            "next": "https://evil.example/",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_home_requires_login(client):
    response = client.get(reverse("profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("persona", "role_label"),
    [
        ("caseworker_a", "相談支援員"),
        ("coordinator_a", "参加支援コーディネーター"),
        ("community_worker_a", "地域づくり担当"),
        ("manager_a", "管理者"),
    ],
)
def test_home_shows_municipality_role_and_organisation(client, personas, persona, role_label):
    user = personas.all()[persona]
    client.force_login(user)
    response = client.get(reverse("profile"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "大阪府豊中市" in html
    assert role_label in html
    assert user.memberships.get().organisation.name in html
    assert "松江市" not in html  # nothing of municipality B


def test_contracted_operator_is_named_as_such(client, personas):
    organisation = personas.caseworker_a.memberships.get().organisation
    organisation.kind = Organisation.Kind.SOCIAL_WELFARE_COUNCIL
    organisation.name = "豊中市社会福祉協議会"
    organisation.save()
    client.force_login(personas.caseworker_a)
    html = client.get(reverse("profile")).content.decode()
    assert "豊中市社会福祉協議会" in html
    assert "委託先" in html


def test_home_lists_only_own_staff(client, personas):
    client.force_login(personas.manager_a)
    html = client.get(reverse("profile")).content.decode()
    assert "caseworker_b" not in html
    assert personas.caseworker_b.display_name not in html
    assert personas.coordinator_a.display_name in html


def test_home_query_count_does_not_grow_with_staff(client, personas, django_assert_num_queries):
    from tests.factories import MembershipFactory

    client.force_login(personas.manager_a)
    client.get(reverse("profile"))
    # session, user, membership (+municipality, organisation), participation,
    # colleagues (+user, organisation), staff count
    with django_assert_num_queries(6):
        client.get(reverse("profile"))
    MembershipFactory.create_batch(10, municipality=personas.municipality_a)
    with django_assert_num_queries(6):
        client.get(reverse("profile"))


def test_system_admin_home_has_roster_and_no_personal_data(client, personas, fy2022_roster):
    client.force_login(personas.system_admin)
    response = client.get(reverse("profile"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "令和4年度" in html
    assert "133" in html
    assert "システム管理者" in html


def test_user_without_membership_is_told_so(client, django_user_model):
    user = django_user_model.objects.create_user("orphan", password="x" * 12)
    client.force_login(user)
    response = client.get(reverse("profile"))
    assert response.status_code == 403
    assert "自治体が割り当てられていません" in response.content.decode()


def test_logout_requires_post_and_ends_the_session(client, personas):
    client.force_login(personas.caseworker_a)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("profile")).status_code == 302


def test_english_is_available(client, personas):
    client.force_login(personas.caseworker_a)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("profile")).content.decode()
    assert 'lang="en"' in html
    assert "Caseworker" in html


def test_readiness_reports_the_database(client):
    response = client.get(reverse("readyz"))
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_an_english_browser_still_gets_japanese_until_the_user_switches(client):
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="ja"' in html
    assert "ログイン" in html
    client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert 'lang="en"' in html
    assert "Log in" in html
