"""View decorators by role. A refused object URL answers 404 (an outsider cannot learn
that the id exists); a refused list page answers 403 with a Japanese explanation."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from municipalities.scoping import has_role, tenant_id_for

View = Callable[..., HttpResponse]


def _guard(allowed: Callable[[Any], bool]) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not allowed(request.user):
                if kwargs:
                    raise Http404
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def role_required(*roles: str) -> Callable[[View], View]:
    """Staff of a municipality in one of ``roles``."""
    return _guard(lambda user: has_role(user, *roles))


# Any staff member of a municipality (for pages without personal data).
staff_required = _guard(lambda user: tenant_id_for(user) is not None)
