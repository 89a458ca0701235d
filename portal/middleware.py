from __future__ import annotations

import contextvars
from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware

current_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_ip", default=None)
# Warnings for the person whose page request is being served, from code that has no
# request in hand (an after-commit callback). None outside a page request.
page_warnings: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "page_warnings", default=None
)


def warn_on_next_page(text: str) -> None:
    """Show ``text`` as a warning on the page the current request leads to. Does nothing
    outside a page request (an API call, a task, a command): nobody would see it."""
    warnings = page_warnings.get()
    if warnings is not None and text not in warnings:
        warnings.append(text)


class ForwardedClientAddressMiddleware:
    """Behind the TLS-terminating proxy (``DJANGO_BEHIND_PROXY``), every connection comes
    from the proxy: take the client's address from the last ``X-Forwarded-For`` entry,
    the one the proxy itself wrote, so that audit events record the staff member's
    address and the login lockout counts failures per client, not for everyone at once.

    Only production settings install it, and only behind the proxy: the web server must
    then be reachable from the proxy alone (deploy/README.md). A missing or malformed
    header leaves the address as it is."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        import contextlib
        import ipaddress

        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            with contextlib.suppress(ValueError):
                request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(last))
        return self.get_response(request)


class RequestLogMiddleware:
    """First in the chain: gives the request its id (``X-Request-ID``, see portal.logs),
    times it, and writes its log line and its latency metric once the response is ready.
    Ids only: the view's name, the status, the user's and the municipality's numbers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        import time

        import sentry_sdk

        from portal import logs, metrics

        rid = logs.request_id_from(request.headers.get(logs.REQUEST_ID_HEADER))
        request.request_id = rid  # type: ignore[attr-defined]
        token = logs.request_id.set(rid)
        if sentry_sdk.get_client().is_active():
            sentry_sdk.set_tag("request_id", rid)  # an error report names its request
        started = time.monotonic()
        try:
            response = self.get_response(request)
            seconds = time.monotonic() - started
            fields = logs.request_fields(request, response.status_code, seconds)
            logs.log_request(fields)
            metrics.observe_request(fields["view"], response.status_code, seconds)
        finally:
            logs.request_id.reset(token)
        response[logs.REQUEST_ID_HEADER] = rid
        return response


class RequestContextMiddleware:
    """Make the client address available to services writing audit events, and turn
    ``warn_on_next_page`` into messages (it sits inside the message middleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_ip.set(request.META.get("REMOTE_ADDR") or None)
        page = not request.path_info.startswith("/api/")
        warnings: list[str] = []
        warnings_token = page_warnings.set(warnings if page else None)
        try:
            response = self.get_response(request)
        finally:
            page_warnings.reset(warnings_token)
            current_ip.reset(token)
        for text in warnings:
            messages.warning(request, text, fail_silently=True)
        return response


class JapaneseFirstLocaleMiddleware(LocaleMiddleware):
    """Japanese unless the user chose another language in the portal.

    Staff PCs are often set up in English; the browser's Accept-Language is therefore
    ignored and only the language cookie (set by the switcher) changes the UI.
    """

    def process_request(self, request: HttpRequest) -> None:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        super().process_request(request)


class SessionTimeoutMiddleware:
    """The session's two timeouts.

    Idle: the session (cookie and row) expires SESSION_COOKIE_AGE after it was last
    renewed, and a request renews it when the last renewal is SESSION_RENEW_SECONDS or
    more ago. Renewing on every request (``SESSION_SAVE_EVERY_REQUEST``) wrote the session
    row on every page; now a page reads it and writes it at most once a minute, so the
    idle timeout falls between SESSION_COOKIE_AGE − SESSION_RENEW_SECONDS and
    SESSION_COOKIE_AGE after the last request.

    Absolute: a session older than SESSION_ABSOLUTE_SECONDS since login is logged out,
    however active."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        import time

        from django.conf import settings
        from django.contrib.auth import logout

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            session = request.session
            started = session.get("login_at")
            now = int(time.time())
            if started is None:
                session["login_at"] = now
            elif now - int(started) > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                return self.get_response(request)
            renewed = session.get("renewed_at")
            if renewed is None or now - int(renewed) >= settings.SESSION_RENEW_SECONDS:
                # A change: the session middleware saves the row with a new expiry
                # and sends the cookie again with a new max-age.
                session["renewed_at"] = now
        return self.get_response(request)


class MaintenanceMiddleware:
    """While the file named by MAINTENANCE_FILE exists, every request but the health
    checks and the metrics gets the 503 page (JSON under /api/). The operator creates
    the file before an upgrade and removes it after; no restart is needed."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        import os

        from django.conf import settings

        path = settings.MAINTENANCE_FILE
        probes = ("/healthz/", "/readyz/", "/metrics")
        if path and os.path.exists(path) and not request.path.startswith(probes):
            from portal.views import maintenance

            return maintenance(request)
        return self.get_response(request)


class NoStoreMiddleware:
    """Responses to signed-in staff and every API response may carry personal data:
    no browser, proxy or shared cache keeps them (Cache-Control: no-store)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.utils.cache import add_never_cache_headers

        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.path.startswith("/api/") or (user is not None and user.is_authenticated):
            add_never_cache_headers(response)
        return response
