"""Sends a signed-in session that still owes its second factor to the code step."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from municipalities.security import second_factor_pending

# Reachable before the code is given: the code step itself, leaving, the language.
OPEN_PREFIXES = ("/static/", "/i18n/", "/healthz/", "/readyz/")
OPEN_URL_NAMES = ("login", "logout", "second_factor", "second_factor_enrol", "second_factor_qr")


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._open_paths: tuple[str, ...] | None = None

    def open_paths(self) -> tuple[str, ...]:
        if self._open_paths is None:
            self._open_paths = tuple(reverse(name) for name in OPEN_URL_NAMES)
        return self._open_paths

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if (
            not path.startswith(OPEN_PREFIXES)
            and path not in self.open_paths()
            and second_factor_pending(request)
        ):
            # Token-authenticated API calls never get here: Django sees no user for them.
            if path.startswith("/api/"):
                return JsonResponse(
                    {
                        "error": {
                            "code": "second_factor_required",
                            "message": _("Enter the code of your authenticator app first."),
                            "fields": {},
                        }
                    },
                    status=403,
                )
            target = reverse("second_factor")
            if request.method == "GET":
                target += "?" + urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(target)
        return self.get_response(request)
