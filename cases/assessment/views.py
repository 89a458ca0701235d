"""Pages of the assessment: the sheet (any version), a new version prefilled from the
latest, its A4 print, and the marks on the ecomap's relationships. Thin: the case is
read through the scoped layer (404 for anyone without need to know), services write,
every look and print is audited."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.assessment import queries, services
from cases.assessment.domains import domain_rows
from cases.assessment.drawing import ecomap_svg, genogram_svg
from cases.assessment.forms import AssessmentForm, RelationshipMarksForm, parse_supporters
from cases.assessment.maps import case_maps
from cases.core.pages import case_staff_required, form_page
from cases.core.queries import case_get_for_user
from municipalities.audit import audit_view, audit_write
from municipalities.models import AuditEvent
from portal.errors import CaseRuleError
from portal.fiscal import reiwa_date
from portal.forms import add_rule_error
from portal.prints import pdf_response, render_pdf


def _context(page: queries.AssessmentPage) -> dict[str, Any]:
    a = page.assessment
    return {
        "case": page.case,
        "assessment": a,
        "versions": page.maps.versions,
        "domains": domain_rows(a.domains if a else {}),
        "genogram": genogram_svg(page.maps),
        "ecomap": ecomap_svg(page.maps),
    }


def _audit(request: HttpRequest, page: queries.AssessmentPage, action: str, **detail: Any) -> None:
    case, a = page.case, page.assessment
    audit_write(
        user=request.user,
        municipality_id=case.municipality_id,
        action=action,
        obj=a if a is not None else case,
        case_id=case.pk,
        person_id=case.person_id,
        detail={"assessment_version": a.version if a else None, **detail},
        request=request,
    )


@case_staff_required
def assessment_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    """The assessment sheet of the case: the latest version, or ``?v=N``."""
    page = queries.assessment_page(request.user, case_id, request.GET.get("v"))
    _audit(request, page, AuditEvent.Action.VIEW)
    return render(request, "cases/assessment_detail.html", _context(page))


@case_staff_required
def assessment_print(request: HttpRequest, case_id: int) -> HttpResponse:
    """The sheet as an A4 PDF (``?v=N`` for an earlier version; a blank sheet to fill
    in by hand while none is recorded), audited as an export."""
    page = queries.assessment_page(request.user, case_id, request.GET.get("v"))
    context = _context(page)
    today = timezone.localdate()
    a = page.assessment
    context.update(
        printed_on=reiwa_date(today),
        assessed_on=reiwa_date(a.assessed_on) if a else "",
        birth_date=reiwa_date(page.case.person.birth_date) if page.case.person.birth_date else "",
        age=page.case.person.age_on(today),
    )
    pdf = render_pdf("cases/assessment_print.html", context, request)
    _audit(request, page, AuditEvent.Action.EXPORT, what="assessment print")
    name = f"assessment-{page.case.number}-v{a.version if a else 0}.pdf"
    return pdf_response(pdf, name)


@case_staff_required
def assessment_add(request: HttpRequest, case_id: int) -> HttpResponse:
    """A new version of the assessment, prefilled from the latest one."""
    page = queries.assessment_page(request.user, case_id)
    case = page.case
    form = AssessmentForm(
        request.POST or None,
        maps=page.maps,
        initial=AssessmentForm.initial_from(page.assessment, timezone.localdate()),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            assessment = services.assessment_record(
                user=request.user,
                case=case,
                assessed_on=data["assessed_on"],
                wishes=data["wishes"],
                life_history=data["life_history"],
                domains=form.domains(),
                staff_present=data["staff_present"],
                person_present=data["person_present"],
                family_present=data["family_present"],
                agencies=data["agencies_present"],
                supporters=parse_supporters(data["supporters"]),
                deceased=data["deceased"],
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(
                request, _("Saved as version %(n)s of the assessment.") % {"n": assessment.version}
            )
            return redirect(reverse("cases:assessment_detail", args=[case.pk]))
    return form_page(
        request,
        _("Assessment"),
        form,
        case=case,
        template="cases/assessment_form.html",
        status=400 if request.method == "POST" else 200,
        latest=page.assessment,
    )


@case_staff_required
def relationship_marks(request: HttpRequest, case_id: int) -> HttpResponse:
    """Mark the ties on the ecomap as strong, weak or strained."""
    case = case_get_for_user(request.user, case_id)
    maps = case_maps(case)
    form = RelationshipMarksForm(request.POST or None, maps=maps)
    if request.method == "POST" and form.is_valid():
        try:
            services.relationship_marks_set(
                user=request.user, case=case, marks=form.marks(), allowed=maps.supporter_keys()
            )
        except CaseRuleError as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(reverse("cases:assessment_detail", args=[case.pk]))
    if request.method != "GET":
        audit_view(request, case, case_id=case.pk, person_id=case.person_id)
    return form_page(
        request,
        _("Relationships on the ecomap"),
        form,
        case=case,
        template="cases/relationship_marks.html",
        status=400 if request.method == "POST" else 200,
        ecomap=ecomap_svg(maps),
    )
