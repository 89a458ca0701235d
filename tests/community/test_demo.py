"""The community demo: places of every kind with activity records, platform sessions
whose new resource became a provider and menu, concerns in every state of the queue,
cases linked to places, idempotence and no record linked across municipalities."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from community.models import ActivityRecord, CasePlace, Concern, Outcome, Place, PlatformSession
from municipalities.models import Municipality
from tests.conftest import ROSTER_FY2022

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(settings) -> str:
    call_command("load_roster", str(ROSTER_FY2022), "--fiscal-year", "2022", verbosity=0)
    settings.DEBUG = True  # seed_demo refuses to create known passwords otherwise
    return seed()


def test_places_in_both_municipalities(seeded):
    toyonaka = Municipality.objects.get(code="272035")
    matsue = Municipality.objects.get(code="322016")
    assert 8 <= Place.objects.filter(municipality=toyonaka).count() <= 10
    assert Place.objects.filter(municipality=matsue).count() == 5
    kinds = set(Place.objects.filter(municipality=toyonaka).values_list("kind", flat=True))
    assert kinds == set(Place.Kind.values)
    for municipality in (toyonaka, matsue):
        assert Place.objects.filter(municipality=municipality, status=Place.Status.PAUSED).exists()
    for place in Place.objects.all():
        assert place.organiser
        assert place.area
        assert place.schedule
        assert place.target_groups
    assert "Demo community: 豊中市" in seeded


def test_activity_records(seeded):
    today = timezone.localdate()
    assert ActivityRecord.objects.exists()
    assert not ActivityRecord.objects.filter(held_on__gt=today).exists()
    for place in Place.objects.all():
        count = place.records.count()
        if place.status == Place.Status.ACTIVE:
            assert 3 <= count <= 8
        assert place.records.filter(municipality_id=place.municipality_id).count() == count


def test_platform_sessions_and_outcomes(seeded):
    assert PlatformSession.objects.filter(municipality__code="272035").count() >= 2
    assert PlatformSession.objects.filter(municipality__code="322016").count() >= 1
    assert not PlatformSession.objects.filter(held_on__gt=timezone.localdate()).exists()
    for session in PlatformSession.objects.all():
        assert session.total_attendance > 0
    for code in ("272035", "322016"):
        converted = Outcome.objects.filter(
            municipality__code=code,
            kind=Outcome.Kind.NEW_RESOURCE,
            provider__isnull=False,
            menu__isnull=False,
        )
        assert converted.exists()
    for outcome in Outcome.objects.filter(provider__isnull=False).select_related(
        "provider", "menu", "session"
    ):
        assert outcome.provider.municipality_id == outcome.municipality_id
        assert outcome.menu.provider_id == outcome.provider_id
        assert outcome.menu.municipality_id == outcome.municipality_id
        assert outcome.session.municipality_id == outcome.municipality_id
    kinds = set(Outcome.objects.values_list("kind", flat=True))
    assert kinds == set(Outcome.Kind.values)


def test_concerns_in_every_state(seeded):
    statuses = set(Concern.objects.values_list("status", flat=True))
    assert statuses == set(Concern.Status.values)
    assert Concern.objects.filter(
        status=Concern.Status.RECEIVED, urgency=Concern.Urgency.URGENT
    ).exists()
    assert set(Concern.objects.values_list("urgency", flat=True)) == set(Concern.Urgency.values)
    # Six from the community demo, one the outreach demo took up as a target.
    assert Concern.objects.filter(municipality__code="272035").count() == 7
    assert Concern.objects.filter(municipality__code="322016").count() == 3
    assert Concern.objects.filter(subject_name="").exists()
    for concern in Concern.objects.filter(status=Concern.Status.NO_ACTION):
        assert concern.closing_note
        assert concern.handled_by

    taken = Concern.objects.filter(status=Concern.Status.TAKEN_UP).select_related(
        "case__route", "person", "handled_by"
    )
    assert taken.exists()
    for concern in taken:
        assert concern.case.municipality_id == concern.municipality_id
        assert concern.person_id == concern.case.person_id
        assert concern.handled_by.username.endswith("-caseworker")
    opened = [
        c
        for c in taken
        if c.case.person.name == c.subject_name
        and c.case.route.code in ("resident", "minsei")
        and c.case.consultations.count() == 1
    ]
    assert opened


def test_cases_linked_to_places(seeded):
    links = CasePlace.objects.select_related("case", "place")
    assert links.filter(municipality__code="272035").count() >= 2
    assert links.filter(municipality__code="322016").count() >= 1
    assert links.filter(case__case_categories__category__code="isolation").exists()
    today = timezone.localdate()
    for link in links:
        assert link.since <= today
        assert link.case.is_open
        assert link.place.status == Place.Status.ACTIVE


def test_seeding_again_creates_nothing(seeded):
    models = (Place, ActivityRecord, PlatformSession, Outcome, Concern, CasePlace)
    before = {model: model.objects.count() for model in models}
    seed()
    assert {model: model.objects.count() for model in models} == before


def test_no_record_links_municipalities(seeded):
    for record in ActivityRecord.objects.select_related("place", "recorded_by"):
        assert record.place.municipality_id == record.municipality_id
    for outcome in Outcome.objects.select_related("session"):
        assert outcome.session.municipality_id == outcome.municipality_id
    for concern in Concern.objects.select_related("case", "person", "reported_by"):
        membership = concern.reported_by.memberships.get(is_active=True)
        assert membership.municipality_id == concern.municipality_id
        if concern.case:
            assert concern.case.municipality_id == concern.municipality_id
        if concern.person:
            assert concern.person.municipality_id == concern.municipality_id
    for link in CasePlace.objects.select_related("case", "place", "linked_by"):
        assert link.case.municipality_id == link.municipality_id
        assert link.place.municipality_id == link.municipality_id
        membership = link.linked_by.memberships.get(is_active=True)
        assert membership.municipality_id == link.municipality_id
