"""Each role lands on its work after login, and the menu is grouped by 事業 and task with
the current place marked."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Referral, SupportPlan
from community.models import Concern, Place
from participation.models import Assignment, FollowUp

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.mark.parametrize(
    ("persona", "home"),
    [
        ("caseworker_a", "/cases/"),
        ("other_agency_a", "/cases/"),
        ("manager_a", "/cases/office/"),
        ("multiagency_a", "/cases/office/"),
        ("coordinator_a", "/participation/home/"),
        ("community_worker_a", "/community/home/"),
    ],
)
def test_each_role_lands_on_its_work(client, personas, world_a, persona, home):
    client.force_login(personas.all()[persona])
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == home
    assert client.get(home).status_code == 200
    # The profile stays one click away (the municipality's name in the header).
    page = client.get("/me/").content.decode()
    assert 'href="/me/"' in page
    assert str(personas.municipality_a.name) in page


def test_the_system_administrator_stays_on_the_roster(client, personas):
    client.force_login(personas.system_admin)
    assert client.get("/").status_code == 200


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("/cases/office/", {"manager_a", "multiagency_a"}),
        ("/participation/home/", {"coordinator_a", "manager_a"}),
        ("/community/home/", {"community_worker_a", "manager_a"}),
    ],
)
def test_homes_are_for_their_roles_only(client, personas, world_a, url, allowed):
    for name, user in personas.all().items():
        client.force_login(user)
        status = client.get(url).status_code
        if name in allowed:
            assert status == 200, name
        else:
            assert status in (403, 404), name


def queries_do_not_grow(client, url, add_rows, assert_max) -> None:
    """The page reads the same number of queries after ``add_rows`` added more."""
    client.get(url)
    with assert_max(20) as first:
        client.get(url)
    add_rows()
    with assert_max(len(first.captured_queries)):
        assert client.get(url).status_code == 200


# --- the office's home -------------------------------------------------------------------


def test_the_office_sees_the_municipality_not_its_own_cases(client, personas, world_a, world_b):
    Referral.objects.filter(pk=world_a.referral.pk).update(
        status=Referral.Status.PROPOSED, acknowledge_by=TODAY() - datetime.timedelta(days=3)
    )
    SupportPlan.objects.filter(pk=world_a.plan.pk).update(
        status=SupportPlan.Status.DECIDED, review_on=TODAY() - datetime.timedelta(days=5)
    )
    client.force_login(personas.manager_a)
    html = client.get("/cases/office/").content.decode()
    by_agency = re.search(r'id="caseload-agencies".*?</section>', html, re.S).group(0)
    assert world_a.agency.name in by_agency
    by_staff = re.search(r'id="caseload-staff".*?</section>', html, re.S).group(0)
    assert str(personas.caseworker_a) in by_staff
    late = re.search(r'id="referrals-late".*?</section>', html, re.S).group(0)
    assert world_a.case.number in late
    reviews = re.search(r'id="reviews-overdue".*?</section>', html, re.S).group(0)
    assert world_a.case.number in reviews
    assert 'id="emergency-looks"' in html  # the world's emergency look
    # Nothing of the other municipality (both number their cases from 2026-00001).
    assert world_b.person.name not in html
    assert world_b.agency.name not in html
    assert str(personas.caseworker_b) not in html


def test_the_office_home_reads_a_fixed_number_of_queries(
    client, personas, world_a, django_assert_max_num_queries
):
    from cases.core import case_open

    def more_cases():
        for _ in range(5):
            case_open(user=personas.caseworker_a, person=world_a.person, route=world_a.case.route)

    client.force_login(personas.manager_a)
    queries_do_not_grow(client, "/cases/office/", more_cases, django_assert_max_num_queries)


# --- the coordinator's home -----------------------------------------------------------


def test_the_coordinator_sees_logs_and_follow_ups_due(client, personas, world_a):
    Assignment.objects.filter(pk=world_a.assignment.pk).update(
        status=Assignment.Status.ACTIVE, coordinator=personas.coordinator_a
    )
    world_a.assignment.logs.all().delete()
    FollowUp.objects.filter(pk=world_a.follow_up.pk).update(
        due_on=TODAY() - datetime.timedelta(days=1), done_on=None
    )
    client.force_login(personas.coordinator_a)
    html = client.get("/participation/home/").content.decode()
    name = world_a.assignment.case.person.name
    logs = re.search(r'id="home-logs-due".*?</section>', html, re.S).group(0)
    assert name in logs
    follow_ups = re.search(r'id="home-follow-ups".*?</section>', html, re.S).group(0)
    assert name in follow_ups
    # A session logged today takes the assignment off the list.
    from participation import services

    services.session_log(
        user=personas.coordinator_a,
        assignment=world_a.assignment,
        held_on=TODAY(),
        attendance="present",
    )
    html = client.get("/participation/home/").content.decode()
    logs = re.search(r'id="home-logs-due".*?</section>', html, re.S).group(0)
    assert name not in logs


def test_the_coordinator_home_reads_a_fixed_number_of_queries(
    client, personas, world_a, django_assert_max_num_queries
):
    def more_follow_ups():
        for n in range(3):
            FollowUp.objects.create(
                municipality=personas.municipality_a,
                assignment=world_a.assignment,
                due_on=TODAY() - datetime.timedelta(days=n),
            )

    client.force_login(personas.coordinator_a)
    url = "/participation/home/"
    queries_do_not_grow(client, url, more_follow_ups, django_assert_max_num_queries)


# --- the community worker's home ------------------------------------------------------


def test_the_community_worker_sees_their_concerns_and_places_due(client, personas, world_a):
    Concern.objects.filter(pk=world_a.concern.pk).update(reported_by=personas.community_worker_a)
    Place.objects.filter(pk=world_a.place.pk).update(status=Place.Status.ACTIVE)
    world_a.place.records.all().delete()
    client.force_login(personas.community_worker_a)
    html = client.get("/community/home/").content.decode()
    concerns = re.search(r'id="home-concerns".*?</section>', html, re.S).group(0)
    assert world_a.concern.get_status_display() in concerns
    places = re.search(r'id="home-places-due".*?</section>', html, re.S).group(0)
    assert world_a.place.name in places
    # They never see the case their concern became.
    assert world_a.case.number not in html
    # What the page listed is audited.
    from municipalities.models import AuditEvent

    event = AuditEvent.objects.filter(detail__page="community_home").latest("pk")
    assert event.user == personas.community_worker_a
    assert event.detail["concerns"] == [world_a.concern.pk]


def test_the_community_home_reads_a_fixed_number_of_queries(
    client, personas, world_a, django_assert_max_num_queries
):
    def more_places():
        for n in range(3):
            Place.objects.create(
                municipality=personas.municipality_a,
                name=f"新しい居場所{n}",
                kind=world_a.place.kind,
                organiser="自治会",
                area="北部",
            )

    client.force_login(personas.community_worker_a)
    queries_do_not_grow(client, "/community/home/", more_places, django_assert_max_num_queries)


# --- the menu -----------------------------------------------------------------------


def nav(html: str) -> str:
    return re.search(r'<nav class="site-nav".*?</nav>', html, re.S).group(0)


def test_the_menu_is_grouped_and_marks_where_the_user_is(client, personas, world_a):
    client.force_login(personas.manager_a)
    html = client.get(reverse("cases:flag_detail", args=[world_a.flag.pk])).content.decode()
    menu = nav(html)
    groups = re.findall(r'class="nav-group-title"[^>]*>([^<]+)<', menu)
    assert groups == ["相談支援", "多機関協働", "参加支援", "地域づくり", "アウトリーチ", "管理"]
    current = re.findall(r'<a href="([^"]+)" aria-current="page">', menu)
    assert current == [reverse("cases:flag_queue")]  # a flag belongs under the flag queue
    assert '<a class="skip-link" href="#main">' in html
    assert 'id="main"' in html


def test_each_role_sees_only_its_links(client, personas, world_a):
    client.force_login(personas.coordinator_a)
    menu = nav(client.get("/participation/home/").content.decode())
    assert reverse("participation:inbox") in menu
    for hidden in ("cases:intake", "cases:statistics", "community:concern_add"):
        assert reverse(hidden) not in menu
    client.force_login(personas.caseworker_a)
    menu = nav(client.get("/cases/").content.decode())
    assert reverse("cases:intake") in menu
    for hidden in ("cases:statistics", "participation:inbox", "audit_search"):
        assert reverse(hidden) not in menu
