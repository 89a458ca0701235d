"""Write operations on staff accounts and memberships."""

from __future__ import annotations

from django.db import transaction

from municipalities.models import Membership, Municipality, Organisation, User
from municipalities.scoping import forget_membership


@transaction.atomic
def membership_assign(
    *,
    user: User,
    municipality: Municipality,
    organisation: Organisation,
    role: str,
) -> Membership:
    """Make ``role`` in ``municipality`` the user's one active membership."""
    if organisation.municipality_id != municipality.pk:
        raise ValueError("organisation belongs to another municipality")
    if user.is_system_admin:
        raise ValueError("a system administrator has no membership in a municipality")
    Membership.objects.filter(user=user, is_active=True).exclude(
        municipality=municipality, role=role, organisation=organisation
    ).update(is_active=False)
    membership, _created = Membership.objects.update_or_create(
        user=user,
        municipality=municipality,
        role=role,
        organisation=organisation,
        defaults={"is_active": True},
    )
    forget_membership(user)
    return membership
