"""The access and change log: who viewed or changed which record, when, from where.

Every page, API call and export that shows or changes a person's data calls
``audit_record`` (views) or ``audit_write`` (services). Rows are only ever added.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import HttpRequest

from municipalities.models import AuditEvent, Municipality
from municipalities.scoping import tenant_id_for


class TenantMismatch(PermissionDenied):
    """A write or read of one municipality's record by staff of another (or by nobody's
    staff). Pages and the API never get here because they read through the scoped
    layer; this is the last line, and it rolls the service's transaction back."""


def client_ip(request: HttpRequest | None) -> str | None:
    """The request's address, or the one of the request being served (for services)."""
    if request is None:
        from portal.middleware import current_ip

        return current_ip.get()
    return request.META.get("REMOTE_ADDR") or None


def audit_write(
    *,
    user: Any,
    municipality_id: int,
    action: str,
    obj: models.Model | None = None,
    person_id: int | None = None,
    case_id: int | None = None,
    detail: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Append one audit event; refuse if the user does not work in that municipality."""
    if getattr(user, "is_authenticated", False) and tenant_id_for(user) != municipality_id:
        raise TenantMismatch(f"user {user.pk} acted on a record of municipality {municipality_id}")
    return AuditEvent.objects.create(
        municipality_id=municipality_id,
        user=user if getattr(user, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        person_id=person_id,
        case_id=case_id,
        detail=detail or {},
        ip_address=client_ip(request),
    )


@transaction.atomic
def audit_change(
    user: Any,
    action: str,
    obj: models.Model,
    /,
    *,
    case: Any = None,
    person_id: int | None = None,
    case_id: int | None = None,
    **detail: Any,
) -> AuditEvent:
    """The audit event a service writes for a change of ``obj`` (in its municipality):
    the case and person it concerns (``case`` gives both) and what changed, as keyword
    details. Every app's services write their events through it."""
    if case is not None:
        case_id, person_id = case.pk, case.person_id
    return audit_write(
        user=user,
        municipality_id=obj.municipality_id,
        action=action,
        obj=obj,
        person_id=person_id,
        case_id=case_id,
        detail=detail,
    )


def seal_chain(municipality_id: int) -> int:
    """Chain the municipality's new events to the previous ones by hash, in id order.

    Sealing runs in the background every minute (and before verification) instead of on
    every page view, so that audit writes neither lock nor wait on one another. An event
    edited or deleted after sealing breaks the chain."""
    Municipality.objects.select_for_update().filter(pk=municipality_id).exists()
    events = AuditEvent.objects.filter(municipality_id=municipality_id)
    prev = events.exclude(hash="").order_by("-pk").values_list("hash", flat=True).first() or ""
    sealed = []
    for event in events.filter(hash="").order_by("pk"):
        event.prev_hash = prev
        event.hash = prev = event.compute_hash()
        sealed.append(event)
    AuditEvent.objects.bulk_update(sealed, ["prev_hash", "hash"], batch_size=1000)
    return len(sealed)


def verify_chain(municipality_id: int) -> list[str]:
    """Problems found in one municipality's sealed audit chain (empty when intact)."""
    problems = []
    expected_prev = ""
    sealed = AuditEvent.objects.filter(municipality_id=municipality_id).exclude(hash="")
    for event in sealed.order_by("pk").iterator():
        if event.prev_hash != expected_prev:
            problems.append(f"event {event.pk}: the previous event was changed or deleted")
        if event.hash != event.compute_hash():
            problems.append(f"event {event.pk}: its content was changed")
        expected_prev = event.hash
    return problems


def audit_view(
    request: HttpRequest,
    obj: models.Model,
    *,
    person_id: int | None = None,
    case_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record that the signed-in user looked at ``obj``."""
    return audit_write(
        user=request.user,
        municipality_id=obj.municipality_id,
        action=AuditEvent.Action.VIEW,
        obj=obj,
        person_id=person_id,
        case_id=case_id,
        detail=detail,
        request=request,
    )


def audit_list(request: HttpRequest, page: str, case_ids: list[int]) -> None:
    """Record that a list page showed these cases' people (one event per page view)."""
    from municipalities.scoping import tenant_id_for

    municipality_id = tenant_id_for(request.user)
    if municipality_id is None or not case_ids:
        return
    audit_write(
        user=request.user,
        municipality_id=municipality_id,
        action=AuditEvent.Action.VIEW,
        detail={"page": page, "cases": sorted(set(case_ids))[:1000]},
        request=request,
    )
