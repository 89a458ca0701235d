"""The base of every app's API view sets: lists and retrieves through the app's
tenant-scoped query function (the same one the pages use), with reads of personal data
audited."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from municipalities.audit import audit_write
from municipalities.models import AuditEvent
from municipalities.scoping import record_refusal, tenant_id_for
from portal.api import Pagination


class ScopedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """List and retrieve through the app's tenant-scoped query function (the same one
    the pages use). Reads of personal data are audited."""

    pagination_class = Pagination
    model: Any = None
    personal = True  # audit reads

    def scoped(self, user: Any) -> Any:  # overridden per view set
        raise NotImplementedError

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return self.model.objects.none()
        return self.scoped(self.request.user)

    def get_object(self) -> Any:
        try:
            return super().get_object()
        except Http404:
            # The same 404 for a record the user may not see; the refusal is audited.
            record_refusal(self.model, self.request.user, self.kwargs.get("pk"))
            raise

    def audit_ids(self, obj: Any) -> tuple[int | None, int | None]:
        """(case id, person id) of an object, for the audit trail."""
        return getattr(obj, "case_id", None), getattr(obj, "person_id", None)

    def retrieve(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        if self.personal:
            case_id, person_id = self.audit_ids(obj)
            audit_write(
                user=request.user,
                municipality_id=obj.municipality_id,
                action=AuditEvent.Action.VIEW,
                obj=obj,
                case_id=case_id,
                person_id=person_id,
                detail={"via": "api"},
                request=request,
            )
        return Response(self.get_serializer(obj).data)

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        municipality_id = tenant_id_for(request.user)
        if self.personal and municipality_id is not None:
            results = response.data.get("results", []) if isinstance(response.data, dict) else []
            audit_write(
                user=request.user,
                municipality_id=municipality_id,
                action=AuditEvent.Action.SEARCH,
                detail={
                    "via": "api",
                    "endpoint": self.basename,
                    "ids": [r.get("id") for r in results][:500],
                },
                request=request,
            )
        return response

    def created(self, obj: Any, serializer_class: Any = None) -> Response:
        serializer = (serializer_class or self.get_serializer_class())(obj)
        return Response(serializer.data, status=status.HTTP_201_CREATED)
