"""Managers look after the staff of their municipality: organisations, new accounts
(first password set by the manager), role and organisation changes, deactivation."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from municipalities import services
from municipalities.models import AuditEvent, Membership, Organisation, Role, User
from portal.errors import CaseRuleError
from tests.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "kinmokusei-no-kaori-2026"


def login(client, username, password, ip="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def organisation_of(user) -> Organisation:
    return Membership.objects.get(user=user, is_active=True).organisation


@pytest.fixture
def contractor_a(personas) -> Organisation:
    return OrganisationFactory(
        municipality=personas.municipality_a,
        name="豊中市社会福祉協議会",
        kind=Organisation.Kind.SOCIAL_WELFARE_COUNCIL,
    )


@pytest.fixture
def manager(client, personas):
    client.force_login(personas.manager_a)
    return personas.manager_a


def create(client, organisation, **fields):
    data = {
        "username": "tanaka.k",
        "display_name": "田中 恵子",
        "role": Role.CASEWORKER,
        "organisation": organisation.pk,
        **fields,
    }
    return client.post(reverse("staff_create"), data)


# --- creating an account ----------------------------------------------------------------


def test_manager_creates_an_account_sets_its_password_and_the_person_logs_in(
    client, manager, contractor_a
):
    page = client.get(reverse("staff_create")).content.decode()
    assert "職員アカウントの作成" in page
    assert "豊中市社会福祉協議会（社会福祉協議会）" in page
    response = create(client, contractor_a)
    user = User.objects.get(username="tanaka.k")
    assert response.status_code == 302
    assert response["Location"] == reverse("staff_set_password", args=[user.pk])
    assert not user.has_usable_password()
    membership = Membership.objects.get(user=user, is_active=True)
    assert (membership.role, membership.organisation) == (Role.CASEWORKER, contractor_a)
    event = AuditEvent.objects.get(detail__security="staff_account_created")
    assert event.user == manager
    assert event.municipality_id == contractor_a.municipality_id
    assert event.object_id == str(user.pk)
    assert event.detail["role"] == Role.CASEWORKER
    assert event.detail["organisation"] == contractor_a.pk

    # Without a password nobody can log in to it yet.
    assert login(Client(), "tanaka.k", "").status_code == 200
    page = client.get(response["Location"]).content.decode()
    assert "田中 恵子" in page
    listed = client.get(reverse("staff_security")).content.decode()
    assert "tanaka.k" in listed
    assert "パスワード未設定" in listed
    response = client.post(
        response["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    staff = Client()
    assert login(staff, "tanaka.k", NEW_PASSWORD).status_code == 302
    home = staff.get(reverse("profile"))
    assert home.status_code == 200
    assert "豊中市社会福祉協議会" in home.content.decode()


def test_a_new_account_gets_the_same_password_rules(client, manager, contractor_a):
    create(client, contractor_a)
    user = User.objects.get(username="tanaka.k")
    response = client.post(
        reverse("staff_set_password", args=[user.pk]),
        {"new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 400
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_a_new_multiagency_account_must_set_up_a_second_factor(client, manager, contractor_a):
    create(client, contractor_a, username="tajuso", role=Role.MULTIAGENCY)
    user = User.objects.get(username="tajuso")
    client.post(
        reverse("staff_set_password", args=[user.pk]),
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    staff = Client()
    login(staff, "tajuso", NEW_PASSWORD)
    assert staff.get(reverse("profile"))["Location"].startswith(reverse("second_factor"))


@pytest.mark.parametrize("taken", ["caseworker_a", "CaseWorker_A", "caseworker_b"])
def test_a_taken_user_name_is_refused_in_japanese(client, manager, contractor_a, taken):
    before = User.objects.count()
    response = create(client, contractor_a, username=taken)
    assert response.status_code == 400
    assert "このユーザー名は既に使われています" in response.content.decode()
    assert User.objects.count() == before


@pytest.mark.parametrize("username", ["tanaka keiko", "田中!", "x" * 151])
def test_an_invalid_user_name_is_refused(client, manager, contractor_a, username):
    response = create(client, contractor_a, username=username)
    assert response.status_code == 400
    assert 'class="field has-error"' in response.content.decode()
    assert not User.objects.filter(display_name="田中 恵子").exists()


def test_empty_fields_are_refused_each_with_its_message(client, manager):
    response = client.post(reverse("staff_create"), {})
    assert response.status_code == 400
    assert response.content.decode().count("この項目は必須です。</span>") == 4
    assert not AuditEvent.objects.filter(detail__security="staff_account_created").exists()


def test_an_organisation_of_another_municipality_is_refused(client, manager, personas):
    other = organisation_of(personas.caseworker_b)
    assert "松江" not in client.get(reverse("staff_create")).content.decode()
    response = create(client, other)
    assert response.status_code == 400
    assert not User.objects.filter(username="tanaka.k").exists()
    with pytest.raises(PermissionDenied):
        services.staff_account_create(
            manager=manager,
            username="tanaka.k",
            display_name="田中 恵子",
            role=Role.CASEWORKER,
            organisation=other,
        )
    assert not User.objects.filter(username="tanaka.k").exists()


def test_the_service_refuses_an_unknown_role(manager, contractor_a):
    with pytest.raises(CaseRuleError) as refused:
        services.staff_account_create(
            manager=manager,
            username="tanaka.k",
            display_name="田中 恵子",
            role="superuser",
            organisation=contractor_a,
        )
    assert refused.value.field == "role"


# --- who may ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["caseworker_a", "coordinator_a", "system_admin"])
def test_only_managers_reach_the_staff_pages(client, personas, persona, contractor_a):
    client.force_login(personas.all()[persona])
    assert client.get(reverse("staff_create")).status_code == 403
    assert create(client, contractor_a).status_code == 403
    assert client.get(reverse("staff_organisations")).status_code == 403
    target = personas.community_worker_a.pk
    assert client.get(reverse("staff_member", args=[target])).status_code == 404
    assert client.post(reverse("staff_deactivate", args=[target])).status_code == 404
    url = reverse("staff_organisation", args=[contractor_a.pk])
    assert client.get(url).status_code == 404
    assert not User.objects.filter(username="tanaka.k").exists()
    personas.community_worker_a.refresh_from_db()
    assert personas.community_worker_a.is_active


def test_multiagency_staff_are_not_managers_here(client, personas, contractor_a):
    tajuso = MembershipFactory(
        municipality=personas.municipality_a, role=Role.MULTIAGENCY, user__username="tajuso"
    ).user
    client.force_login(tajuso)
    assert client.get(reverse("staff_create")).status_code == 403
    assert client.get(reverse("staff_organisations")).status_code == 403


def test_another_municipalitys_staff_and_organisations_are_404(client, manager, personas):
    b = personas.caseworker_b
    for url in (
        reverse("staff_member", args=[b.pk]),
        reverse("staff_deactivate", args=[b.pk]),
        reverse("staff_organisation", args=[organisation_of(b).pk]),
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url
    b.refresh_from_db()
    assert b.is_active
    assert Membership.objects.get(user=b, is_active=True)


# --- role, organisation, deactivation ---------------------------------------------------


def test_manager_changes_a_staff_members_role_and_organisation(
    client, manager, personas, contractor_a
):
    target = personas.coordinator_a
    before = organisation_of(target)
    page = client.get(reverse("staff_member", args=[target.pk])).content.decode()
    assert "役割と所属組織" in page
    assert 'href="/audit/"' in page  # the menu is still the manager's own
    response = client.post(
        reverse("staff_member", args=[target.pk]),
        {"role": Role.MULTIAGENCY, "organisation": contractor_a.pk},
    )
    assert response.status_code == 302
    memberships = Membership.objects.filter(user=target)
    assert memberships.get(is_active=True).role == Role.MULTIAGENCY
    assert memberships.get(is_active=False).organisation == before  # kept as history
    event = AuditEvent.objects.get(detail__security="staff_membership_changed")
    assert event.user == manager
    assert event.detail["role"] == [Role.COORDINATOR, Role.MULTIAGENCY]
    assert event.detail["organisation"] == [before.pk, contractor_a.pk]


def test_a_change_to_another_municipalitys_organisation_is_refused(client, manager, personas):
    target = personas.coordinator_a
    response = client.post(
        reverse("staff_member", args=[target.pk]),
        {"role": Role.CASEWORKER, "organisation": organisation_of(personas.caseworker_b).pk},
    )
    assert response.status_code == 400
    assert Membership.objects.get(user=target, is_active=True).role == Role.COORDINATOR


def test_deactivation_ends_the_sessions_and_blocks_login(client, manager, personas):
    target = personas.caseworker_a
    staff = Client()
    assert login(staff, "caseworker_a", "correct-horse-battery").status_code == 302
    assert staff.get(reverse("profile")).status_code == 200
    from tests.factories import api_token_key

    key = api_token_key(target)
    response = client.post(reverse("staff_deactivate", args=[target.pk]))
    assert response.status_code == 302
    assert staff.get(reverse("profile"))["Location"].startswith(reverse("login"))
    assert login(Client(), "caseworker_a", "correct-horse-battery").status_code == 200
    api = Client().get("/api/cases/", HTTP_AUTHORIZATION=f"Token {key}")
    assert api.status_code == 401
    target.refresh_from_db()
    assert not target.is_active
    assert not Membership.objects.filter(user=target, is_active=True).exists()
    event = AuditEvent.objects.get(detail__security="staff_account_deactivated")
    assert event.user == manager
    assert event.object_id == str(target.pk)
    # No longer among the staff the manager looks after.
    html = client.get(reverse("staff_security")).content.decode()
    assert "caseworker_a" not in html
    assert client.get(reverse("staff_member", args=[target.pk])).status_code == 404


def test_deactivation_is_post_only(client, manager, personas):
    url = reverse("staff_deactivate", args=[personas.caseworker_a.pk])
    assert client.get(url).status_code == 405
    personas.caseworker_a.refresh_from_db()
    assert personas.caseworker_a.is_active


def test_a_manager_cannot_deactivate_or_change_themselves(client, manager):
    response = client.post(reverse("staff_deactivate", args=[manager.pk]), follow=True)
    assert "ご自身のアカウントは変更・無効化できません" in response.content.decode()
    manager.refresh_from_db()
    assert manager.is_active
    assert client.get(reverse("profile")).status_code == 200
    assert client.get(reverse("staff_member", args=[manager.pk])).status_code == 302
    with pytest.raises(CaseRuleError):
        services.staff_membership_change(
            manager=manager,
            target=manager,
            role=Role.CASEWORKER,
            organisation=organisation_of(manager),
        )
    assert not AuditEvent.objects.filter(detail__security="staff_account_deactivated").exists()


# --- organisations ----------------------------------------------------------------------


def test_the_organisations_page_lists_kind_staff_and_agency(client, manager, personas):
    from cases.models import SupportAgency

    own = organisation_of(personas.caseworker_a)
    contractor = OrganisationFactory(
        municipality=personas.municipality_a, name="地域包括の運営法人", kind="swcorp"
    )
    MembershipFactory(municipality=personas.municipality_a, organisation=contractor)
    left = MembershipFactory(municipality=personas.municipality_a, organisation=contractor)
    User.objects.filter(pk=left.user_id).update(is_active=False)
    SupportAgency.objects.create(
        municipality=personas.municipality_a,
        name="豊中市北部地域包括支援センター",
        field="elderly",
        organisation=contractor,
    )
    html = client.get(reverse("staff_organisations")).content.decode()
    table = html.split('id="organisations"')[1].split("</table>")[0]
    row = table.split("地域包括の運営法人")[1].split("</tr>")[0]
    assert "社会福祉法人" in row
    assert "委託先" in row
    assert '<td class="num">1</td>' in row  # the deactivated account does not count
    assert "豊中市北部地域包括支援センター" in row
    own_row = table.split(own.name)[1].split("</tr>")[0]
    assert "直営" in own_row
    assert organisation_of(personas.caseworker_b).name not in html


def test_manager_adds_an_organisation_with_a_unique_name(client, manager, personas):
    response = client.post(
        reverse("staff_organisations"), {"name": "NPO法人ひだまり", "kind": "npo"}
    )
    assert response.status_code == 302
    organisation = Organisation.objects.get(name="NPO法人ひだまり")
    assert organisation.municipality == personas.municipality_a
    event = AuditEvent.objects.get(object_type="municipalities.organisation")
    assert (event.user, event.action) == (manager, AuditEvent.Action.CREATE)
    response = client.post(
        reverse("staff_organisations"), {"name": "NPO法人ひだまり", "kind": "company"}
    )
    assert response.status_code == 400
    assert "この名称の組織は" in response.content.decode()
    assert client.post(reverse("staff_organisations"), {"name": "", "kind": ""}).status_code == 400
    assert Organisation.objects.filter(name="NPO法人ひだまり").count() == 1


def test_the_same_name_is_free_in_another_municipality(client, manager, personas):
    name = organisation_of(personas.caseworker_b).name
    response = client.post(reverse("staff_organisations"), {"name": name, "kind": "npo"})
    assert response.status_code == 302
    assert Organisation.objects.filter(name=name).count() == 2


def test_manager_renames_an_organisation_and_sees_its_staff(
    client, manager, personas, contractor_a
):
    MembershipFactory(
        municipality=personas.municipality_a,
        organisation=contractor_a,
        user__display_name="社協 職員",
    )
    url = reverse("staff_organisation", args=[contractor_a.pk])
    html = client.get(url).content.decode()
    assert "社協 職員" in html
    response = client.post(url, {"name": "豊中市社協", "kind": "swc"})
    assert response.status_code == 302
    contractor_a.refresh_from_db()
    assert contractor_a.name == "豊中市社協"
    event = AuditEvent.objects.get(object_type="municipalities.organisation")
    assert event.detail["changes"] == {"name": ["豊中市社会福祉協議会", "豊中市社協"]}
    taken = organisation_of(personas.caseworker_a).name
    assert client.post(url, {"name": taken, "kind": "swc"}).status_code == 400


# --- query counts -----------------------------------------------------------------------


def test_organisations_page_query_count_is_constant(
    client, manager, personas, django_assert_num_queries
):
    for i in range(5):
        organisation = OrganisationFactory(municipality=personas.municipality_a)
        MembershipFactory(
            municipality=personas.municipality_a, organisation=organisation, user__username=f"x{i}"
        )
    # session, user, membership (role), the organisations with their staff counts and
    # agency; the session's idle time saved (savepoint, update, release).
    with django_assert_num_queries(7):
        assert client.get(reverse("staff_organisations")).status_code == 200


def test_organisation_page_query_count_is_constant(
    client, manager, personas, contractor_a, django_assert_num_queries
):
    for i in range(5):
        MembershipFactory(
            municipality=personas.municipality_a, organisation=contractor_a, user__username=f"x{i}"
        )
    # session, user, membership (role), the organisation, its staff with their accounts;
    # the session saved (savepoint, update, release).
    with django_assert_num_queries(8):
        assert client.get(reverse("staff_organisation", args=[contractor_a.pk])).status_code == 200


def test_new_account_page_query_count(client, manager, personas, django_assert_num_queries):
    for _i in range(5):
        OrganisationFactory(municipality=personas.municipality_a)
    # session, user, membership (role), whether there is an organisation, the
    # organisation choices; the session saved (savepoint, update, release).
    with django_assert_num_queries(8):
        assert client.get(reverse("staff_create")).status_code == 200
