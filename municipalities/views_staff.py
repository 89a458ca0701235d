"""Managers' pages for the staff of their municipality: the organisations staff work
for, new staff accounts, a staff member's role and organisation, deactivation. The
second factor, locked accounts and passwords are on the staff security page
(``views_account``)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, F, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from municipalities import services
from municipalities.decorators import role_required
from municipalities.forms import OrganisationForm, StaffAccountForm, StaffMembershipForm
from municipalities.models import Organisation, Role, User
from municipalities.scoping import get_for_user_or_404
from municipalities.security import staff_member_get_for_manager, staff_of_manager
from portal.errors import CaseRuleError
from portal.forms import add_rule_error, form_status


def _posted(request: HttpRequest) -> QueryDict | None:
    """The posted data, also when empty (an empty POST is a bound, invalid form)."""
    return request.POST if request.method == "POST" else None


def organisations_of_manager(manager: User) -> QuerySet[Organisation]:
    """The organisations of the manager's municipality with their number of active staff
    and the support agency they staff, if any (``agency`` is the support agency's
    one-to-one link to its organisation, read by name: one query in all)."""
    return (
        Organisation.objects.for_user(manager)
        .annotate(
            active_staff=Count(
                "memberships",
                filter=Q(memberships__is_active=True, memberships__user__is_active=True),
            ),
            agency_name=F("agency__name"),
        )
        .order_by("kind", "name")
    )


@role_required(Role.MANAGER)
def organisations(request: HttpRequest) -> HttpResponse:
    """The organisations of the municipality, and a form to add one."""
    form = OrganisationForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.organisation_create(manager=request.user, **form.cleaned_data)
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(
                request, _("The organisation “%(name)s” was added.") % {"name": organisation}
            )
            return redirect("staff_organisations")
    return render(
        request,
        "municipalities/staff_organisations.html",
        {"form": form, "organisations": organisations_of_manager(request.user)},
        status=form_status(request),
    )


@role_required(Role.MANAGER)
def organisation_edit(request: HttpRequest, organisation_id: int) -> HttpResponse:
    """One organisation: its name and kind, and its active staff."""
    organisation = get_for_user_or_404(Organisation.objects, request.user, pk=organisation_id)
    form = OrganisationForm(
        _posted(request), initial={"name": organisation.name, "kind": organisation.kind}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update(
                manager=request.user, organisation=organisation, **form.cleaned_data
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("The organisation was saved."))
            return redirect("staff_organisations")
    staff = (
        staff_of_manager(request.user)
        .filter(organisation=organisation, user__is_active=True)
        .select_related("user")
        .order_by("role", "user__username")
    )
    return render(
        request,
        "municipalities/staff_organisation.html",
        {"form": form, "organisation": organisation, "staff": staff},
        status=form_status(request),
    )


@role_required(Role.MANAGER)
def staff_create(request: HttpRequest) -> HttpResponse:
    """A new staff account; the manager then sets its first password."""
    form = StaffAccountForm(_posted(request), manager=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.staff_account_create(
                manager=request.user, request=request, **form.cleaned_data
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(
                request,
                _("The account of %(name)s was created. Now set its first password.")
                % {"name": user},
            )
            return redirect("staff_set_password", user_id=user.pk)
    return render(
        request,
        "municipalities/staff_create.html",
        {"form": form, "has_organisations": form.fields["organisation"].queryset.exists()},
        status=form_status(request),
    )


@role_required(Role.MANAGER)
def staff_member(request: HttpRequest, user_id: int) -> HttpResponse:
    """Change a staff member's role or organisation; deactivate the account."""
    membership = staff_member_get_for_manager(request.user, user_id)
    target = membership.user
    if target.pk == request.user.pk:
        messages.error(
            request, _("You cannot change or deactivate your own account. Ask another manager.")
        )
        return redirect("staff_security")
    form = StaffMembershipForm(
        _posted(request),
        manager=request.user,
        initial={"role": membership.role, "organisation": membership.organisation_id},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_membership_change(
                manager=request.user, target=target, request=request, **form.cleaned_data
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(
                request, _("The role and organisation of %(name)s were saved.") % {"name": target}
            )
            return redirect("staff_security")
    return render(
        request,
        "municipalities/staff_member.html",
        {"form": form, "target": target},
        status=form_status(request),
    )


@role_required(Role.MANAGER)
def staff_deactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    """Deactivate a staff member's account (404 for another municipality's, whatever
    the method)."""
    target = staff_member_get_for_manager(request.user, user_id).user
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        services.staff_account_deactivate(manager=request.user, target=target, request=request)
    except CaseRuleError as exc:
        messages.error(request, exc.message)
        return redirect("staff_security")
    messages.success(
        request,
        _("The account of %(name)s was deactivated and their sessions were ended.")
        % {"name": target},
    )
    return redirect("staff_security")
