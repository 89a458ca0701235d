from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from municipalities.navigation import menu_for
from municipalities.scoping import active_membership
from portal.fiscal import fiscal_year_of, reiwa_fiscal_year_label


def membership(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user's membership, their menu and the current fiscal year, for
    every page."""
    user = getattr(request, "user", None)
    today = timezone.localdate()
    current = active_membership(user) if user is not None else None
    return {
        "membership": current,
        "nav_groups": menu_for(request, current.role) if current is not None else [],
        "current_fiscal_year_label": reiwa_fiscal_year_label(fiscal_year_of(today)),
    }
