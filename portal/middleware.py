from __future__ import annotations

import contextvars
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware

current_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_ip", default=None)


class RequestContextMiddleware:
    """Make the client address available to services writing audit events."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_ip.set(request.META.get("REMOTE_ADDR") or None)
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)


class JapaneseFirstLocaleMiddleware(LocaleMiddleware):
    """Japanese unless the user chose another language in the portal.

    Staff PCs are often set up in English; the browser's Accept-Language is therefore
    ignored and only the language cookie (set by the switcher) changes the UI.
    """

    def process_request(self, request: HttpRequest) -> None:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        super().process_request(request)
