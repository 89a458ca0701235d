"""The audit trail is a hash chain: an edited or deleted event is detected."""

from __future__ import annotations

import itertools

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from municipalities.audit import audit_write, seal_chain, verify_chain
from municipalities.models import AuditEvent

pytestmark = pytest.mark.django_db


def events(personas, n=4):
    for i in range(n):
        audit_write(
            user=personas.caseworker_a,
            municipality_id=personas.municipality_a.pk,
            action="view",
            detail={"i": i},
        )
    seal_chain(personas.municipality_a.pk)
    return list(AuditEvent.objects.filter(municipality=personas.municipality_a).order_by("pk"))


def test_each_event_points_at_the_previous_one(personas):
    chain = events(personas)
    assert chain[0].prev_hash == ""
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(chain))
    assert verify_chain(personas.municipality_a.pk) == []
    call_command("verify_audit")  # no error


def test_an_edited_event_is_detected(personas):
    chain = events(personas)
    AuditEvent.objects.filter(pk=chain[1].pk).update(detail={"i": 99})
    problems = verify_chain(personas.municipality_a.pk)
    assert problems == [f"event {chain[1].pk}: its content was changed"]
    with pytest.raises(CommandError):
        call_command("verify_audit", "--municipality", personas.municipality_a.code)


def test_a_deleted_event_is_detected(personas):
    chain = events(personas)
    AuditEvent.objects.filter(pk=chain[2].pk).delete()  # bypasses the model's refusal
    assert verify_chain(personas.municipality_a.pk) == [
        f"event {chain[3].pk}: the previous event was changed or deleted"
    ]


def test_events_refuse_to_be_changed_through_the_model(personas):
    event = events(personas, 1)[0]
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


def test_chains_are_per_municipality(personas):
    events(personas, 2)
    audit_write(
        user=personas.caseworker_b, municipality_id=personas.municipality_b.pk, action="view"
    )
    seal_chain(personas.municipality_b.pk)
    first_b = AuditEvent.objects.get(municipality=personas.municipality_b)
    assert first_b.prev_hash == ""
    assert verify_chain(personas.municipality_b.pk) == []


def test_sealing_is_incremental_and_idempotent(personas):
    chain = events(personas, 2)
    assert seal_chain(personas.municipality_a.pk) == 0
    audit_write(
        user=personas.caseworker_a, municipality_id=personas.municipality_a.pk, action="view"
    )
    assert seal_chain(personas.municipality_a.pk) == 1
    newest = AuditEvent.objects.filter(municipality=personas.municipality_a).latest("pk")
    assert newest.prev_hash == chain[-1].hash
    from municipalities.tasks import seal_audit

    assert seal_audit.apply().get() == 0
