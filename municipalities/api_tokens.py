"""API tokens: a manager issues them to staff of their municipality and revokes them; the
REST API authenticates with them and keeps a read-only token to reading.

A token acts as its staff account: the same municipality, role and audit trail. It is
stored hashed (django-rest-knox, see ``ApiToken``), expires, has a scope (read only or
read and write), and a staff account may hold several (one per system). A token stops
working when it expires, when a manager revokes it, when its account is deactivated or
locked out (both revoke every token of the account) and when the account no longer
works in the token's municipality.

Kept apart from the view code: the REST framework settings name the authentication and
permission classes below, so this module must not import DRF's views.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission

from municipalities.audit import TenantMismatch
from municipalities.models import ApiToken, Role, User
from municipalities.scoping import TenantQuerySet, has_role, require_role, tenant_id_for
from municipalities.security import security_audit, staff_of_manager
from portal.errors import CaseRuleError

DEFAULT_LIFETIME_DAYS = 90
MAX_LIFETIME_DAYS = 365
# "Last used" is written at most this often per token, not on every request.
LAST_USED_PRECISION = datetime.timedelta(minutes=1)


# --- reads ------------------------------------------------------------------------------


def api_tokens_visible_to(user: Any) -> TenantQuerySet:
    """The tokens of the user's municipality, for its managers; nothing for anyone else."""
    if not has_role(user, Role.MANAGER):
        return ApiToken.objects.none()
    return ApiToken.objects.for_user(user)


def api_token_list(user: Any) -> list[ApiToken]:
    """The managers' list, newest first, with owner and issuer (one query)."""
    return list(
        api_tokens_visible_to(user).select_related("user", "created_by").order_by("-created", "-pk")
    )


def api_token_get_for_manager(user: Any, token_id: int) -> ApiToken:
    """One token of the manager's municipality; 404 for any other id."""
    token = api_tokens_visible_to(user).select_related("user").filter(pk=token_id).first()
    if token is None:
        raise Http404
    return token


# --- writes -----------------------------------------------------------------------------


def api_token_lifetime_check(days: int) -> None:
    """A token lives at least one day and at most ``MAX_LIFETIME_DAYS``."""
    if not 1 <= days <= MAX_LIFETIME_DAYS:
        raise CaseRuleError(
            gettext("A token is valid for 1 to %(max)d days.") % {"max": MAX_LIFETIME_DAYS},
            field="days",
        )


@transaction.atomic
def api_token_issue(
    *,
    manager: User,
    owner: User,
    name: str,
    scope: str,
    days: int = DEFAULT_LIFETIME_DAYS,
    request: HttpRequest | None = None,
) -> tuple[ApiToken, str]:
    """Issue a token for a staff member of the manager's municipality. Returns the row
    and the key: the key is not stored and cannot be shown again."""
    require_role(manager, Role.MANAGER)
    if not staff_of_manager(manager).filter(user=owner).exists():
        raise TenantMismatch(f"user {manager.pk} issued a token for user {owner.pk}")
    if scope not in ApiToken.Scope.values:
        raise CaseRuleError(gettext("Choose the scope of the token."), field="scope")
    api_token_lifetime_check(days)
    token, key = ApiToken.objects.create(
        user=owner,
        expiry=datetime.timedelta(days=days),
        municipality_id=tenant_id_for(manager),
        name=name,
        scope=scope,
        created_by=manager,
    )
    security_audit(
        actor=manager,
        event="api_token_issued",
        target=owner,
        request=request,
        token=token.pk,
        name=name,
        scope=scope,
        expires=token.expiry.isoformat(),
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, manager: User, token: ApiToken, request: HttpRequest | None = None) -> None:
    """A manager revokes one token of their municipality; the others stay."""
    require_role(manager, Role.MANAGER)
    if token.municipality_id != tenant_id_for(manager):
        raise TenantMismatch(f"user {manager.pk} revoked token {token.pk}")
    security_audit(
        actor=manager,
        event="api_token_revoked",
        target=token.user,
        request=request,
        token=token.pk,
        name=token.name,
    )
    token.delete()


@transaction.atomic
def api_tokens_revoke_all(*, user: User, event: str) -> int:
    """Revoke every token of the account (it was locked out or deactivated). The portal
    itself acts: the audit event, one per municipality the tokens belonged to, names no
    staff member."""
    tokens = list(ApiToken.objects.filter(user=user).values_list("pk", "municipality_id"))
    if not tokens:
        return 0
    by_municipality: dict[int, list[int]] = defaultdict(list)
    for pk, municipality_id in tokens:
        by_municipality[municipality_id].append(pk)
    ApiToken.objects.filter(pk__in=[pk for pk, _m in tokens]).delete()
    for municipality_id, pks in by_municipality.items():
        security_audit(
            actor=None,
            event=event,
            target=user,
            municipality_id=municipality_id,
            tokens=sorted(pks),
        )
    return len(tokens)


def _on_user_saved(sender: Any, instance: User, **kwargs: Any) -> None:
    """However an account is deactivated (the administration, a command, the shell), its
    tokens go with it. Authentication refuses an inactive account's token as well."""
    if not instance.is_active:
        api_tokens_revoke_all(user=instance, event="api_tokens_revoked_deactivated")


post_save.connect(
    _on_user_saved, sender=User, dispatch_uid="municipalities.api_tokens.on_user_saved"
)


# --- the REST framework's side ----------------------------------------------------------

INVALID_MESSAGE = _("The token is not valid: it is unknown, has expired or was revoked.")


class ApiTokenAuthentication(TokenAuthentication):
    """knox's token authentication (``Authorization: Token <key>``; it also deletes
    expired tokens it meets), with a Japanese message, the municipality check and the
    time of last use."""

    def authenticate_credentials(self, token: bytes) -> tuple[User, ApiToken]:
        try:
            user, auth_token = super().authenticate_credentials(token)
        except (exceptions.AuthenticationFailed, UnicodeDecodeError):
            raise exceptions.AuthenticationFailed(INVALID_MESSAGE) from None
        if tenant_id_for(user) != auth_token.municipality_id:
            # The account moved to another municipality or lost its membership.
            raise exceptions.AuthenticationFailed(INVALID_MESSAGE)
        now = timezone.now()
        if auth_token.last_used_at is None or now - auth_token.last_used_at >= (
            LAST_USED_PRECISION
        ):
            ApiToken.objects.filter(pk=auth_token.pk).update(last_used_at=now)
            auth_token.last_used_at = now
        return user, auth_token


class TokenScopeAllows(BasePermission):
    """A read-only token may only read: GET, HEAD and OPTIONS. Sessions and read-write
    tokens pass (the role checks of the services still apply)."""

    message = _("This API token is read-only: it cannot change records.")
    code = "token_read_only"

    def has_permission(self, request: Any, view: Any) -> bool:
        token = request.auth
        return (
            request.method in SAFE_METHODS or not isinstance(token, ApiToken) or token.allows_write
        )
