"""Templates for the tests that compare a row or badge written by a template tag in
Python with the template markup it replaced."""

from __future__ import annotations

from django.template import engines
from django.template.backends.django import Template


def old_and_new(old_source: str, new_source: str) -> tuple[Template, Template]:
    """The replaced markup and the markup using the tag, from the portal's engine."""
    engine = engines["django"]
    return engine.from_string(old_source), engine.from_string(new_source)
