"""Account security: the second factor (TOTP), ending sessions, locked accounts (a
lockout ends the account's sessions and revokes its API tokens) and unlocking them.

A password login leaves the session *pending* when the account has a confirmed TOTP
device or must have one (managers and system administrators). Until a code is accepted
``SecondFactorMiddleware`` sends every page to the code step (or the enrolment page)
and answers session-authenticated API calls with a structured 403.

The session remembers the verified device (django-otp's session key); django-otp's own
middleware, which re-reads the device on every request, is not used: removing or
resetting a device instead ends the sessions concerned, so a verified session costs no
query per request.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Max, Sum
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from municipalities.audit import audit_write
from municipalities.models import AuditEvent, Membership, Role, User
from municipalities.scoping import has_role, tenant_id_for

logger = logging.getLogger("portal.security")

PENDING_SESSION_KEY = "second_factor_pending"


# --- who needs what ---------------------------------------------------------------------


# Roles that see every case of their municipality (the 重層 office) must use a second
# factor, as system administrators must.
ROLES_WITH_SECOND_FACTOR = (Role.MANAGER, Role.MULTIAGENCY)


def second_factor_required(user: Any) -> bool:
    """Managers, multi-agency collaboration staff and system administrators must use a
    second factor."""
    return bool(getattr(user, "is_system_admin", False)) or has_role(
        user, *ROLES_WITH_SECOND_FACTOR
    )


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def session_verified(request: HttpRequest) -> bool:
    return DEVICE_ID_SESSION_KEY in request.session


def second_factor_pending(request: HttpRequest) -> bool:
    """The session passed the password but still owes a code (or an enrolment)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or session_verified(request):
        return False
    # The flag set at login covers staff with an optional device; the role check also
    # catches an account that became a manager during the session.
    return bool(request.session.get(PENDING_SESSION_KEY)) or second_factor_required(user)


def _on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Every password login starts unverified, pending when a code will be asked."""
    if request is None or not hasattr(request, "session"):
        return
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    pending = second_factor_required(user) or confirmed_device(user) is not None
    if pending:
        request.session[PENDING_SESSION_KEY] = True
    else:
        request.session.pop(PENDING_SESSION_KEY, None)


user_logged_in.connect(_on_login, dispatch_uid="municipalities.security.on_login")


# --- audit ------------------------------------------------------------------------------

# The security events written to the audit trail, with their labels for the audit search.
SECURITY_EVENTS = {
    "second_factor_enrolled": gettext_lazy("Second factor set up"),
    "second_factor_removed": gettext_lazy("Second factor removed"),
    "second_factor_reset": gettext_lazy("Second factor reset by a manager"),
    "logout_everywhere": gettext_lazy("Logged out everywhere"),
    "account_unlocked": gettext_lazy("Locked account unlocked"),
    "password_set_by_manager": gettext_lazy("Password set by a manager"),
    "account_locked_out": gettext_lazy("Account locked out: its sessions were ended"),
    "api_token_issued": gettext_lazy("API token issued"),
    "api_token_revoked": gettext_lazy("API token revoked"),
    "api_tokens_revoked_locked_out": gettext_lazy("API tokens revoked: account locked out"),
    "api_tokens_revoked_deactivated": gettext_lazy("API tokens revoked: account deactivated"),
    "staff_account_created": gettext_lazy("Staff account created by a manager"),
    "staff_membership_changed": gettext_lazy("Role or organisation changed by a manager"),
    "staff_account_deactivated": gettext_lazy("Staff account deactivated by a manager"),
}


def security_audit(
    *,
    actor: Any,
    event: str,
    target: User | None = None,
    request: HttpRequest | None = None,
    municipality_id: int | None = None,
    **detail: Any,
) -> None:
    """An audit event for a security change, with ``detail`` beside the event's code.
    System administrators belong to no municipality (the audit trail is per
    municipality): theirs go to the security log. ``actor=None`` is the portal itself (a
    lockout, a deactivated account): the event goes to ``municipality_id``, or to the
    target's municipality, and names no staff member."""
    target = target or actor
    if actor is not None:
        municipality_id = tenant_id_for(actor)
    elif municipality_id is None:
        municipality_id = tenant_id_for(target)
    logger.info("security %s by user %s for user %s", event, getattr(actor, "pk", None), target.pk)
    if municipality_id is None:
        return
    audit_write(
        user=actor,
        municipality_id=municipality_id,
        action=AuditEvent.Action.UPDATE,
        obj=target,
        detail={"security": event, "for": target.pk, **detail},
        request=request,
    )


# --- the second factor ------------------------------------------------------------------


class CodeRejected(Exception):
    """A wrong code, or too many wrong codes in a row (then ``throttled``)."""

    def __init__(self, *, throttled: bool = False) -> None:
        super().__init__("throttled" if throttled else "wrong code")
        self.throttled = throttled


def _check_code(request: HttpRequest, device: TOTPDevice, code: str) -> None:
    """Accept the code or raise; a wrong code counts as a failed login (lockout)."""
    allowed, _info = device.verify_is_allowed()
    code = "".join(code.split())
    if allowed and code.isdigit() and device.verify_token(code):
        return
    # Throttled attempts count too: guessing fast is guessing.
    user_login_failed.send(
        sender=__name__, credentials={"username": device.user.username}, request=request
    )
    raise CodeRejected(throttled=not allowed)


def _mark_verified(request: HttpRequest, device: TOTPDevice) -> None:
    # A new session id for the now fully signed-in session.
    request.session.cycle_key()
    otp_login(request, device)
    request.session.pop(PENDING_SESSION_KEY, None)


def second_factor_verify(*, request: HttpRequest, code: str) -> None:
    """Check the code of the signed-in user's device and complete the login."""
    device = confirmed_device(request.user)
    if device is None:
        raise CodeRejected
    _check_code(request, device, code)
    _mark_verified(request, device)


def enrolment_device(user: User) -> TOTPDevice:
    """The user's device being set up (the same secret until it is confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="TOTP", confirmed=False)
    return device


@transaction.atomic
def second_factor_enrol(*, request: HttpRequest, code: str) -> TOTPDevice:
    """Confirm the device being set up with its first code; it replaces any earlier one."""
    user = request.user
    device = enrolment_device(user)
    _check_code(request, device, code)
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    _mark_verified(request, device)
    security_audit(actor=user, event="second_factor_enrolled", request=request)
    return device


@transaction.atomic
def second_factor_remove(*, request: HttpRequest, code: str) -> None:
    """Staff remove their own device, proving they hold it with a current code."""
    user = request.user
    device = confirmed_device(user)
    if device is None:
        raise CodeRejected
    _check_code(request, device, code)
    TOTPDevice.objects.filter(user=user).delete()
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    security_audit(actor=user, event="second_factor_removed", request=request)


def staff_of_manager(manager: User) -> Any:
    """Active memberships of the manager's municipality (the staff they look after)."""
    return Membership.objects.for_user(manager).filter(is_active=True)


def staff_member_get_for_manager(manager: User, user_id: int) -> Membership:
    """The active membership of one staff member of the manager's municipality; 404 for
    anyone else's id (the same answer as for an id that does not exist)."""
    membership = (
        staff_of_manager(manager)
        .filter(user_id=user_id)
        .select_related("user", "organisation")
        .first()
    )
    if membership is None:
        raise Http404
    return membership


@transaction.atomic
def second_factor_reset(*, manager: User, target: User, request: HttpRequest | None = None) -> None:
    """A manager removes a staff member's device (lost phone); the staff member's sessions
    end and they set up a new device at their next login if they must have one."""
    TOTPDevice.objects.filter(user=target).delete()
    User.objects.filter(pk=target.pk).update(session_generation=F("session_generation") + 1)
    security_audit(actor=manager, event="second_factor_reset", target=target, request=request)


@transaction.atomic
def password_set_by_manager(
    *, manager: User, target: User, password: str, request: HttpRequest | None = None
) -> None:
    """A manager sets a new password for a staff member of their municipality (forgotten
    password, or a new account's first): the staff member's sessions end, and the change
    is in the audit trail. The portal's administration cannot do this (it would let an
    operator become anyone); an operator sets a first manager's password on the server
    (``manage.py changepassword``)."""
    if not staff_of_manager(manager).filter(user=target).exists():
        raise PermissionDenied
    target.set_password(password)
    target.save(update_fields=["password"])
    User.objects.filter(pk=target.pk).update(session_generation=F("session_generation") + 1)
    security_audit(actor=manager, event="password_set_by_manager", target=target, request=request)


# --- sessions ---------------------------------------------------------------------------


@transaction.atomic
def logout_everywhere(*, request: HttpRequest) -> None:
    """End every session of the signed-in user, this one included."""
    from django.contrib.auth import logout

    user = request.user
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    security_audit(actor=user, event="logout_everywhere", request=request)
    logout(request)


# --- locked accounts --------------------------------------------------------------------


@dataclass(frozen=True)
class LockedAccount:
    user: User
    failures: int
    last_failure: datetime.datetime
    unlocks_at: datetime.datetime


def _recent_failures(usernames: Any) -> Any:
    """Failed logins per user name within the lockout period (as the lockout counts
    them), with the time of the last one."""
    from axes.models import AccessAttempt

    return (
        AccessAttempt.objects.filter(
            username__in=usernames,
            attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME,
        )
        .values("username")
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
    )


def locked_accounts(manager: User) -> list[LockedAccount]:
    """Staff of the manager's municipality whose account is locked out right now."""
    cool_off = settings.AXES_COOLOFF_TIME
    usernames = staff_of_manager(manager).values("user__username")
    rows = _recent_failures(usernames).filter(failures__gte=settings.AXES_FAILURE_LIMIT)
    by_name = {row["username"]: row for row in rows}
    if not by_name:
        return []
    users = User.objects.filter(username__in=by_name).order_by("username")
    return [
        LockedAccount(
            user=u,
            failures=by_name[u.username]["failures"],
            last_failure=by_name[u.username]["last"],
            unlocks_at=by_name[u.username]["last"] + cool_off,
        )
        for u in users
    ]


@transaction.atomic
def account_unlock(*, manager: User, target: User, request: HttpRequest | None = None) -> int:
    """Clear the failed logins of a staff member's account (not of any address)."""
    from axes.utils import reset

    removed = reset(username=target.username)
    security_audit(actor=manager, event="account_unlocked", target=target, request=request)
    return removed


@transaction.atomic
def account_locked_out(*, user: User, failures: int, request: HttpRequest | None = None) -> None:
    """The account is locked out (repeated wrong passwords or codes): its sessions end
    and its API tokens are revoked, in case whoever tried already holds one. Unlocking
    restores neither: the staff member logs in again and a manager issues new tokens."""
    from municipalities.api_tokens import api_tokens_revoke_all

    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    api_tokens_revoke_all(user=user, event="api_tokens_revoked_locked_out")
    # Every further failure while locked signals again; the event is written once.
    if failures == settings.AXES_FAILURE_LIMIT:
        security_audit(actor=None, event="account_locked_out", target=user, request=request)


def _on_locked_out(
    sender: Any, request: HttpRequest | None = None, username: str | None = None, **kwargs: Any
) -> None:
    """The lockout signal also comes when only an address is locked (failures under
    several names): act only when the account itself has reached the limit."""
    if not username:
        return
    row = _recent_failures([username]).order_by("username").first()
    if row is None or row["failures"] < settings.AXES_FAILURE_LIMIT:
        return
    user = User.objects.filter(username=username).first()
    if user is not None:
        account_locked_out(user=user, failures=row["failures"], request=request)


user_locked_out.connect(_on_locked_out, dispatch_uid="municipalities.security.on_locked_out")
