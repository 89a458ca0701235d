"""Pages of account security: the code step after the password, setting up and removing
the second factor, logging out everywhere, and the managers' staff security page
(reset a lost device, unlock a locked account)."""

from __future__ import annotations

import base64
import io
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from municipalities import security
from municipalities.decorators import role_required
from municipalities.models import Role, User


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Six-digit code"),
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}
        ),
    )


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


def _rejected(form: CodeForm, exc: security.CodeRejected) -> None:
    if exc.throttled:
        form.add_error("code", _("Too many wrong codes. Wait a little and enter the newest code."))
    else:
        form.add_error("code", _("The code is not correct. Enter the newest code of the app."))


def _locked_out(request: HttpRequest) -> bool:
    """Wrong codes count as failed logins: at the limit the session ends and the
    lockout page is shown (by the lockout middleware)."""
    if getattr(request, "axes_locked_out", False):
        logout(request)
        return True
    return False


@never_cache
@login_required
def second_factor(request: HttpRequest) -> HttpResponse:
    """The code step after the password."""
    if not security.second_factor_pending(request):
        return redirect(_next_url(request))
    if security.confirmed_device(request.user) is None:
        target = redirect("second_factor_enrol")
        target["Location"] += "?" + urlencode({"next": _next_url(request)})
        return target
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            security.second_factor_verify(request=request, code=form.cleaned_data["code"])
        except security.CodeRejected as exc:
            if _locked_out(request):
                return redirect("login")
            _rejected(form, exc)
        else:
            return redirect(_next_url(request))
    return render(
        request,
        "municipalities/second_factor.html",
        {"form": form, "next": _next_url(request), "second_factor_step": True},
        status=400 if request.method == "POST" else 200,
    )


def _must_give_code_first(request: HttpRequest) -> bool:
    """A session that owes the code of an existing device may not set up another one
    instead (the password alone must not replace the second factor)."""
    return (
        security.second_factor_pending(request)
        and security.confirmed_device(request.user) is not None
    )


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@login_required
def second_factor_enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the code (or type the key), confirm with a code."""
    if _must_give_code_first(request):
        return redirect("second_factor")
    device = security.enrolment_device(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            security.second_factor_enrol(request=request, code=form.cleaned_data["code"])
        except security.CodeRejected as exc:
            if _locked_out(request):
                return redirect("login")
            _rejected(form, exc)
        else:
            messages.success(request, _("The second factor is set up."))
            return redirect(_next_url(request) if _next_url(request) != "/" else "account_security")
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "municipalities/second_factor_enrol.html",
        {
            "form": form,
            "secret": _grouped(secret),
            "next": _next_url(request),
            "required": security.second_factor_required(request.user),
            "second_factor_step": security.second_factor_pending(request),
        },
        status=400 if request.method == "POST" else 200,
    )


@never_cache
@login_required
def second_factor_qr(request: HttpRequest) -> HttpResponse:
    """The QR code of the device being set up, as an SVG image (no script needed)."""
    import qrcode
    import qrcode.image.svg

    if _must_give_code_first(request):
        raise Http404

    device = security.enrolment_device(request.user)
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return HttpResponse(buffer.getvalue(), content_type="image/svg+xml")


@never_cache
@login_required
def account_security(request: HttpRequest) -> HttpResponse:
    """My account: the second factor (set up, remove) and logging out everywhere."""
    device = security.confirmed_device(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "logout_everywhere":
            security.logout_everywhere(request=request)
            messages.success(request, _("Every session of your account was ended."))
            return redirect("login")
        if action == "remove_device" and form.is_valid():
            try:
                security.second_factor_remove(request=request, code=form.cleaned_data["code"])
            except security.CodeRejected as exc:
                if _locked_out(request):
                    return redirect("login")
                _rejected(form, exc)
            else:
                messages.success(request, _("The second factor was removed."))
                return redirect("account_security")
    return render(
        request,
        "municipalities/account_security.html",
        {
            "device": device,
            "form": form,
            "required": security.second_factor_required(request.user),
        },
        status=400 if request.method == "POST" else 200,
    )


# --- managers ---------------------------------------------------------------------------


@role_required(Role.MANAGER)
def staff_security(request: HttpRequest) -> HttpResponse:
    """The manager's view of their staff: who has a second factor, who is locked out."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    staff = list(
        security.staff_of_manager(request.user)
        .select_related("user", "organisation")
        .order_by("role", "user__username")
    )
    with_device = set(
        TOTPDevice.objects.filter(user__in=[m.user_id for m in staff], confirmed=True).values_list(
            "user_id", flat=True
        )
    )
    rows = [
        (m, m.user_id in with_device, m.role in security.ROLES_WITH_SECOND_FACTOR) for m in staff
    ]
    return render(
        request,
        "municipalities/staff_security.html",
        {"rows": rows, "locked": security.locked_accounts(request.user)},
    )


def _staff_member(request: HttpRequest, user_id: int) -> User:
    """A staff member of the manager's municipality; 404 for anyone else's id, whatever
    the method (so the id check comes before the POST-only check)."""
    return security.staff_member_get_for_manager(request.user, user_id).user


@role_required(Role.MANAGER)
def staff_reset_device(request: HttpRequest, user_id: int) -> HttpResponse:
    target = _staff_member(request, user_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if target.pk == request.user.pk:
        messages.error(request, _("Remove your own second factor on your account page."))
        return redirect("staff_security")
    security.second_factor_reset(manager=request.user, target=target, request=request)
    messages.success(
        request,
        _("The second factor of %(name)s was reset and their sessions were ended.")
        % {"name": target},
    )
    return redirect("staff_security")


@role_required(Role.MANAGER)
def staff_unlock(request: HttpRequest, user_id: int) -> HttpResponse:
    target = _staff_member(request, user_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    security.account_unlock(manager=request.user, target=target, request=request)
    messages.success(request, _("The account of %(name)s was unlocked.") % {"name": target})
    return redirect("staff_security")


@role_required(Role.MANAGER)
def staff_set_password(request: HttpRequest, user_id: int) -> HttpResponse:
    """A manager sets a staff member's password (forgotten, or a new account's first)."""
    from django.contrib.auth.forms import SetPasswordForm

    target = _staff_member(request, user_id)
    if target.pk == request.user.pk:
        messages.error(request, _("Change your own password on your account page."))
        return redirect("staff_security")
    form = SetPasswordForm(target, request.POST or None)
    if request.method == "POST" and form.is_valid():
        security.password_set_by_manager(
            manager=request.user,
            target=target,
            password=form.cleaned_data["new_password1"],
            request=request,
        )
        messages.success(
            request,
            _("A new password was set for %(name)s and their sessions were ended.")
            % {"name": target},
        )
        return redirect("staff_security")
    return render(
        request,
        "municipalities/staff_set_password.html",
        {"form": form, "target": target},
        status=400 if request.method == "POST" else 200,
    )
