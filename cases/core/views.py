"""Pages of the shared core: a person, a case with its status, household and consent,
the case's audit trail and the municipality's lists. Thin: forms validate, services
write, queries read (scoped to the user's municipality), every view is audited."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.core import casepage, queries, services
from cases.core.forms import (
    AccessPurposeForm,
    CaseEditForm,
    ConsentForm,
    ConsentWithdrawForm,
    HouseholdForm,
    HouseholdMemberDetailsForm,
    HouseholdMemberForm,
    MasterDataForm,
    PersonEditForm,
    PersonForm,
    StatusForm,
)
from cases.core.pages import case_staff_required, form_page
from cases.models import Case, Consent, ConsultationMethod, ContactRoute, IssueCategory
from cases.registry import case_links
from municipalities.audit import audit_view, audit_write
from municipalities.models import AuditEvent, Role
from municipalities.scoping import active_membership, has_role
from portal.errors import CaseRuleError, RecordChanged
from portal.forms import add_rule_error

SENSITIVE_ACCESS_MINUTES = 30


@case_staff_required
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    context = queries.person_page(request.user, person_id)
    audit_view(request, context["person"], person_id=person_id)
    return render(request, "cases/person_detail.html", context)


@case_staff_required
def person_edit(request: HttpRequest, person_id: int) -> HttpResponse:
    person = queries.person_get_for_user(request.user, person_id)
    form = PersonEditForm(
        request.POST or None, instance=person, initial={"version": person.version}
    )
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        person.refresh_from_db()
        try:
            services.person_update(
                user=request.user, person=person, version=form.cleaned_data["version"], **fields
            )
        except RecordChanged as exc:
            # Nothing was saved: show what is stored now, with its version.
            current = exc.current
            audit_view(request, current, person_id=current.pk, detail={"form": "conflict"})
            form = PersonEditForm(instance=current, initial={"version": current.version})
            return form_page(
                request, _("Edit personal details"), form, status=409, conflict=exc.message
            )
        messages.success(request, _("Saved."))
        return redirect("cases:person_detail", person_id=person.pk)
    if request.method == "GET":
        audit_view(request, person, person_id=person.pk, detail={"form": "edit"})
    return form_page(request, _("Edit personal details"), form, status=400 if form.errors else 200)


@case_staff_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    sensitive = queries.case_get_for_user(request.user, case_id)
    if sensitive.is_sensitive:
        # DV and abuse cases: the purpose of access is asked and recorded, once per
        # case and session (SENSITIVE_ACCESS_MINUTES at most).
        granted = request.session.get("sensitive_access", {})
        now = int(timezone.now().timestamp())
        if now - granted.get(str(case_id), 0) > SENSITIVE_ACCESS_MINUTES * 60:
            form = AccessPurposeForm(request.POST or None)
            if request.method == "POST" and form.is_valid():
                audit_view(
                    request,
                    sensitive,
                    case_id=sensitive.pk,
                    person_id=sensitive.person_id,
                    detail={"purpose": form.cleaned_data["purpose"]},
                )
                granted[str(case_id)] = now
                request.session["sensitive_access"] = granted
                return redirect("cases:case_detail", case_id=case_id)
            return render(
                request,
                "cases/access_purpose.html",
                {"case_number": sensitive.number, "form": form},
                status=400 if request.method == "POST" else 200,
            )
    try:
        timeline_page = int(request.GET.get("timeline", 1))
    except ValueError:
        timeline_page = 1
    context = casepage.case_page(request.user, case_id, case=sensitive, timeline_page=timeline_page)
    case = context["case"]
    audit_view(request, case, case_id=case.pk, person_id=case.person_id)
    context["status_form"] = StatusForm(allowed=services.allowed_transitions(case))
    context["is_manager"] = has_role(request.user, Role.MANAGER)
    # What the programs offer about the case (``cases.registry``).
    context["program_links"] = [
        (link.label, reverse(link.url_name, args=[case.pk])) for link in case_links()
    ]
    return render(request, "cases/case_detail.html", context)


@case_staff_required
def case_status(request: HttpRequest, case_id: int) -> HttpResponse:
    case = queries.case_get_for_user(request.user, case_id)
    form = StatusForm(request.POST or None, allowed=services.allowed_transitions(case))
    if request.method == "POST" and form.is_valid():
        try:
            services.case_change_status(
                user=request.user,
                case=case,
                to_status=form.cleaned_data["to_status"],
                reason=form.cleaned_data["reason"],
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("The status was changed."))
            return redirect("cases:case_detail", case_id=case.pk)
    return form_page(
        request,
        _("Change status"),
        form,
        case=case,
        status=400 if request.method == "POST" else 200,
    )


def _case_edit_initial(case: Case) -> dict[str, Any]:
    current = list(case.case_categories.select_related("category"))
    return {
        "version": case.version,
        "route": case.route,
        "categories": [c.category for c in current],
        "primary_category": next((c.category for c in current if c.is_primary), None),
        "assigned_to": case.assigned_to,
        "agencies": list(case.agencies.all()),
        "is_sensitive": case.is_sensitive,
    }


@case_staff_required
def case_edit(request: HttpRequest, case_id: int) -> HttpResponse:
    case = queries.case_get_for_user(request.user, case_id)
    form = CaseEditForm(
        request.POST or None,
        initial=_case_edit_initial(case),
        municipality_id=case.municipality_id,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.case_update(
                user=request.user,
                case=case,
                version=form.cleaned_data["version"],
                **{
                    "route": form.cleaned_data["route"],
                    "categories": list(form.cleaned_data["categories"]),
                    "primary_category": form.cleaned_data["primary_category"],
                    "assigned_to": form.cleaned_data["assigned_to"],
                    "agencies": list(form.cleaned_data["agencies"]),
                    "is_sensitive": form.cleaned_data["is_sensitive"],
                },
            )
        except RecordChanged as exc:
            # Nothing was saved: show what is stored now, with its version.
            current = queries.case_get_for_user(request.user, case_id)
            audit_view(
                request, current, case_id=current.pk, person_id=current.person_id,
                detail={"form": "conflict"},
            )  # fmt: skip
            form = CaseEditForm(
                initial=_case_edit_initial(current), municipality_id=current.municipality_id
            )
            return form_page(
                request, _("Edit case"), form, case=current, status=409, conflict=exc.message
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("cases:case_detail", case_id=case.pk)
    return form_page(
        request, _("Edit case"), form, case=case, status=400 if request.method == "POST" else 200
    )


@case_staff_required
def household_edit(request: HttpRequest, case_id: int) -> HttpResponse:
    """Create the household, or add a member (an existing person or a new one)."""
    case = queries.case_get_for_user(request.user, case_id)
    if case.household_id is None:
        form = HouseholdForm(
            request.POST or None,
            initial={"name": f"{case.person.name.split()[0]}家", "address": case.person.address},
        )
        if request.method == "POST" and form.is_valid():
            services.household_create(user=request.user, case=case, **form.cleaned_data)
            messages.success(request, _("The household was recorded."))
            return redirect("cases:household_edit", case_id=case.pk)
        return form_page(
            request,
            _("Record the household"),
            form,
            case=case,
            status=400 if request.method == "POST" else 200,
        )

    form = HouseholdMemberForm(request.POST or None)
    person_form = PersonForm(request.POST or None, prefix="person")
    if request.method == "POST" and form.is_valid():
        existing_id = form.cleaned_data["existing_person"]
        try:
            with transaction.atomic():
                if existing_id:
                    person = queries.person_get_for_user(request.user, existing_id)
                elif person_form.is_valid():
                    person = services.person_create(
                        user=request.user,
                        municipality=case.municipality,
                        **{n: person_form.cleaned_data[n] for n in PersonForm.Meta.fields},
                    )
                else:
                    raise CaseRuleError(_("Choose an existing person or enter the new member."))
                fields = {k: v for k, v in form.cleaned_data.items() if k != "existing_person"}
                services.household_add_member(user=request.user, case=case, person=person, **fields)
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        except Http404:
            form.add_error("existing_person", _("No such person."))
        else:
            messages.success(request, _("The member was added."))
            return redirect("cases:case_detail", case_id=case.pk)
    members = casepage.case_page(request.user, case.pk, case=case)["members"]
    if request.method == "GET":
        audit_view(
            request, case, case_id=case.pk, person_id=case.person_id, detail={"form": "household"}
        )
    return render(
        request,
        "cases/household_edit.html",
        {
            "case": case,
            "form": form,
            "person_form": person_form,
            "members": members,
        },
        status=400 if request.method == "POST" else 200,
    )


@case_staff_required
def household_member_edit(request: HttpRequest, member_id: int) -> HttpResponse:
    member = queries.household_member_get_for_user(request.user, member_id)
    case = queries.cases_visible_to(request.user).filter(household_id=member.household_id).first()
    if case is None:
        raise Http404
    works = {None: "unknown", True: "true", False: "false"}[member.works]
    initial = {
        "relationship": member.relationship,
        "is_carer": member.is_carer,
        "needs_care": member.needs_care,
        "works": works,
        "notes": member.notes,
    }
    form = HouseholdMemberDetailsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.household_member_update(
                user=request.user, case=case, member=member, **form.cleaned_data
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("cases:case_detail", case_id=case.pk)
    if request.method == "GET":
        audit_view(request, member.person, person_id=member.person_id, case_id=case.pk)
    title = _("Household member: %(name)s") % {"name": member.person.name}
    return form_page(
        request, title, form, case=case, status=400 if request.method == "POST" else 200
    )


@case_staff_required
def household_member_leave(request: HttpRequest, member_id: int) -> HttpResponse:
    member = queries.household_member_get_for_user(request.user, member_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    case = queries.cases_visible_to(request.user).filter(household_id=member.household_id).first()
    if case is None:
        raise Http404
    try:
        services.household_member_leave(
            user=request.user, case=case, member=member, left_on=timezone.localdate()
        )
    except CaseRuleError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The member was recorded as having left."))
    return redirect("cases:case_detail", case_id=case.pk)


@case_staff_required
def consent_add(request: HttpRequest, case_id: int) -> HttpResponse:
    case = queries.case_get_for_user(request.user, case_id)
    form = ConsentForm(
        request.POST or None,
        initial={"given_on": timezone.localdate()},
        municipality_id=case.municipality_id,
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        covers = data.pop("covers")
        try:
            services.consent_record(
                user=request.user,
                person=case.person,
                case=case if covers == "case" else None,
                **data,
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("The consent was recorded."))
            return redirect("cases:case_detail", case_id=case.pk)
    return form_page(
        request,
        _("Record consent"),
        form,
        case=case,
        status=400 if request.method == "POST" else 200,
    )


@case_staff_required
def consent_withdraw(request: HttpRequest, consent_id: int) -> HttpResponse:
    consent: Consent = queries.consent_get_for_user(request.user, consent_id)
    form = ConsentWithdrawForm(request.POST or None, initial={"withdrawn_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_withdraw(user=request.user, consent=consent, **form.cleaned_data)
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("The withdrawal was recorded."))
            if consent.case_id:
                return redirect("cases:case_detail", case_id=consent.case_id)
            return redirect("cases:person_detail", person_id=consent.person_id)
    return form_page(
        request,
        _("Record withdrawal of consent"),
        form,
        case=consent.case,
        status=400 if request.method == "POST" else 200,
    )


@case_staff_required
def case_audit(request: HttpRequest, case_id: int) -> HttpResponse:
    case, audit, events = queries.case_audit_trail(request.user, case_id)
    audit_write(
        user=request.user,
        municipality_id=case.municipality_id,
        action=AuditEvent.Action.VIEW,
        obj=case,
        case_id=case.pk,
        person_id=case.person_id,
        detail={"page": "audit"},
        request=request,
    )
    return render(
        request, "cases/case_audit.html", {"case": case, "audit": audit, "events": events}
    )


@case_staff_required
def master_data(request: HttpRequest) -> HttpResponse:
    """The lists behind the forms; managers add their municipality's own entries."""
    municipality = active_membership(request.user).municipality
    is_manager = has_role(request.user, Role.MANAGER)
    form = MasterDataForm(request.POST or None)
    if request.method == "POST":
        if not is_manager:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.master_data_add(
                    user=request.user, municipality=municipality, **form.cleaned_data
                )
            except CaseRuleError as exc:
                add_rule_error(form, exc)
            else:
                messages.success(request, _("The entry was added."))
                return redirect("cases:master_data")
    lists = [
        (_("Issue categories"), IssueCategory.available_to(municipality.pk)),
        (_("Routes of contact"), ContactRoute.available_to(municipality.pk)),
        (_("Consultation methods"), ConsultationMethod.available_to(municipality.pk)),
    ]
    return render(
        request,
        "cases/master_data.html",
        {"lists": lists, "form": form, "is_manager": is_manager},
        status=400 if request.method == "POST" else 200,
    )
