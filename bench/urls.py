"""The portal's URLs plus the bench's bare logged-in page (used only by the bench,
through ``override_settings(ROOT_URLCONF="bench.urls")``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns


@login_required
def bare(request: HttpRequest) -> HttpResponse:
    """A logged-in page with nothing of its own: the base template, its menu, the
    middleware, the session and the user — what every page pays."""
    return render(request, "base.html", {})


urlpatterns = [path("bench/bare/", bare, name="bench_bare"), *portal_urlpatterns]
