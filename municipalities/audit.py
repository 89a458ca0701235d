"""The access and change log: who viewed or changed which record, when, from where.

Every page, API call and export that shows or changes a person's data calls
``audit_view`` or ``audit_list`` (views) or ``audit_change`` (services), which write
through ``audit_write``. Rows are only ever added, each chained to the previous one of
its municipality as it is written (``municipalities.audit_chain``).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import HttpRequest

from municipalities.audit_chain import chain_append
from municipalities.models import AuditEvent
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
    """Append one audit event to its municipality's chain, in the caller's transaction;
    refuse if the user does not work in that municipality.

    Values are stored as the database gives them back (ids as integers, ``detail``
    through JSON, an IPv6 address in its short form), so the event's hash, computed
    before the row is written, matches the row as it is read."""
    if getattr(user, "is_authenticated", False) and tenant_id_for(user) != municipality_id:
        raise TenantMismatch(f"user {user.pk} acted on a record of municipality {municipality_id}")
    ip_field = AuditEvent._meta.get_field("ip_address")
    return chain_append(
        AuditEvent(
            municipality_id=int(municipality_id),
            user=user if getattr(user, "is_authenticated", False) else None,
            action=action,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            person_id=int(person_id) if person_id is not None else None,
            case_id=int(case_id) if case_id is not None else None,
            detail=json.loads(json.dumps(detail or {})),
            ip_address=ip_field.get_prep_value(client_ip(request)),
        )
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


def audit_refusal(user: Any, obj: models.Model) -> AuditEvent:
    """A refused look at ``obj`` (see ``scoping.record_refusal``), with the person and
    case it concerns, so that the managers' audit search finds it by either."""
    label = obj._meta.label_lower
    person_id = obj.pk if label == "cases.person" else getattr(obj, "person_id", None)
    case_id = obj.pk if label == "cases.case" else getattr(obj, "case_id", None)
    return audit_write(
        user=user,
        municipality_id=obj.municipality_id,
        action=AuditEvent.Action.REFUSED,
        obj=obj,
        person_id=person_id,
        case_id=case_id,
        detail={"reason": "need_to_know"},
    )


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
