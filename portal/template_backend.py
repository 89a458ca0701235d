"""Django's template backend, whose ``{% load i18n %}`` loads the project's
``portal.templatetags.quick_i18n`` (Django's library with a faster literal
``{% translate %}``). Django's system check warns when one library name has two modules
(templates.W003); that warning is left out for this one deliberate replacement only, so
any other clash is still reported."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage
from django.template.backends import django

QUICK_I18N = "portal.templatetags.quick_i18n"
_REPLACED = (
    f"'i18n' is used for multiple template tag modules: 'django.templatetags.i18n', '{QUICK_I18N}'"
)


class DjangoTemplates(django.DjangoTemplates):
    def get_templatetag_libraries(self, custom_libraries: dict[str, str]) -> dict[str, str]:
        return {**super().get_templatetag_libraries(custom_libraries), "i18n": QUICK_I18N}

    def check(self, **kwargs: Any) -> list[CheckMessage]:
        return [
            message
            for message in super().check(**kwargs)
            if not (message.id == "templates.W003" and message.msg == _REPLACED)
        ]
