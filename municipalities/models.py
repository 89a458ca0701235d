"""Municipalities, their participation per fiscal year, staff and roles.

Every other app depends on this one for the tenant (``Municipality``) and for who a
user is inside it (``Membership``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken, AuthTokenManager
from knox.settings import CONSTANTS

from municipalities.codes import validate_local_government_code
from municipalities.scoping import TenantQuerySet
from portal.fiscal import reiwa_fiscal_year_label


class User(AbstractUser):
    """A staff account. Tenant and role come from its active ``Membership``.

    ``is_system_admin`` marks the national or prefectural operator who maintains the
    roster and staff accounts and never sees a person's record.
    """

    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    is_system_admin = models.BooleanField(
        _("system administrator"),
        default=False,
        help_text=_("Maintains the roster and staff accounts; never sees personal records."),
    )
    # Part of the session hash: raising it ends every session of the account at once
    # ("log out everywhere", a reset second factor).
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    # The fields ``str()`` reads: a list that shows staff names reads only these.
    NAME_FIELDS = ("display_name", "first_name", "last_name", "username")

    class Meta:
        verbose_name = _("staff account")
        verbose_name_plural = _("staff accounts")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @classmethod
    def from_names(cls, pk: int | None, names: Iterable[str | None]) -> User | None:
        """The account of ``pk`` holding only its ``NAME_FIELDS`` (in that order), for
        ``str()`` in a list read as values; None without a ``pk``."""
        if pk is None:
            return None
        return cls(pk=pk, **{f: v or "" for f, v in zip(cls.NAME_FIELDS, names, strict=True)})

    @classmethod
    def unnamed_fields(cls, path: str) -> tuple[str, ...]:
        """The paths through ``path`` of every column but the key and ``NAME_FIELDS``, to
        leave out of a read that shows the account by name: its password hash, its dates
        and flags are then never read for a list."""
        return tuple(
            f"{path}__{field.name}"
            for field in cls._meta.concrete_fields
            if not field.primary_key and field.name not in cls.NAME_FIELDS
        )

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """The password hash and the session generation: a session stays valid only while
        neither changes."""
        from django.utils.crypto import salted_hmac

        return salted_hmac(
            "municipalities.User.get_session_auth_hash",
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


# Closed cases are kept this long before their personal data are anonymised.
DEFAULT_CASE_RETENTION_YEARS = 5
MIN_CASE_RETENTION_YEARS = 1
MAX_CASE_RETENTION_YEARS = 30


class Municipality(models.Model):
    """A local government identified by its 全国地方公共団体コード."""

    code = models.CharField(
        _("local government code"),
        max_length=6,
        unique=True,
        validators=[validate_local_government_code],
        help_text=_("Six digits including the check digit, e.g. 131016."),
    )
    prefecture_code = models.CharField(_("prefecture code"), max_length=2, editable=False)
    prefecture = models.CharField(_("prefecture"), max_length=10)
    name = models.CharField(_("name"), max_length=50)
    name_kana = models.CharField(_("name (kana)"), max_length=100, blank=True)
    case_retention_years = models.PositiveSmallIntegerField(
        _("retention of closed cases (years)"),
        default=DEFAULT_CASE_RETENTION_YEARS,
        validators=[
            MinValueValidator(MIN_CASE_RETENTION_YEARS),
            MaxValueValidator(MAX_CASE_RETENTION_YEARS),
        ],
        help_text=_(
            "A person's personal data are anonymised once this many years have passed since "
            "their last case was closed. Statistics keep their counts."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.prefecture}{self.name}"

    def save(self, *args, **kwargs) -> None:
        self.prefecture_code = self.code[:2]
        super().save(*args, **kwargs)


class ParticipationKind(models.TextChoices):
    """How a municipality takes part in the program in one fiscal year."""

    IMPLEMENTATION = "implementation", _("Full implementation")  # 本格実施
    TRANSITION = "transition", _("Transition preparation")  # 移行準備事業
    MODEL = "model", _("Model program")  # モデル事業


class ProgramParticipation(models.Model):
    """One municipality's participation in one fiscal year (April–March).

    A later roster adds rows for its own year; earlier years stay as history.
    """

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.CASCADE,
        related_name="participations",
        verbose_name=_("municipality"),
    )
    fiscal_year = models.PositiveSmallIntegerField(
        _("fiscal year"), help_text=_("The calendar year in which the fiscal year starts.")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ParticipationKind.choices)
    roster_import = models.ForeignKey(
        "RosterImport",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="participations",
        verbose_name=_("roster import"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("program participation")
        verbose_name_plural = _("program participations")
        ordering = ["-fiscal_year", "municipality__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "fiscal_year"],
                name="participation_one_per_municipality_year",
            ),
        ]
        indexes = [
            # Roster for one fiscal year: WHERE fiscal_year = %s (the loader and statistics).
            models.Index(fields=["fiscal_year", "kind"], name="participation_year_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.municipality} {self.fiscal_year_label} {self.get_kind_display()}"

    @property
    def fiscal_year_label(self) -> str:
        return reiwa_fiscal_year_label(self.fiscal_year)


class RosterImport(models.Model):
    """One roster load (command or admin upload), kept with the rows read from the file,
    the file's SHA-256 and the report. The file's bytes are not kept."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("Previewed, not applied")
        APPLIED = "applied", _("Applied")
        REJECTED = "rejected", _("Rejected")

    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    kind = models.CharField(_("kind"), max_length=20, choices=ParticipationKind.choices)
    expected_total = models.PositiveIntegerField(_("expected total"), null=True, blank=True)
    file_name = models.CharField(_("file name"), max_length=255)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64)
    # The rows as read (``RosterFile.rows_as_json``): what the preview reported on is
    # what the confirmation applies.
    rows = models.JSONField(_("rows"), default=list, editable=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    report = models.JSONField(_("report"), default=dict)
    created_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    class Meta:
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({reiwa_fiscal_year_label(self.fiscal_year)})"


class Organisation(models.Model):
    """Who a staff member works for: the municipality itself or a contracted operator."""

    class Kind(models.TextChoices):
        MUNICIPALITY = "municipality", _("Municipality (direct)")  # 直営
        SOCIAL_WELFARE_COUNCIL = "swc", _("Social welfare council")  # 社会福祉協議会
        SOCIAL_WELFARE_CORPORATION = "swcorp", _("Social welfare corporation")  # 社会福祉法人
        NPO = "npo", _("NPO")
        COMPANY = "company", _("Company")
        OTHER = "other", _("Other contractor")

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.CASCADE,
        related_name="organisations",
        verbose_name=_("municipality"),
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["municipality", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "name"], name="organisation_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_contractor(self) -> bool:
        return self.kind != self.Kind.MUNICIPALITY


class Role(models.TextChoices):
    CASEWORKER = "caseworker", _("Caseworker")  # 相談支援員
    COORDINATOR = "coordinator", _("Participation coordinator")  # 参加支援コーディネーター
    COMMUNITY_WORKER = "community_worker", _("Community worker")  # 地域づくり担当
    MANAGER = "manager", _("Manager")  # 管理者
    # The 重層 office's 多機関協働 team: sees every case of the municipality, as managers do.
    MULTIAGENCY = "multiagency", _("Multi-agency collaboration staff")  # 多機関協働担当
    # アウトリーチ等を通じた継続的支援事業: of the 重層 office or its contracted operator.
    OUTREACH = "outreach", _("Outreach worker")  # アウトリーチ支援員


class Membership(models.Model):
    """A user's place in one municipality: role and the organisation they work for."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("municipality"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["municipality", "role", "user__username"]
        constraints = [
            # A staff account works in one municipality at a time; its tenant is unambiguous.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(is_active=True),
                name="membership_one_active_per_user",
            ),
        ]
        indexes = [
            # Staff list of one municipality: WHERE municipality_id = %s AND is_active.
            models.Index(fields=["municipality", "is_active"], name="membership_muni_active_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} / {self.municipality} / {self.get_role_display()}"

    def clean(self) -> None:
        if (
            self.organisation_id
            and self.municipality_id
            and self.organisation.municipality_id != self.municipality_id
        ):
            raise ValidationError(
                {"organisation": _("The organisation belongs to another municipality.")}
            )


class AuditEvent(models.Model):
    """One view or change of a record holding personal data. Append-only."""

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed")
        SEARCH = "search", _("Searched")
        CREATE = "create", _("Created")
        UPDATE = "update", _("Updated")
        DELETE = "delete", _("Deleted")
        EXPORT = "export", _("Exported")
        ANONYMISE = "anonymise", _("Anonymised")
        # A record of the user's own municipality they have no need to know: answered
        # with the same 404 as a missing one, and written here for the managers.
        REFUSED = "refused", _("Refused (no need to know)")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    user = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff"),
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    object_type = models.CharField(_("record type"), max_length=100, blank=True)
    object_id = models.CharField(_("record id"), max_length=40, blank=True)
    # Plain ids, not foreign keys: the log outlives and never blocks the records.
    person_id = models.BigIntegerField(_("person id"), null=True, blank=True)
    case_id = models.BigIntegerField(_("case id"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now)
    # Each event is chained, as it is written, to the previous event of its municipality:
    # its number in the municipality's chain (1, 2, 3 … without gaps) and the hash of the
    # previous event go into its own hash. Editing or deleting a row breaks the chain, and
    # the chain's head (``AuditChainHead``) is signed with a key the database does not
    # hold; ``manage.py verify_audit`` reports both (see municipalities.audit_chain).
    seq = models.BigIntegerField(_("number in the chain"), editable=False)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    hash = models.CharField(max_length=64, blank=True, editable=False)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-pk"]
        constraints = [
            # One event per place in a municipality's chain. Its index serves the chain's
            # walk (WHERE municipality_id = %s ORDER BY seq) and the event at a checkpoint
            # (WHERE municipality_id = %s AND seq = %s).
            models.UniqueConstraint(fields=["municipality", "seq"], name="audit_muni_seq_uniq"),
        ]
        indexes = [
            # Audit trail of one case: WHERE municipality_id = %s AND case_id = %s ORDER BY at.
            models.Index(fields=["municipality", "case_id", "at"], name="audit_muni_case_at_idx"),
            # Audit trail of one person: WHERE municipality_id = %s AND person_id = %s.
            models.Index(
                fields=["municipality", "person_id", "at"], name="audit_muni_person_at_idx"
            ),
            # Audit search, newest first: WHERE municipality_id = %s [AND at BETWEEN %s
            # AND %s] ORDER BY at DESC, id DESC.
            models.Index(fields=["municipality", "at"], name="audit_muni_at_idx"),
            # Audit search by staff member: WHERE municipality_id = %s AND user_id = %s
            # ORDER BY at DESC.
            models.Index(fields=["municipality", "user", "at"], name="audit_muni_user_at_idx"),
            # Audit search by action (e.g. every export): WHERE municipality_id = %s AND
            # action = %s ORDER BY at DESC.
            models.Index(fields=["municipality", "action", "at"], name="audit_muni_action_at_idx"),
        ]

    def __str__(self) -> str:
        record = f"{self.object_type}#{self.object_id}"
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action} {record}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("audit events are append-only")

    def compute_hash(self) -> str:
        """SHA-256 over the event's place in the chain, the previous hash and its content,
        in one canonical JSON form: what the database gives back hashes the same as what
        was written (times in UTC, integral numbers in ``detail`` as integers, as
        PostgreSQL's jsonb returns them)."""
        import datetime
        import hashlib
        import json

        at = self.at.astimezone(datetime.UTC).isoformat() if self.at else None
        payload = json.dumps(
            [
                self.seq,
                self.prev_hash,
                self.municipality_id,
                self.user_id,
                self.action,
                self.object_type,
                self.object_id,
                self.person_id,
                self.case_id,
                canonical_json_value(self.detail),
                self.ip_address,
                at,
            ],
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
            allow_nan=False,
        )
        return hashlib.sha256(payload.encode()).hexdigest()


class ApiTokenManager(AuthTokenManager.from_queryset(TenantQuerySet)):  # type: ignore[misc]
    """knox's manager (``create`` returns the row and the key, which is never stored)
    with the tenant scoping of ``TenantQuerySet``."""


class ApiToken(AbstractAuthToken):
    """An API token: it acts as its staff account (same municipality, role and audit
    trail) until it expires or is revoked.

    Hashed at rest by django-rest-knox: ``digest`` is SHA-512 of a 256-bit random key;
    only its first 15 characters (``token_key``) are kept in clear, to find the row. The
    key itself is shown once, when the token is issued. Revoking deletes the row."""

    class Scope(models.TextChoices):
        READ = "read", _("Read only")
        WRITE = "write", _("Read and write")

    id = models.BigAutoField(primary_key=True)
    # knox makes the digest the primary key; an integer id keeps it out of URLs and logs.
    digest = models.CharField(max_length=CONSTANTS.DIGEST_LENGTH, unique=True)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    name = models.CharField(_("name or purpose"), max_length=100)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("issued by")
    )
    # Every token expires (knox allows none).
    expiry = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    objects = ApiTokenManager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=["read", "write"]), name="apitoken_scope_known"
            ),
        ]
        indexes = [
            # The managers' token list: WHERE municipality_id = %s ORDER BY created DESC.
            models.Index(fields=["municipality", "created"], name="apitoken_muni_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @property
    def allows_write(self) -> bool:
        return self.scope == self.Scope.WRITE


def canonical_json_value(value: object) -> object:
    """``value`` as JSON gives it back whatever stored it: integral floats as integers
    (PostgreSQL's jsonb returns ``1e+20`` as ``100000000000000000000``)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: canonical_json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [canonical_json_value(item) for item in value]
    return value


class AuditChainHead(models.Model):
    """The end of one municipality's audit chain: the number and hash of its newest event,
    and an HMAC of both with a key from the environment that the database does not hold.

    Every audit write of the municipality moves it on in the writer's transaction (the
    row lock gives events consecutive numbers), so deleting the newest events leaves the
    head ahead of them, and re-hashing the chain cannot re-sign it. ``checkpoint_seq`` is
    where the checkpoint task last wrote the head out of the database."""

    municipality = models.OneToOneField(
        Municipality,
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="+",
        verbose_name=_("municipality"),
    )
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, blank=True)
    mac = models.CharField(max_length=64, blank=True)
    checkpoint_seq = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain heads")

    def __str__(self) -> str:
        return f"{self.municipality_id} #{self.seq}"
