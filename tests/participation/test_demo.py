"""The participation demo: providers and menus in both municipalities, every kind of
menu, places and capacity, sessions with a concern sent back to consultation, a
follow-up, idempotence and no record linked across municipalities."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db.models import Count, Q
from django.utils import timezone

from cases.models import Referral
from cases.programs import CONSULTATION
from municipalities.models import Municipality
from participation.models import (
    Assignment,
    FollowUp,
    Menu,
    ParticipationProfile,
    Provider,
    SessionLog,
    Weekday,
)
from participation.program import PROGRAM as PARTICIPATION
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


def in_use(qs):
    return qs.annotate(
        in_use=Count("assignments", filter=Q(assignments__status__in=Assignment.HOLDS_A_PLACE))
    )


def test_providers_and_menus_in_both_municipalities(seeded):
    toyonaka = Municipality.objects.get(code="272035")
    matsue = Municipality.objects.get(code="322016")
    # The participation demo's own, plus one provider and menu per municipality that
    # the community demo makes from a platform outcome.
    assert 6 <= Provider.objects.filter(municipality=toyonaka).count() <= 9
    assert 4 <= Provider.objects.filter(municipality=matsue).count() <= 5
    assert 12 <= Menu.objects.filter(municipality=toyonaka).count() <= 16
    assert 6 <= Menu.objects.filter(municipality=matsue).count() <= 7
    kinds = set(Menu.objects.filter(municipality=toyonaka).values_list("kind", flat=True))
    assert kinds == set(Menu.Kind.values)
    assert len(set(Provider.objects.values_list("kind", flat=True))) >= 6
    assert not Provider.objects.filter(host_support="").exists()
    assert Provider.objects.filter(municipality=toyonaka, phone__startswith="06-0000-").count() >= 6
    assert Menu.objects.filter(status=Menu.Status.PAUSED).exists()
    for menu in Menu.objects.all():
        assert menu.days
        assert menu.interests
        assert menu.schedule
        assert 1 <= menu.capacity <= 6
    assert "Demo participation: 豊中市" in seeded


def test_places_full_and_made_to_order(seeded):
    menus = list(in_use(Menu.objects.all()))
    for menu in menus:
        assert menu.in_use <= menu.capacity
    assert any(m.in_use == m.capacity for m in menus)  # a full menu
    assert any(m.capacity > 1 and m.in_use == m.capacity - 1 for m in menus)  # nearly full

    made = Menu.objects.get(made_for__isnull=False, municipality__code="272035")
    assert not made.is_open
    assert made.assignments.filter(case=made.made_for, status=Assignment.Status.ACTIVE).exists()


def test_profiles_assignments_and_sessions(seeded):
    today = timezone.localdate()
    active = Assignment.objects.filter(status=Assignment.Status.ACTIVE)
    assert active.filter(municipality__code="272035").exists()
    assert active.filter(municipality__code="322016").exists()
    for assignment in Assignment.objects.all():
        assert ParticipationProfile.objects.filter(case=assignment.case).exists()
        assert assignment.referral.status == Referral.Status.ACCEPTED
        assert assignment.referral.responded_by.username.endswith("-coordinator")
    for assignment in active:
        assert 3 <= assignment.logs.count() <= 6
        assert assignment.start_on < today
    assert Assignment.objects.filter(status=Assignment.Status.TRIAL).exists()
    assert Assignment.objects.filter(status=Assignment.Status.PROPOSED).exists()

    for log in SessionLog.objects.select_related("assignment"):
        assert log.assignment.start_on <= log.held_on <= today
        assert Weekday.values[log.held_on.weekday()] in log.assignment.menu.days
    assert SessionLog.objects.filter(attendance=SessionLog.Attendance.ABSENT).exists()
    present = SessionLog.objects.filter(attendance=SessionLog.Attendance.PRESENT).count()
    assert present > SessionLog.objects.count() / 2


def test_concern_goes_back_to_consultation(seeded):
    [log] = [log for log in SessionLog.objects.all() if log.concerns]
    assert log.concerns == [SessionLog.Concern.HEALTH]
    assert log.concern_note
    referral = log.referral
    assert referral.from_program == PARTICIPATION
    assert referral.to_program == CONSULTATION
    assert referral.status == Referral.Status.PROPOSED
    assert referral.case_id == log.assignment.case_id


def test_follow_ups(seeded):
    today = timezone.localdate()
    done = FollowUp.objects.get(done_on__isnull=False)
    assert done.host_feedback
    assert done.done_on <= today
    assert done.assignment.status == Assignment.Status.ACTIVE
    assert FollowUp.objects.filter(done_on__isnull=True, due_on__gt=today).exists()


def test_seeding_again_creates_nothing(seeded):
    models = (
        Provider,
        Menu,
        ParticipationProfile,
        Assignment,
        SessionLog,
        FollowUp,
        Referral,
    )
    before = {model: model.objects.count() for model in models}
    seed()
    assert {model: model.objects.count() for model in models} == before


def test_no_record_links_municipalities(seeded):
    for menu in Menu.objects.select_related("provider", "made_for"):
        assert menu.provider.municipality_id == menu.municipality_id
        if menu.made_for:
            assert menu.made_for.municipality_id == menu.municipality_id
    for profile in ParticipationProfile.objects.select_related("case"):
        assert profile.case.municipality_id == profile.municipality_id
    for a in Assignment.objects.select_related("case", "menu", "referral", "coordinator"):
        assert a.case.municipality_id == a.municipality_id
        assert a.menu.municipality_id == a.municipality_id
        assert a.referral.municipality_id == a.municipality_id
        assert a.referral.case_id == a.case_id
        membership = a.coordinator.memberships.get(is_active=True)
        assert membership.municipality_id == a.municipality_id
    for log in SessionLog.objects.select_related("assignment", "referral"):
        assert log.assignment.municipality_id == log.municipality_id
        if log.referral:
            assert log.referral.municipality_id == log.municipality_id
    for f in FollowUp.objects.select_related("assignment"):
        assert f.assignment.municipality_id == f.municipality_id


def test_the_coordinators_home_has_work_in_the_demo(seeded, client):
    """The next 定着 follow-up falls within the week: the coordinator's home shows it."""
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="a-coordinator"))
    html = client.get("/participation/home/").content.decode()
    follow_ups = html.split('id="home-follow-ups"')[1].split("</section>")[0]
    assert "<li>" in follow_ups
