"""The domain errors every layer shares. A service raises them; a form shows them next
to their field (``portal.forms.add_rule_error``), the API answers them as structured
JSON (``portal.api_hooks``)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext as _


class CaseRuleError(Exception):
    """A rule of the program forbids the change. ``field`` names the form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class RoleRequired(CaseRuleError):
    """The user's role may not make this change. Raised by ``require_role``, the one role
    check every service makes; a page shows it like any rule, the API answers 400."""

    def __init__(self) -> None:
        super().__init__(_("Your role cannot do this."))


class RecordChanged(Exception):
    """Optimistic locking: the record was saved by someone else after the caller read it
    (its ``version`` moved on). Nothing was saved; ``current`` is the record as stored."""

    def __init__(self, current: models.Model) -> None:
        self.message = _(
            "This record has been updated by another member of staff since you opened it. "
            "Your changes were not saved. The current content is shown below: check it and "
            "enter your changes again."
        )
        super().__init__(self.message)
        self.current = current
