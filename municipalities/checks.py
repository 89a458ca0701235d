"""System checks of the municipalities app (``manage.py check``, and before migrate)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register()
def audit_key_check(app_configs: Any, **kwargs: Any) -> list[Error]:
    """The audit chain cannot be signed without a proper key (production settings)."""
    problem = getattr(settings, "AUDIT_HMAC_KEY_PROBLEM", "")
    return [Error(problem, id="municipalities.E001")] if problem else []
