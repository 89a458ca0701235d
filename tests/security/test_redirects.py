"""No redirect leaves the site, whatever a ``next`` parameter or a Referer says:
the login page (before and after login, and for a user already logged in), logout,
the language switcher and the admin's login."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

HOSTILE = [
    "//evil.example",
    "//evil.example/",
    "https://evil.example",
    "http://evil.example/cases/",
    "/\\evil.example",
    "\\\\evil",
    "\\/evil.example",
    "/\\/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " //evil.example",
    "\t//evil.example",
    "https:evil.example",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "%5C%5Cevil",
    "//evil.example%2F%2E%2E",
    "https://testserver@evil.example",
    "///evil.example",
    "data:text/html,<script>alert(1)</script>",
]


def assert_stays_on_site(response, where: str) -> None:
    assert response.status_code in (200, 302), (where, response.status_code)
    if response.status_code != 302:
        return
    location = response["Location"]
    # Where a browser goes: the Location resolved against the page that answered
    # (browsers also read a backslash as a slash).
    resolved = urlsplit(urljoin(response.wsgi_request.build_absolute_uri(), location))
    assert resolved.scheme in ("http", "https"), (where, location)
    assert resolved.netloc == "testserver", (where, location)
    assert not location.replace("\\", "/").lstrip().startswith("//"), (where, location)


def login(client, next_url: str):
    return client.post(
        reverse("login"),
        {"username": "caseworker_a", "password": "correct-horse-battery", "next": next_url},
    )


@pytest.mark.parametrize("target", HOSTILE)
def test_login_next_never_leaves_the_site(client, personas, target):
    response = login(client, target)
    assert response.status_code == 302  # logged in
    assert_stays_on_site(response, target)


@pytest.mark.parametrize("target", HOSTILE)
def test_login_next_in_the_query_string_never_leaves_the_site(client, personas, target):
    response = client.post(
        f"{reverse('login')}?next={target}",
        {"username": "caseworker_a", "password": "correct-horse-battery"},
    )
    assert_stays_on_site(response, target)


@pytest.mark.parametrize("target", HOSTILE)
def test_a_logged_in_user_opening_login_with_next_stays_on_site(client, personas, target):
    client.force_login(personas.caseworker_a)
    response = client.get(reverse("login"), {"next": target})
    assert_stays_on_site(response, target)


def test_login_honours_a_local_next(client, personas, world_a):
    target = f"/cases/{world_a.case.pk}/"
    response = login(client, target)
    assert response.status_code == 302
    assert response["Location"] == target


def test_the_next_field_on_the_login_page_is_escaped(client):
    html = client.get(reverse("login"), {"next": '"><script>alert(1)</script>'}).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("target", HOSTILE)
def test_logout_next_never_leaves_the_site(client, personas, target):
    client.force_login(personas.caseworker_a)
    response = client.post(reverse("logout"), {"next": target})
    assert_stays_on_site(response, target)


@pytest.mark.parametrize("target", HOSTILE)
def test_language_switch_never_leaves_the_site(client, personas, target):
    client.force_login(personas.caseworker_a)
    response = client.post(reverse("set_language"), {"language": "en", "next": target})
    assert_stays_on_site(response, target)
    response = client.post(reverse("set_language"), {"language": "ja"}, HTTP_REFERER=target)
    assert_stays_on_site(response, target)


def test_language_switch_returns_to_the_page_it_came_from(client, personas):
    client.force_login(personas.caseworker_a)
    response = client.post(reverse("set_language"), {"language": "ja", "next": "/cases/"})
    assert response.status_code == 302
    assert response["Location"] == "/cases/"


@pytest.mark.parametrize("target", HOSTILE[:8])
def test_admin_login_next_never_leaves_the_site(client, personas, target):
    response = client.post(
        reverse("admin:login"),
        {"username": "system_admin", "password": "correct-horse-battery", "next": target},
    )
    assert_stays_on_site(response, target)


def test_pages_send_an_anonymous_visitor_to_login_with_a_local_next(client, world_a):
    response = client.get(f"/cases/{world_a.case.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/cases/{world_a.case.pk}/"


@pytest.mark.parametrize("target", HOSTILE[:6])
def test_purpose_of_access_for_a_sensitive_case_returns_to_the_case(
    client, personas, world_a, target
):
    from cases.models import Case

    Case.objects.filter(pk=world_a.case.pk).update(is_sensitive=True)
    client.force_login(personas.caseworker_a)
    url = f"/cases/{world_a.case.pk}/"
    response = client.post(
        f"{url}?next={target}", {"purpose": "本人からの電話に対応するため", "next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == url
    assert_stays_on_site(response, target)
