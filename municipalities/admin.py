"""Django admin for system administrators: roster, municipalities, staff accounts.

Only superusers and system administrators reach it. Personal records are never
registered here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from municipalities.models import (
    Membership,
    Municipality,
    Organisation,
    ParticipationKind,
    ProgramParticipation,
    RosterImport,
    User,
)
from municipalities.roster import roster_preview, roster_preview_apply
from municipalities.roster_files import RosterFileError, roster_check_upload, roster_read
from portal.errors import CaseRuleError
from portal.fiscal import fiscal_year_of
from portal.forms import CleanTextMixin


def is_roster_admin(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and (user.is_superuser or getattr(user, "is_system_admin", False)))


class SystemAdminOnly:
    """Full rights for superusers and system administrators, none for anyone else."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_roster_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_roster_admin(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return is_roster_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_roster_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_roster_admin(request)


class ParticipationInline(SystemAdminOnly, admin.TabularInline):
    model = ProgramParticipation
    extra = 0
    fields = ("fiscal_year", "kind", "roster_import")
    readonly_fields = ("roster_import",)


@admin.register(Municipality)
class MunicipalityAdmin(SystemAdminOnly, admin.ModelAdmin):
    list_display = ("code", "prefecture", "name", "name_kana", "case_retention_years")
    list_filter = ("prefecture", "participations__fiscal_year")
    search_fields = ("code", "name", "name_kana", "prefecture")
    inlines = [ParticipationInline]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A municipality leaves the program by its participation ending; its row stays.
        # (Django's delete confirmation would list every record that points at it,
        # persons' names included.)
        return False


@admin.register(ProgramParticipation)
class ProgramParticipationAdmin(SystemAdminOnly, admin.ModelAdmin):
    list_display = ("municipality", "fiscal_year", "kind", "roster_import")
    list_filter = ("fiscal_year", "kind")
    list_select_related = ("municipality", "roster_import")
    search_fields = ("municipality__name", "municipality__code")


def _declared_size(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _upload_limit_with_form() -> int:
    """The largest request body an allowed file and the other fields can make."""
    return settings.ROSTER_UPLOAD_MAX_BYTES + 64 * 1024


class RosterUploadForm(CleanTextMixin, forms.Form):
    file = forms.FileField(
        label=_("Roster file"),
        help_text=_(
            "CSV (UTF-8 or Shift_JIS), TSV, Excel (.xlsx) or JSON; first row names the columns."
        ),
    )
    fiscal_year = forms.IntegerField(
        label=_("Fiscal year"),
        min_value=1999,
        max_value=2100,
        help_text=_("The calendar year in which the fiscal year starts (2022 = 令和4年度)."),
    )
    kind = forms.ChoiceField(
        label=_("Kind of participation"),
        choices=ParticipationKind.choices,
        initial=ParticipationKind.IMPLEMENTATION,
        help_text=_("Used for rows without a kind column."),
    )
    expected_total = forms.IntegerField(
        label=_("Expected number of municipalities"), min_value=1, required=False
    )

    def clean_file(self) -> Any:
        """The file read into rows (a ``RosterFile``), or the reason it is refused: not a
        roster format, or past a limit. The bytes stay in memory, never in a file on the
        server, and are not kept once read."""
        upload = self.cleaned_data["file"]
        if upload.size > settings.ROSTER_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is too large (at most %(max)d bytes)."),
                params={"max": settings.ROSTER_UPLOAD_MAX_BYTES},
            )
        content = upload.read()
        try:
            roster_check_upload(content, upload.name)
            return roster_read(content, upload.name)
        except RosterFileError as exc:
            raise forms.ValidationError(str(exc)) from exc


@admin.register(RosterImport)
class RosterImportAdmin(SystemAdminOnly, admin.ModelAdmin):
    list_display = ("created_at", "file_name", "fiscal_year", "status", "created_by", "applied_at")
    list_filter = ("status", "fiscal_year")
    list_select_related = ("created_by",)
    readonly_fields = (
        "fiscal_year",
        "kind",
        "expected_total",
        "file_name",
        "file_sha256",
        "status",
        "report",
        "created_by",
        "created_at",
        "applied_at",
    )
    exclude = ("rows",)  # the report shows them

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # through the upload view, which previews first

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path("upload/", wrap(self.upload_view), name="municipalities_rosterimport_upload"),
            path(
                "<int:pk>/preview/",
                wrap(self.preview_view),
                name="municipalities_rosterimport_preview",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        extra_context = {
            **(extra_context or {}),
            "upload_url": reverse("admin:municipalities_rosterimport_upload"),
        }
        return super().changelist_view(request, extra_context)

    def _check(self, request: HttpRequest) -> None:
        if not is_roster_admin(request):
            raise PermissionDenied

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        """Step 1: upload; the file is checked without changing anything."""
        self._check(request)
        if request.method == "POST" and _declared_size(request) > _upload_limit_with_form():
            # Refused before the body is read: nothing is parsed or spooled to disk.
            form = RosterUploadForm(initial={"fiscal_year": fiscal_year_of(timezone.localdate())})
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("Import a roster"),
                "form": form,
                "upload_error": _("The file is too large (at most %(max)d bytes).")
                % {"max": settings.ROSTER_UPLOAD_MAX_BYTES},
            }
            return TemplateResponse(
                request, "admin/municipalities/rosterimport/upload.html", context, status=413
            )
        if request.method == "POST":
            form = RosterUploadForm(request.POST, request.FILES)
            if form.is_valid():
                record = roster_preview(
                    roster=form.cleaned_data["file"],
                    fiscal_year=form.cleaned_data["fiscal_year"],
                    kind=form.cleaned_data["kind"],
                    expected_total=form.cleaned_data["expected_total"],
                    user=request.user,
                )
                return HttpResponseRedirect(
                    reverse("admin:municipalities_rosterimport_preview", args=[record.pk])
                )
        else:
            form = RosterUploadForm(initial={"fiscal_year": fiscal_year_of(timezone.localdate())})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import a roster"),
            "form": form,
        }
        return TemplateResponse(request, "admin/municipalities/rosterimport/upload.html", context)

    def preview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Step 2: the report; confirming applies the previewed rows in one transaction."""
        self._check(request)
        record = get_object_or_404(RosterImport, pk=pk)
        if request.method == "POST" and record.status == RosterImport.Status.PREVIEWED:
            try:
                report = roster_preview_apply(
                    pk=record.pk,
                    file_sha256=request.POST.get("file_sha256", ""),
                    user=request.user,
                )
            except CaseRuleError as exc:
                messages.error(request, exc.message)
                return HttpResponseRedirect(request.path)
            if report.ok:
                messages.success(request, _("The roster was applied."))
            else:
                messages.error(request, _("The roster was rejected; nothing was changed."))
            return HttpResponseRedirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Roster import report"),
            "record": record,
            "report": record.report,
            "can_apply": record.status == RosterImport.Status.PREVIEWED,
        }
        return TemplateResponse(request, "admin/municipalities/rosterimport/preview.html", context)


class OrganisationAdmin(SystemAdminOnly, admin.ModelAdmin):
    list_display = ("name", "kind", "municipality")
    list_filter = ("kind",)
    list_select_related = ("municipality",)
    search_fields = ("name", "municipality__name")
    autocomplete_fields = ("municipality",)


admin.site.register(Organisation, OrganisationAdmin)


def _may_hold_a_membership(user: User) -> bool:
    """Personal-data roles are never given to an operator account."""
    return not (user.is_superuser or user.is_system_admin)


class MembershipForm(CleanTextMixin, forms.ModelForm):
    """A membership only for an account that is no operator, and never for the
    administrator making it (``acting`` is set by the admin)."""

    acting: User | None = None

    class Meta:
        model = Membership
        fields = ("user", "municipality", "organisation", "role", "is_active")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        user = cleaned.get("user") or getattr(self.instance, "user", None)
        if user is not None and self.acting is not None and user.pk == self.acting.pk:
            raise forms.ValidationError(_("You cannot give your own account a role."))
        if user is not None and not _may_hold_a_membership(user):
            raise forms.ValidationError(
                _("A system administrator's account cannot have a role in a municipality.")
            )
        return cleaned


class MembershipInline(SystemAdminOnly, admin.TabularInline):
    model = Membership
    form = MembershipForm
    extra = 0
    fields = ("municipality", "organisation", "role", "is_active")
    autocomplete_fields = ("municipality", "organisation")

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = type("ActingMembershipForm", (formset.form,), {"acting": request.user})
        return formset


class UserAddForm(CleanTextMixin, forms.ModelForm):
    """A new account has no password: the person's municipality manager sets its first
    one at 職員のセキュリティ (audited), or an operator on the server for a municipality's
    first manager (``manage.py changepassword``). The administration never sets one."""

    class Meta:
        model = User
        fields = ("username", "display_name", "email", "is_system_admin")

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        user.set_unusable_password()
        user.is_staff = user.is_system_admin
        if commit:
            user.save()
        return user


@admin.register(User)
class UserAdmin(SystemAdminOnly, BaseUserAdmin):
    """Staff accounts without the keys to them: no password is set or changed here, no
    superuser flag or permissions are given, and an operator account gets no role in a
    municipality. The administrator's own account is read-only here."""

    add_form = UserAddForm
    list_display = ("username", "display_name", "is_active", "is_system_admin", "last_login")
    list_filter = ("is_active", "is_system_admin", "memberships__role")
    search_fields = ("username", "display_name", "email")
    fieldsets = (
        (None, {"fields": ("username",)}),
        (_("Personal info"), {"fields": ("display_name", "first_name", "last_name", "email")}),
        (_("Portal"), {"fields": ("is_active", "is_system_admin")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"fields": ("username", "display_name", "email", "is_system_admin")}),)
    readonly_fields = ("last_login", "date_joined")
    inlines = [MembershipInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.pk == request.user.pk:
            return (*self.readonly_fields, "username", "is_active", "is_system_admin")
        return self.readonly_fields

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None or obj.pk == request.user.pk or not _may_hold_a_membership(obj):
            return []
        return self.inlines

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A superuser (made on the server) is not edited through the administration.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # accounts are deactivated, never deleted (the audit trail names them)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if obj.is_system_admin and obj.memberships.filter(is_active=True).exists():
            obj.is_system_admin = False  # the form's clean refuses it; never both
        obj.is_staff = obj.is_system_admin or obj.is_superuser
        super().save_model(request, obj, form, change)

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, **kwargs)
        if obj is None:
            return form

        def clean(self: Any) -> dict[str, Any]:
            cleaned = forms.ModelForm.clean(self)
            if cleaned.get("is_system_admin") and obj.memberships.filter(is_active=True).exists():
                raise forms.ValidationError(
                    _(
                        "End this account's roles in municipalities before making it a "
                        "system administrator."
                    )
                )
            return cleaned

        return type("UserChangeForm", (form,), {"clean": clean})

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        """Nobody sets another person's password here: 403 (a manager does it, audited)."""
        raise PermissionDenied


@admin.register(Membership)
class MembershipAdmin(SystemAdminOnly, admin.ModelAdmin):
    form = MembershipForm
    list_display = ("user", "municipality", "organisation", "role", "is_active")
    list_filter = ("role", "is_active")
    list_select_related = ("user", "municipality", "organisation")
    search_fields = ("user__username", "user__display_name", "municipality__name")
    autocomplete_fields = ("user", "municipality", "organisation")

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, **kwargs)
        return type("ActingMembershipForm", (form,), {"acting": request.user})

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "user":
            kwargs["queryset"] = User.objects.filter(
                is_superuser=False, is_system_admin=False
            ).exclude(pk=request.user.pk)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
