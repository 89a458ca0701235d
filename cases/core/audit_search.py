"""Audit search for managers: who viewed or changed what, when and for what purpose, in
their own municipality. Reads go through the scoped layer; the search itself and every
export of it are audited."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django import forms
from django.apps import apps
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.core.text import search_key
from cases.models import Person
from municipalities.models import AuditEvent, User
from municipalities.scoping import tenant_id_for
from portal.fiscal import fiscal_year_of, fiscal_year_range, reiwa_fiscal_year_label
from portal.forms import DateInput

PAGE_SIZE = 50
EXPORT_LIMIT = 50_000

# What the audit records as the page or form of a look, in words a manager reads. An
# unknown code (a page added later) is shown as it is.
PAGES = {
    "dashboard": _("Dashboard"),
    "office": _("The municipality at a glance"),
    "participation_home": _("Participation support: today"),
    "community_home": _("Community building: today"),
    "my_concerns": _("Concerns I passed on"),
    "flags": _("Flags"),
    "referral_inbox": _("Referrals"),
    "participation_inbox": _("Participation inbox"),
    "concern_queue": _("Concerns from the community"),
    "matching": _("Matching"),
    "audit": _("Audit trail of a case"),
    "audit_search": _("Audit trail"),
}
FORMS = {
    "intake": _("New intake"),
    "edit": _("Edit"),
    "conflict": _("Edit (changed by someone else meanwhile)"),
    "household": _("Household"),
}


def fiscal_year_choices(today: datetime.date) -> list[tuple[str, str]]:
    current = fiscal_year_of(today)
    return [("", "—")] + [
        (str(year), reiwa_fiscal_year_label(year)) for year in range(current, current - 5, -1)
    ]


class AuditSearchForm(forms.Form):
    person = forms.CharField(
        label=_("Person (name, reading or id)"), max_length=100, required=False
    )
    staff = forms.ModelChoiceField(
        label=_("Staff member"), queryset=User.objects.none(), required=False, empty_label="—"
    )
    fiscal_year = forms.TypedChoiceField(
        label=_("Fiscal year"), choices=(), coerce=int, required=False, empty_value=None
    )
    date_from = forms.DateField(label=_("Start date"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("End date"), required=False, widget=DateInput())
    action = forms.ChoiceField(
        label=_("Operation"), choices=[("", "—"), *AuditEvent.Action.choices], required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        municipality_id = tenant_id_for(user)
        # Everyone who ever worked here, also staff who have since left.
        self.fields["staff"].queryset = (
            User.objects.filter(memberships__municipality_id=municipality_id)
            .distinct()
            .order_by("username")
        )
        self.fields["fiscal_year"].choices = fiscal_year_choices(timezone.localdate())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    def filters_for_audit(self) -> dict[str, Any]:
        """The filters as plain values, recorded in the audit event of the search."""
        data = self.cleaned_data
        return {
            "person": data.get("person") or None,
            "staff": data["staff"].pk if data.get("staff") else None,
            "fiscal_year": data.get("fiscal_year"),
            "date_from": data["date_from"].isoformat() if data.get("date_from") else None,
            "date_to": data["date_to"].isoformat() if data.get("date_to") else None,
            "action": data.get("action") or None,
        }


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def audit_events_for_manager(user: Any, filters: dict[str, Any]) -> QuerySet[AuditEvent]:
    """The user's municipality's audit events matching the form's cleaned data, newest
    first. One query however many filters (the person filter is a subquery)."""
    qs = AuditEvent.objects.for_user(user).select_related("user")
    person = (filters.get("person") or "").strip()
    if person:
        if person.isdigit():
            qs = qs.filter(person_id=int(person))
        else:
            key = search_key(person)
            # Deleted people too: their trail stays searchable.
            matching = Person.objects.for_user(user).filter(
                Q(search_name__contains=key) | Q(search_kana__contains=key)
            )
            qs = qs.filter(person_id__in=matching.values("pk"))
    if filters.get("staff"):
        qs = qs.filter(user=filters["staff"])
    start, end = filters.get("date_from"), filters.get("date_to")
    if filters.get("fiscal_year"):
        fy_start, fy_end = fiscal_year_range(filters["fiscal_year"])
        start = max(start, fy_start) if start else fy_start
        end = min(end, fy_end) if end else fy_end
    if start:
        qs = qs.filter(at__gte=_day_start(start))
    if end:
        qs = qs.filter(at__lt=_day_start(end + datetime.timedelta(days=1)))
    if filters.get("action"):
        qs = qs.filter(action=filters["action"])
    return qs.order_by("-at", "-pk")


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    record: str
    person: str
    purpose: str
    page: str


def _record_label(event: AuditEvent) -> str:
    if not event.object_type:
        return ""
    try:
        name = str(apps.get_model(event.object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        name = event.object_type
    return f"{name} #{event.object_id}" if event.object_id else name


def _security_label(code: Any) -> str:
    from municipalities.security import SECURITY_EVENTS

    return str(SECURITY_EVENTS.get(code, code or ""))


def _page_label(detail: dict[str, Any]) -> str:
    if detail.get("page"):
        return str(PAGES.get(detail["page"], detail["page"]))
    if detail.get("form"):
        return str(FORMS.get(detail["form"], detail["form"]))
    return _security_label(detail.get("security"))


def audit_rows(user: Any, events: list[AuditEvent]) -> list[AuditRow]:
    """Events with the names of their people (one query for the whole page)."""
    person_ids = {e.person_id for e in events if e.person_id}
    names = (
        dict(Person.objects.for_user(user).filter(pk__in=person_ids).values_list("pk", "name"))
        if person_ids
        else {}
    )
    rows = []
    for e in events:
        detail = e.detail if isinstance(e.detail, dict) else {}
        person = ""
        if e.person_id:
            person = f"{names.get(e.person_id, '')} (#{e.person_id})".strip()
        rows.append(
            AuditRow(
                event=e,
                record=_record_label(e),
                person=person,
                purpose=str(detail.get("purpose") or ""),
                page=_page_label(detail),
            )
        )
    return rows
