"""The label of a choice, looked up in a table built once per field and language.

Django's ``get_FOO_display()`` rebuilds a dict of every choice of the field on each call,
translating each lazy label to hash it: a list page that shows a status on each of its
hundred rows translated about a thousand labels per request (bench/README.md). Fixed
choices are looked up here instead; choices given as a callable (read from a registry
when used) are still read on each call, as Django does, and only the label wanted is
translated.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Field
from django.utils.choices import BaseChoiceIterator
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import get_language

_labels: dict[tuple[int, str | None], dict[Any, Any]] = {}


def choice_label(field: Field, value: Any) -> Any:
    """What ``get_FOO_display()`` returns for ``value`` of ``field``."""
    if isinstance(field.choices, BaseChoiceIterator):
        # Read when used: the one label wanted, without translating every other label
        # to hash it (a referral's two programs on each row of a list).
        wanted = make_hashable(value)
        for key, label in field.flatchoices:
            if make_hashable(key) == wanted:
                return force_str(label, strings_only=True)
        return force_str(value, strings_only=True)
    key = (id(field), get_language())
    labels = _labels.get(key)
    if labels is None:
        labels = _labels[key] = {
            make_hashable(k): force_str(v, strings_only=True) for k, v in field.flatchoices
        }
    return force_str(labels.get(make_hashable(value), value), strings_only=True)
