"""The tenant-scoping layer: a user of one municipality never gets another's rows."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from municipalities.models import Membership, Organisation, Role
from municipalities.scoping import active_membership, get_for_user_or_404, has_role, tenant_id_for
from municipalities.services import membership_assign
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def test_for_user_returns_only_the_users_municipality(personas):
    OrganisationFactory.create_batch(3, municipality=personas.municipality_b)
    visible = Organisation.objects.for_user(personas.caseworker_a)
    assert visible.exists()
    assert set(visible.values_list("municipality_id", flat=True)) == {personas.municipality_a.pk}
    other = Organisation.objects.for_user(personas.caseworker_b)
    assert set(other.values_list("municipality_id", flat=True)) == {personas.municipality_b.pk}


@pytest.mark.parametrize("who", ["system_admin", "anonymous", "inactive", "no_membership"])
def test_for_user_returns_nothing_without_a_tenant(personas, who, django_user_model):
    if who == "system_admin":
        user = personas.system_admin
    elif who == "anonymous":
        user = AnonymousUser()
    elif who == "inactive":
        user = personas.caseworker_a
        user.is_active = False
    else:
        user = django_user_model.objects.create_user("lonely", password="x" * 12)
    assert tenant_id_for(user) is None
    assert not Organisation.objects.for_user(user).exists()
    assert not Membership.objects.for_user(user).exists()


def test_get_for_user_or_404_hides_other_municipalities_rows(personas):
    foreign = OrganisationFactory(municipality=personas.municipality_b)
    own = OrganisationFactory(municipality=personas.municipality_a)
    assert get_for_user_or_404(Organisation.objects, personas.caseworker_a, pk=own.pk) == own
    with pytest.raises(Http404):
        get_for_user_or_404(Organisation.objects, personas.caseworker_a, pk=foreign.pk)
    with pytest.raises(Http404):
        get_for_user_or_404(Organisation.objects, personas.caseworker_a, pk=10**9)
    with pytest.raises(Http404):
        get_for_user_or_404(Organisation.objects, personas.system_admin, pk=own.pk)


def test_inactive_membership_grants_nothing(personas):
    Membership.objects.filter(user=personas.caseworker_a).update(is_active=False)
    user = type(personas.caseworker_a).objects.get(pk=personas.caseworker_a.pk)
    assert active_membership(user) is None
    assert not Organisation.objects.for_user(user).exists()


def test_moving_a_user_to_another_municipality_moves_their_scope(personas):
    user = personas.caseworker_a
    assert tenant_id_for(user) == personas.municipality_a.pk
    organisation = OrganisationFactory(municipality=personas.municipality_b)
    membership_assign(
        user=user,
        municipality=personas.municipality_b,
        organisation=organisation,
        role=Role.MANAGER,
    )
    assert tenant_id_for(user) == personas.municipality_b.pk
    assert has_role(user, Role.MANAGER)
    assert not has_role(user, Role.CASEWORKER)
    assert Membership.objects.filter(user=user, is_active=True).count() == 1


def test_membership_cannot_name_another_municipalitys_organisation(personas):
    foreign = OrganisationFactory(municipality=personas.municipality_b)
    with pytest.raises(ValueError, match="another municipality"):
        membership_assign(
            user=personas.coordinator_a,
            municipality=personas.municipality_a,
            organisation=foreign,
            role=Role.COORDINATOR,
        )


def test_system_admin_has_no_role_in_any_municipality(personas):
    assert not has_role(personas.system_admin, *Role.values)
    with pytest.raises(ValueError, match="system administrator"):
        membership_assign(
            user=personas.system_admin,
            municipality=personas.municipality_a,
            organisation=OrganisationFactory(municipality=personas.municipality_a),
            role=Role.MANAGER,
        )


def test_membership_lookup_is_cached_per_user_object(personas, django_assert_num_queries):
    user = type(personas.caseworker_a).objects.get(pk=personas.caseworker_a.pk)
    with django_assert_num_queries(1):
        tenant_id_for(user)
        tenant_id_for(user)
        has_role(user, Role.CASEWORKER)
