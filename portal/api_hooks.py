"""Hooks named in the REST framework settings. Kept apart from the view code so that
importing them does not import DRF's views (which read these settings)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from knox.auth import TokenAuthentication
from redis.exceptions import RedisError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle

logger = logging.getLogger(__name__)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error as {"error": {"code", "message", "fields"}} with a Japanese message."""
    from rest_framework.views import exception_handler

    from portal.errors import CaseRuleError, RecordChanged

    if isinstance(exc, RecordChanged):
        return Response(
            {
                "error": {
                    "code": "conflict",
                    "message": exc.message,
                    "fields": {"version": [exc.message]},
                    "current_version": exc.current.version,
                }
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, CaseRuleError):
        fields = {exc.field: [exc.message]} if exc.field else {}
        return Response(
            {"error": {"code": "rule_violation", "message": exc.message, "fields": fields}},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {
            "error": {"code": "invalid", "message": _("The input is not valid."), "fields": detail}
        }
    elif isinstance(exc, exceptions.ParseError):
        # DRF's own message is English and quotes the parser's internals.
        response.data = {
            "error": {
                "code": "parse_error",
                "message": _("The request body is not valid JSON in UTF-8."),
                "fields": {},
            }
        }
    else:
        # The code the exception was raised with (a permission's own, say), else its
        # class's.
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
        code = codes if isinstance(codes, str) else getattr(exc, "default_code", "error")
        message = str(getattr(exc, "detail", exc))
        response.data = {"error": {"code": code, "message": message, "fields": {}}}
    return response


class TokenRateThrottle(UserRateThrottle):
    """Rate-limit systems that use a token (per staff account, whichever of its tokens);
    browser sessions are not throttled here."""

    scope = "token"

    def allow_request(self, request: Any, view: Any) -> bool:
        if not isinstance(request.successful_authenticator, TokenAuthentication):
            return True
        try:
            return super().allow_request(request, view)
        except RedisError:
            # The counts live in the shared cache (Redis): while it is down, calls are
            # let through rather than refused, as saves do not wait for the broker.
            logger.warning("rate limit not counted: the cache cannot be reached")
            return True
