"""Run by tests/test_sentry.py in a process of its own (Sentry stays initialised for the
life of a process): with SENTRY_DSN set, a page that fails while showing a person sends
an event; the event that would leave the server is printed as JSON."""

from __future__ import annotations

import json
import os
import sys

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def failing_person_page(request: HttpRequest) -> HttpResponse:
    person_name = request.POST["name"]  # a local variable: must not be sent
    raise RuntimeError(f"failed for record {len(person_name)}")


if __name__ != "__main__":  # imported as the URL configuration, after django.setup()
    from portal.urls import urlpatterns as portal_urlpatterns

    urlpatterns = [path("cases/persons/1/", failing_person_page), *portal_urlpatterns]


def main() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings.test"
    import django

    django.setup()  # PortalConfig.ready() starts Sentry from SENTRY_DSN
    import io
    from urllib.parse import urlencode
    from wsgiref.util import setup_testing_defaults

    import sentry_sdk
    from django.core.wsgi import get_wsgi_application
    from django.test import override_settings
    from sentry_sdk.transport import Transport

    sent: list[dict] = []

    class Capture(Transport):
        def capture_envelope(self, envelope) -> None:
            event = envelope.get_event()
            if event is not None:
                sent.append(event)

    client = sentry_sdk.get_client()
    assert client.is_active(), "SENTRY_DSN was set: Sentry should be on"
    client.transport = Capture(client.options)
    body = urlencode({"name": "山田 花子", "address": "豊中市中桜塚"}).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/cases/persons/1/",
        "QUERY_STRING": "q=%E5%B1%B1%E7%94%B0",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "HTTP_COOKIE": "sessionid=session-secret",
        "HTTP_AUTHORIZATION": "Token api-secret",
        "HTTP_X_FORWARDED_FOR": "203.0.113.9",
        "HTTP_X_REQUEST_ID": "probe-1",
        "REMOTE_ADDR": "203.0.113.9",
    }
    setup_testing_defaults(environ)
    # No database in this process: sessions in a (here invalid, so empty) signed cookie.
    with override_settings(
        ROOT_URLCONF="tests.sentry_probe",
        SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
    ):
        # The WSGI entry, as gunicorn calls it (Sentry's Django integration wraps it).
        application = get_wsgi_application()
        b"".join(application(environ, lambda status, headers, exc_info=None: None))
    sentry_sdk.flush()
    json.dump(sent, sys.stdout, ensure_ascii=False, default=str)


if __name__ == "__main__":
    main()
