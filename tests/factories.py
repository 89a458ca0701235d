"""factory_boy factories for the tenant and staff models."""

from __future__ import annotations

import factory

from municipalities.codes import check_digit
from municipalities.models import Membership, Municipality, Organisation, Role, User


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Municipality
        django_get_or_create = ("code",)

    # Invented codes in the 47xxx (Okinawa) range with correct check digits.
    code = factory.Sequence(
        lambda n: f"47{900 + n % 100:03d}" + check_digit(f"47{900 + n % 100:03d}")
    )
    prefecture = "沖縄県"
    name = factory.Sequence(lambda n: f"テスト市{n}")
    name_kana = "テストシ"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    municipality = factory.SubFactory(MunicipalityFactory)
    name = factory.Sequence(lambda n: f"組織{n}")
    kind = Organisation.Kind.MUNICIPALITY


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"職員 {n}")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    municipality = factory.SubFactory(MunicipalityFactory)
    organisation = factory.LazyAttribute(lambda o: OrganisationFactory(municipality=o.municipality))
    role = Role.CASEWORKER


def api_token_key(user: User, *, scope: str = "write", days: int = 90, name: str = "連携") -> str:
    """The key of a new API token of a staff account in its municipality, made directly
    (the managers' page and its service have their own tests)."""
    import datetime

    from municipalities.models import ApiToken
    from municipalities.scoping import tenant_id_for

    _token, key = ApiToken.objects.create(
        user=user,
        expiry=datetime.timedelta(days=days),
        municipality_id=tenant_id_for(user),
        name=name,
        scope=scope,
        created_by=user,
    )
    return key
