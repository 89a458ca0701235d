"""Helpers of every app's services for the records they change: optimistic locking
(``claim_version``) and the JSON form of a previous value kept in the history."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import models
from django.db.models import F

from portal.errors import RecordChanged


def claim_version(obj: models.Model, version: int | None) -> None:
    """Move ``obj``'s version on by one if it still is ``version``, in one conditional
    UPDATE inside the caller's transaction; otherwise raise ``RecordChanged``.

    The UPDATE also locks the row until commit, so of two edits based on the same version
    the second waits, then matches no row and is refused. ``version`` None skips the
    check (for callers that have just read the row under ``select_for_update``) but the
    version still moves on, so that forms opened before this change notice it."""
    model = type(obj)
    rows = model.objects.filter(pk=obj.pk)
    if version is not None:
        rows = rows.filter(version=version)
    if not rows.update(version=F("version") + 1):
        raise RecordChanged(model.objects.get(pk=obj.pk))
    if version is not None:
        obj.version = version + 1
    else:
        obj.version = model.objects.filter(pk=obj.pk).values_list("version", flat=True).get()


def as_json_value(value: Any) -> Any:
    """A field's value as it is kept in JSON (dates as ISO text, records by id)."""
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value
