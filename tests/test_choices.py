"""get_FOO_display() of tenant records: from a table per field and language, the same
labels as Django's own lookup, in the active language."""

from __future__ import annotations

from django.db.models import Model
from django.utils import translation

from cases.models import Case, Referral


def test_labels_are_those_of_django_in_the_active_language():
    case = Case(status=Case.Status.SUPPORT)
    field = Case._meta.get_field("status")
    for language in ("ja", "en"):
        with translation.override(language):
            assert case.get_status_display() == Model._get_FIELD_display(case, field)
    with translation.override("ja"):
        japanese = case.get_status_display()
    with translation.override("en"):
        assert case.get_status_display() != japanese


def test_an_unknown_value_and_choices_read_from_the_registry():
    assert Case(status="no-such-status").get_status_display() == "no-such-status"
    referral = Referral(to_program="participation")
    field = Referral._meta.get_field("to_program")
    with translation.override("ja"):
        assert referral.get_to_program_display() == Model._get_FIELD_display(referral, field)
    for language in ("ja", "en"):
        with translation.override(language):
            for program in ("consultation", "participation", "community", "no-such-program"):
                referral = Referral(to_program=program)
                assert referral.get_to_program_display() == Model._get_FIELD_display(
                    referral, field
                )
    assert Referral(to_program="no-such-program").get_to_program_display() == "no-such-program"
