"""Optional error reporting to Sentry (``SENTRY_DSN``), with personal data taken out.

What leaves the server is the exception's type, message and stack (file, line and
function, no local variables), the view, the request's method and URL without its query
string, a few harmless headers, the user's id and the request id. Not sent: request
bodies, cookies, query strings, other headers (Authorization, Cookie, X-Forwarded-For),
the client's address, usernames or e-mail addresses, local variables, breadcrumb data.
"""

from __future__ import annotations

from typing import Any

# Request headers that say nothing about who is asking or what they entered.
SAFE_HEADERS = frozenset(
    {"accept", "content-length", "content-type", "host", "user-agent", "x-request-id"}
)


def _scrub_request(request: dict[str, Any]) -> None:
    for key in ("data", "cookies", "query_string", "env"):
        request.pop(key, None)
    if isinstance(request.get("url"), str):
        request["url"] = request["url"].split("?", 1)[0].split("#", 1)[0]
    headers = request.get("headers")
    if isinstance(headers, dict):
        request["headers"] = {
            name: value for name, value in headers.items() if name.lower() in SAFE_HEADERS
        }


def _frames(event: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for section in ("exception", "threads"):
        values = (event.get(section) or {}).get("values") or []
        for value in values:
            found.extend((value.get("stacktrace") or {}).get("frames") or [])
    return found


def scrub_event(event: dict[str, Any], hint: Any = None) -> dict[str, Any]:
    """Sentry's ``before_send``: the event with personal data removed (see above)."""
    if isinstance(event.get("request"), dict):
        _scrub_request(event["request"])
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if user.get("id") is not None else {}
    for frame in _frames(event):
        frame.pop("vars", None)
    breadcrumbs = event.get("breadcrumbs")
    crumbs = breadcrumbs.get("values", []) if isinstance(breadcrumbs, dict) else breadcrumbs
    for crumb in crumbs or []:
        crumb.pop("data", None)
    event.pop("extra", None)
    return event


def init_sentry() -> bool:
    """Start reporting if ``SENTRY_DSN`` is set; returns whether it did."""
    from django.conf import settings

    if not settings.SENTRY_DSN:
        return False
    import sentry_sdk

    sentry_sdk.init(
        dsn=settings.SENTRY_DSN,
        environment=settings.SENTRY_ENVIRONMENT,
        release=settings.SENTRY_RELEASE or None,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub_event,
        # Errors only: no performance tracing, which would send every request's URL.
        traces_sample_rate=None,
    )
    return True
