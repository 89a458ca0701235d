"""Write operations on staff accounts, memberships and organisations.

Managers look after the staff of their own municipality: they add the organisations
staff work for (the municipality itself, or a contracted operator's agency), create
accounts, change a staff member's role or organisation and deactivate accounts. Every
change is in the audit trail; a new account has no usable password until its manager
sets the first one (``security.password_set_by_manager``).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils.translation import gettext as _

from municipalities.audit import TenantMismatch, audit_change
from municipalities.models import AuditEvent, Membership, Municipality, Organisation, Role, User
from municipalities.scoping import forget_membership, require_role, tenant_id_for
from municipalities.security import security_audit, staff_of_manager
from portal.errors import CaseRuleError


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


# --- organisations ----------------------------------------------------------------------


def _own_organisation(manager: User, organisation: Organisation) -> None:
    if organisation.municipality_id != tenant_id_for(manager):
        raise TenantMismatch(f"user {manager.pk} used organisation {organisation.pk}")


def _check_organisation(
    municipality_id: int, name: str, kind: str, *, exclude: int | None = None
) -> None:
    """A name, unique in the municipality, and one of the kinds."""
    if not name:
        raise CaseRuleError(_("Enter the organisation's name."), field="name")
    if kind not in Organisation.Kind.values:
        raise CaseRuleError(_("Choose the kind of organisation."), field="kind")
    taken = Organisation.objects.filter(municipality_id=municipality_id, name=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise CaseRuleError(
            _("An organisation with this name already exists in your municipality."),
            field="name",
        )


@transaction.atomic
def organisation_create(*, manager: User, name: str, kind: str) -> Organisation:
    """A manager adds an organisation of their municipality (names are unique in it)."""
    require_role(manager, Role.MANAGER)
    municipality_id = tenant_id_for(manager)
    name = name.strip()
    _check_organisation(municipality_id, name, kind)
    organisation = Organisation.objects.create(
        municipality_id=municipality_id, name=name, kind=kind
    )
    audit_change(manager, AuditEvent.Action.CREATE, organisation, name=name, kind=kind)
    return organisation


@transaction.atomic
def organisation_update(
    *, manager: User, organisation: Organisation, name: str, kind: str
) -> Organisation:
    """Rename an organisation of the manager's municipality or change its kind."""
    require_role(manager, Role.MANAGER)
    _own_organisation(manager, organisation)
    name = name.strip()
    _check_organisation(organisation.municipality_id, name, kind, exclude=organisation.pk)
    changes = {
        field: [getattr(organisation, field), value]
        for field, value in (("name", name), ("kind", kind))
        if getattr(organisation, field) != value
    }
    if changes:
        organisation.name, organisation.kind = name, kind
        organisation.save(update_fields=["name", "kind"])
        audit_change(manager, AuditEvent.Action.UPDATE, organisation, changes=changes)
    return organisation


# --- staff accounts ---------------------------------------------------------------------


def _valid_username(username: str) -> str:
    """Django's rules for a user name (letters, digits and @ . + - _; at most 150
    characters), case-insensitively unique across the portal: logins are typed."""
    username = User.normalize_username(username.strip())
    field = User._meta.get_field("username")
    try:
        field.run_validators(username)
    except ValidationError as exc:
        raise CaseRuleError(" ".join(exc.messages), field="username") from None
    if not username or len(username) > field.max_length:
        raise CaseRuleError(str(field.help_text), field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise CaseRuleError(_("This user name is already taken. Choose another."), field="username")
    return username


@transaction.atomic
def staff_account_create(
    *,
    manager: User,
    username: str,
    display_name: str,
    role: str,
    organisation: Organisation,
    request: HttpRequest | None = None,
) -> User:
    """A manager creates a staff account of their municipality. It has no usable
    password: the manager sets the first one (audited), and the account then follows
    the same password, lockout and second-factor rules as every other."""
    require_role(manager, Role.MANAGER)
    _own_organisation(manager, organisation)
    if role not in Role.values:
        raise CaseRuleError(_("Choose a role."), field="role")
    display_name = display_name.strip()
    if not display_name:
        raise CaseRuleError(_("Enter the staff member's name."), field="display_name")
    user = User(username=_valid_username(username), display_name=display_name)
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # the same name, created at the same moment
        raise CaseRuleError(
            _("This user name is already taken. Choose another."), field="username"
        ) from None
    membership_assign(
        user=user,
        municipality=organisation.municipality,
        organisation=organisation,
        role=role,
    )
    security_audit(
        actor=manager,
        event="staff_account_created",
        target=user,
        request=request,
        username=user.username,
        role=role,
        organisation=organisation.pk,
    )
    return user


def _staff_member(manager: User, target: User) -> Membership:
    """The target's active membership in the manager's municipality; managers act on
    other staff, never on their own account here."""
    require_role(manager, Role.MANAGER)
    membership = staff_of_manager(manager).filter(user=target).first()
    if membership is None:
        raise TenantMismatch(f"user {manager.pk} acted on user {target.pk}")
    if target.pk == manager.pk:
        raise CaseRuleError(
            _("You cannot change or deactivate your own account. Ask another manager.")
        )
    return membership


@transaction.atomic
def staff_membership_change(
    *,
    manager: User,
    target: User,
    role: str,
    organisation: Organisation,
    request: HttpRequest | None = None,
) -> Membership:
    """Give a staff member another role or organisation in the same municipality. The
    earlier membership stays as history; the new one applies from their next request
    (a role that must have a second factor asks for it then)."""
    before = _staff_member(manager, target)
    _own_organisation(manager, organisation)
    if role not in Role.values:
        raise CaseRuleError(_("Choose a role."), field="role")
    if before.role == role and before.organisation_id == organisation.pk:
        return before
    membership = membership_assign(
        user=target,
        municipality=organisation.municipality,
        organisation=organisation,
        role=role,
    )
    security_audit(
        actor=manager,
        event="staff_membership_changed",
        target=target,
        request=request,
        role=[before.role, role],
        organisation=[before.organisation_id, organisation.pk],
    )
    return membership


@transaction.atomic
def staff_account_deactivate(
    *, manager: User, target: User, request: HttpRequest | None = None
) -> None:
    """Deactivate a staff member's account: it can no longer log in, its sessions end
    and its API tokens are revoked (``api_tokens``' receiver). The account and its
    memberships stay, inactive, because the audit trail names them."""
    _staff_member(manager, target)
    User.objects.filter(pk=target.pk).update(session_generation=F("session_generation") + 1)
    target.refresh_from_db(fields=["session_generation"])
    target.is_active = False
    target.save(update_fields=["is_active"])
    Membership.objects.filter(user=target, is_active=True).update(is_active=False)
    forget_membership(target)
    security_audit(actor=manager, event="staff_account_deactivated", target=target, request=request)
