from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from municipalities.scoping import active_membership
from portal.fiscal import fiscal_year_of, reiwa_fiscal_year_label


def membership(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user's membership and the current fiscal year, for every page."""
    user = getattr(request, "user", None)
    today = timezone.localdate()
    return {
        "membership": active_membership(user) if user is not None else None,
        "current_fiscal_year_label": reiwa_fiscal_year_label(fiscal_year_of(today)),
    }
