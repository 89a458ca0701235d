"""The tenant-scoping layer: the only way a view, the API or an export reaches rows
that belong to a municipality.

Every tenant-owned model carries ``municipality`` and uses ``TenantQuerySet`` as its
manager. ``for_user(user)`` keeps only the rows of the user's own municipality and
returns nothing at all for anonymous users, inactive accounts, accounts without an
active membership and system administrators (who never see personal records).
``get_for_user_or_404`` turns "not yours" and "does not exist" into the same 404, so
an outsider cannot even learn that an id exists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models
from django.http import Http404
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from portal.choices import choice_label
from portal.errors import CaseRuleError, RoleRequired

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from municipalities.models import Membership, User

_M = TypeVar("_M", bound=models.Model)

_CACHE_ATTR = "_active_membership_cache"


def active_membership(user: User | AnonymousUser | None) -> Membership | None:
    """The user's active membership (cached on the user object for the request)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if hasattr(user, _CACHE_ATTR):
        return getattr(user, _CACHE_ATTR)
    from municipalities.models import Membership

    membership = (
        Membership.objects.select_related("municipality", "organisation")
        .filter(user=user, is_active=True)
        .first()
    )
    setattr(user, _CACHE_ATTR, membership)
    return membership


def cached_municipality_id(user: Any) -> int | None:
    """The municipality of the membership already read for this request, without a query
    (None if the request did not read it). For the request log."""
    membership = getattr(user, _CACHE_ATTR, None)
    return membership.municipality_id if membership is not None else None


def forget_membership(user: Any) -> None:
    """Drop the cached membership (after a change of role or municipality)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def tenant_id_for(user: User | AnonymousUser | None) -> int | None:
    """The municipality whose rows the user may read, or None for no rows at all."""
    if user is None or getattr(user, "is_system_admin", False):
        return None
    membership = active_membership(user)
    return membership.municipality_id if membership else None


def has_role(user: User | AnonymousUser | None, *roles: str) -> bool:
    if user is None or getattr(user, "is_system_admin", False):
        return False
    membership = active_membership(user)
    return membership is not None and membership.role in roles


def require_role(user: User | AnonymousUser | None, *roles: str) -> None:
    """The role check of every service that needs one: staff of a municipality in one of
    ``roles``, or ``RoleRequired``. Pages gate on the same roles first, with
    ``municipalities.decorators.role_required``."""
    if not has_role(user, *roles):
        raise RoleRequired


class TenantQuerySet(models.QuerySet):
    """QuerySet of a model with a ``municipality`` foreign key."""

    def for_user(self, user: User | AnonymousUser | None) -> TenantQuerySet:
        municipality_id = tenant_id_for(user)
        if municipality_id is None:
            return self.none()
        return self.filter(municipality_id=municipality_id)


class TenantModel(models.Model):
    """A row that belongs to one municipality: reached through ``for_user``."""

    municipality = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field: models.Field) -> Any:
        """``get_FOO_display()`` from a table of labels per field and language."""
        return choice_label(field, getattr(self, field.attname))


def same_municipality(municipality_id: int, *objects: Any) -> None:
    """Refuse to link records of two municipalities (a programming or tampering error)."""
    for obj in objects:
        if obj is None:
            continue
        owner = getattr(obj, "municipality_id", municipality_id)
        if owner is not None and owner != municipality_id:
            raise CaseRuleError(gettext_now("The record belongs to another municipality."))


def get_for_user_or_404(
    queryset: TenantQuerySet, user: User | AnonymousUser | None, **lookups: Any
) -> Any:
    """One row of the user's municipality, or 404 whether it is missing or foreign. A
    row of their own municipality they may not see is refused with the same 404, and
    the refusal is written to the audit log (``record_refusal``)."""
    obj = queryset.for_user(user).filter(**lookups).first()
    if obj is None:
        record_refusal(queryset.model, user, lookups.get("pk"))
        raise Http404
    return obj


def record_refusal(model: type[models.Model], user: Any, pk: Any) -> None:
    """Audit an attempt to open a record of the user's own municipality that the scoped
    layer kept from them (need to know, or a role that does not read it). Records of
    other municipalities and missing ones leave no trace: there is nothing of theirs."""
    municipality_id = tenant_id_for(user)
    if municipality_id is None or pk is None:
        return
    try:
        obj = model._default_manager.filter(municipality_id=municipality_id, pk=pk).first()
    except (ValueError, TypeError):
        return
    if obj is None:
        return
    from municipalities.audit import audit_refusal

    audit_refusal(user, obj)
