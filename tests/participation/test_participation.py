"""Participation support: access, capacity, the concern → consultation loop, pages."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cases.collaboration import services as collaboration_services
from cases.core import services as core_services
from cases.models import Referral
from municipalities.models import AuditEvent
from participation import services
from participation.models import Assignment, Menu, SessionLog
from portal.errors import CaseRuleError
from tests.markup import old_and_new

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def new_referral(world, personas, *, accept=True, plan=True):
    from cases.models import ContactRoute
    from tests.worlds import master

    case = core_services.case_open(
        user=personas.caseworker_a, person=world.person, route=master(ContactRoute, "self")
    )
    referral = collaboration_services.referral_create(
        user=personas.caseworker_a,
        case=case,
        from_program="consultation",
        to_program="participation",
        reason="居場所を探す",
    )
    if accept:
        collaboration_services.referral_respond(
            user=personas.coordinator_a, referral=referral, accept=True
        )
    if plan:
        from tests.worlds import decide_participation_plan

        decide_participation_plan(personas.caseworker_a, case)
    return Referral.objects.get(pk=referral.pk)


# --- capacity -----------------------------------------------------------------------


def test_capacity_is_never_exceeded(personas, world_a):
    menu = world_a.menu  # capacity 2, one active already
    second = services.assignment_propose(
        user=personas.coordinator_a, referral=new_referral(world_a, personas), menu=menu
    )
    services.assignment_change_status(
        user=personas.coordinator_a, assignment=second, to_status="trial"
    )
    third = services.assignment_propose(
        user=personas.coordinator_a, referral=new_referral(world_a, personas), menu=menu
    )
    with pytest.raises(CaseRuleError, match="空き"):
        services.assignment_change_status(
            user=personas.coordinator_a, assignment=third, to_status="active"
        )
    third.refresh_from_db()
    assert third.status == "proposed"
    # Ending one frees a place.
    services.assignment_change_status(
        user=personas.coordinator_a, assignment=second, to_status="ended", reason="本人の希望"
    )
    services.assignment_change_status(
        user=personas.coordinator_a, assignment=third, to_status="active"
    )
    assert Assignment.objects.filter(menu=menu, status__in=["trial", "active"]).count() == 2


def test_capacity_cannot_be_lowered_below_participants(personas, world_a):
    with pytest.raises(CaseRuleError):
        services.menu_save(
            user=personas.coordinator_a,
            municipality=personas.municipality_a,
            menu=world_a.menu,
            capacity=0 + 0,
        )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_coordinators_taking_the_last_place_at_once(personas):
    """On PostgreSQL the menu row lock serialises them; one gets a clear message."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite serialises all writes anyway")
    from tests.worlds import build_world

    world = build_world(
        personas.municipality_a,
        personas.caseworker_a,
        personas.coordinator_a,
        personas.community_worker_a,
        name="並行 太郎",
        kana="ヘイコウ タロウ",
    )
    menu = world.menu  # capacity 2, one active
    proposals = [
        services.assignment_propose(
            user=personas.coordinator_a, referral=new_referral(world, personas), menu=menu
        )
        for _ in range(2)
    ]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def take(assignment):
        from django.db import connection as thread_connection

        try:
            barrier.wait(timeout=10)
            services.assignment_change_status(
                user=personas.coordinator_a, assignment=assignment, to_status="active"
            )
            outcomes.append("ok")
        except CaseRuleError as exc:
            outcomes.append(exc.message)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=take, args=(a,)) for a in proposals]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes, key=lambda o: o != "ok")[0] == "ok"
    assert len(outcomes) == 2
    assert outcomes.count("ok") == 1
    assert any("空き" in o for o in outcomes if o != "ok")
    assert Assignment.objects.filter(menu=menu, status__in=["trial", "active"]).count() == 2


# --- the concern → consultation loop --------------------------------------------------


def test_a_session_concern_becomes_a_referral_to_consultation(client, personas, world_a):
    log = services.session_log(
        user=personas.coordinator_a,
        assignment=world_a.assignment,
        held_on=TODAY(),
        attendance="present",
        observation="作業中に何度も休憩",
        concerns=["health"],
        concern_note="顔色が悪く、食事をとれていないと話した",
    )
    referral = log.referral
    assert referral.from_program == "participation"
    assert referral.to_program == "consultation"
    assert "顔色が悪く" in referral.reason
    assert referral.status == "proposed"
    # A second concern joins the same open referral instead of piling up.
    log2 = services.session_log(
        user=personas.coordinator_a,
        assignment=world_a.assignment,
        held_on=TODAY(),
        attendance="absent",
        concerns=["motivation"],
    )
    assert log2.referral_id == referral.pk
    # The caseworker sees it on the dashboard and on the case page.
    client.force_login(personas.caseworker_a)
    dashboard = client.get(reverse("cases:dashboard")).content.decode()
    assert "参加支援事業" in dashboard
    case_page = client.get(
        reverse("cases:case_detail", args=[world_a.assignment.case_id])
    ).content.decode()
    assert "顔色が悪く" in case_page
    assert "パン工房の体験" in case_page


def _in_days(days: int):
    """A day ``days`` from today, taken when the test runs: a date taken when the tests
    are collected is today's for a run that passes midnight in Japan."""
    return lambda: TODAY() + datetime.timedelta(days=days)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"held_on": _in_days(1)}, "前"),
        ({"held_on": _in_days(-60)}, "開始"),
        ({"attendance": "sleeping"}, "出欠"),
        ({"concerns": ["aliens"]}, "不明"),
    ],
)
def test_bad_session_logs_are_refused(personas, world_a, kwargs, message):
    kwargs = {key: value() if callable(value) else value for key, value in kwargs.items()}
    data = {"held_on": TODAY(), "attendance": "present", **kwargs}
    with pytest.raises(CaseRuleError, match=message):
        services.session_log(user=personas.coordinator_a, assignment=world_a.assignment, **data)
    assert not SessionLog.objects.exists()


def test_only_coordinators_and_managers_write(personas, world_a):
    for user in (personas.caseworker_a, personas.community_worker_a, personas.system_admin):
        with pytest.raises(CaseRuleError):
            services.session_log(
                user=user, assignment=world_a.assignment, held_on=TODAY(), attendance="present"
            )


def test_made_to_order_menu_needs_an_accepted_referral(personas, world_a):
    pending = new_referral(world_a, personas, accept=False)
    with pytest.raises(CaseRuleError):
        services.menu_save(
            user=personas.coordinator_a,
            municipality=personas.municipality_a,
            made_for=pending.case,
            provider=world_a.provider,
            name="専用",
            description="x",
            kind="other",
            capacity=1,
        )
    accepted = new_referral(world_a, personas)
    menu = services.menu_save(
        user=personas.coordinator_a,
        municipality=personas.municipality_a,
        made_for=accepted.case,
        provider=world_a.provider,
        name="専用メニュー",
        description="x",
        kind="other",
        capacity=1,
    )
    assert menu.made_for == accepted.case
    assert not menu.is_open


def test_assignment_status_rules(personas, world_a):
    with pytest.raises(CaseRuleError, match="移行できません"):
        services.assignment_change_status(
            user=personas.coordinator_a, assignment=world_a.assignment, to_status="proposed"
        )
    with pytest.raises(CaseRuleError, match="終了の理由"):
        services.assignment_change_status(
            user=personas.coordinator_a, assignment=world_a.assignment, to_status="ended"
        )


# --- pages --------------------------------------------------------------------------


def test_catalogue_is_open_to_all_staff_with_filters(client, personas, world_a):
    for persona in ("caseworker_a", "coordinator_a", "community_worker_a", "manager_a"):
        client.force_login(personas.all()[persona])
        html = client.get(reverse("participation:catalogue")).content.decode()
        assert "パン工房の体験" in html, persona
    client.force_login(personas.coordinator_a)
    url = reverse("participation:catalogue")
    assert "パン工房" in client.get(url, {"accommodation": "short_hours"}).content.decode()
    assert "パン工房" not in client.get(url, {"accommodation": "wheelchair"}).content.decode()
    assert "パン工房" not in client.get(url, {"kind": "hobby"}).content.decode()
    assert "パン工房" in client.get(url, {"q": "ベーカリー"}).content.decode()
    client.force_login(personas.system_admin)
    assert client.get(url).status_code == 403


def test_catalogue_query_count_is_constant(client, personas, world_a, django_assert_num_queries):
    client.force_login(personas.coordinator_a)
    url = reverse("participation:catalogue")
    client.get(url)
    # session, user, membership (the session, renewed under a minute ago, is not written),
    # areas, menus (+provider, made_for, places in use)
    with django_assert_num_queries(5):
        client.get(url)
    for i in range(5):
        services.menu_save(
            user=personas.coordinator_a,
            municipality=personas.municipality_a,
            provider=world_a.provider,
            name=f"追加メニュー{i}",
            description="x",
            kind="hobby",
            capacity=3,
            area=f"地区{i}",
        )
    # Everything a row shows comes with the menus' one statement: a made-to-order menu,
    # its accommodations, its provider and the places in use.
    Menu.objects.filter(name="追加メニュー0").update(
        made_for=world_a.case, accommodations=["short_hours"]
    )
    with django_assert_num_queries(5):
        html = client.get(url).content.decode()
    assert html.count("追加メニュー") >= 5
    assert "オーダーメイド" in html
    assert html.count(world_a.provider.name) >= 6


def test_inbox_query_count_is_constant(client, personas, world_a, django_assert_num_queries):
    client.force_login(personas.coordinator_a)
    url = reverse("participation:inbox")
    client.get(url)
    # session, user, membership (the session, renewed under a minute ago, is not written),
    # referrals (+case, person, agencies, sender), audit write (head moved on, event, head signed)
    with django_assert_num_queries(7):
        client.get(url)
    for _ in range(3):
        new_referral(world_a, personas, accept=False)
    with django_assert_num_queries(7):
        html = client.get(url).content.decode()
    assert html.count("山田 花子") >= 3


def test_menu_participants_are_shown_to_coordinators_only(client, personas, world_a):
    url = reverse("participation:menu_detail", args=[world_a.menu.pk])
    client.force_login(personas.coordinator_a)
    assert "山田 次郎" in client.get(url).content.decode()
    client.force_login(personas.community_worker_a)
    html = client.get(url).content.decode()
    assert "山田 次郎" not in html
    assert "パン工房の体験" in html


def test_matching_page_ranks_and_proposes(client, personas, world_a):
    referral = new_referral(world_a, personas)
    client.force_login(personas.coordinator_a)
    url = reverse("participation:matching", args=[referral.pk])
    response = client.post(
        url, {"interests": "料理、パン", "area": "中部", "days": ["mon"], "needs": ["short_hours"]}
    )
    assert response.status_code == 302
    html = client.get(url).content.decode()
    assert "パン工房の体験" in html
    assert "興味：料理" in html
    assert AuditEvent.objects.filter(
        user=personas.coordinator_a, action="view", case_id=referral.case_id
    ).exists()
    response = client.post(
        reverse("participation:propose", args=[referral.pk]), {"menu": world_a.menu.pk}
    )
    assert response.status_code == 302
    assert Assignment.objects.filter(case=referral.case, status="proposed").exists()


def test_caseworker_reads_an_assignment_but_cannot_change_it(client, personas, world_a):
    client.force_login(personas.caseworker_a)
    url = reverse("participation:assignment_detail", args=[world_a.assignment.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        reverse("participation:session_log_add", args=[world_a.assignment.pk]),
        {"held_on": TODAY().isoformat(), "attendance": "present"},
    )
    assert response.status_code == 404
    client.force_login(personas.community_worker_a)
    assert client.get(url).status_code == 404


def test_session_log_form_errors_are_japanese_and_nothing_is_saved(client, personas, world_a):
    client.force_login(personas.coordinator_a)
    url = reverse("participation:session_log_add", args=[world_a.assignment.pk])
    response = client.post(url, {"held_on": "2099-01-01", "attendance": "present"})
    assert response.status_code == 400
    assert "前に記録" in response.content.decode() or "未来" in response.content.decode()
    response = client.post(url, {"held_on": "not a date", "attendance": "present"})
    assert response.status_code == 400
    assert "日付を正しく入力してください" in response.content.decode()
    assert not SessionLog.objects.exists()


def test_menu_form_rejects_bad_input(client, personas, world_a):
    client.force_login(personas.coordinator_a)
    url = reverse("participation:menu_new")
    data = {
        "provider": world_a.provider.pk,
        "name": "新メニュー",
        "kind": "hobby",
        "description": "説明",
        "capacity": "0",
        "status": "active",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    response = client.post(url, {**data, "capacity": "2", "days": ["funday"]})
    assert response.status_code == 400
    assert not Menu.objects.filter(name="新メニュー").exists()
    response = client.post(
        url, {**data, "capacity": "2", "days": ["mon", "fri"], "interests": "手芸、 音楽"}
    )
    assert response.status_code == 302
    menu = Menu.objects.get(name="新メニュー")
    assert menu.days == ["mon", "fri"]
    assert menu.interests == ["手芸", "音楽"]


def _succeeds(write) -> bool:
    """Whether the service accepts the write (rolled back either way)."""
    from django.db import transaction

    try:
        with transaction.atomic():
            write()
            transaction.set_rollback(True)
    except CaseRuleError:
        return False
    return True


@pytest.mark.parametrize("status", [s.value for s in Assignment.Status])
def test_assignment_page_offers_the_writes_the_services_accept(client, personas, world_a, status):
    """The session-log and follow-up forms are on the page exactly when session_log and
    follow_up_schedule accept the write: both ask the same predicate."""
    Assignment.objects.filter(pk=world_a.assignment.pk).update(status=status)
    assignment = Assignment.objects.get(pk=world_a.assignment.pk)
    can_log = services.assignment_can_log_session(assignment)
    can_follow_up = services.assignment_can_schedule_follow_up(assignment)
    assert can_log == (status in ("trial", "active", "paused"))
    assert can_follow_up == (status in ("active", "paused", "ended"))

    client.force_login(personas.coordinator_a)
    html = client.get(
        reverse("participation:assignment_detail", args=[assignment.pk])
    ).content.decode()
    log_url = reverse("participation:session_log_add", args=[assignment.pk])
    follow_up_url = reverse("participation:follow_up_add", args=[assignment.pk])
    assert (log_url in html, follow_up_url in html) == (can_log, can_follow_up)

    user = personas.coordinator_a
    logged = _succeeds(
        lambda: services.session_log(
            user=user, assignment=assignment, held_on=TODAY(), attendance="present"
        )
    )
    scheduled = _succeeds(
        lambda: services.follow_up_schedule(
            user=user, assignment=assignment, due_on=TODAY() + datetime.timedelta(days=7)
        )
    )
    assert (logged, scheduled) == (can_log, can_follow_up)


def test_inbox_offers_matching_only_for_referrals_a_menu_can_be_proposed_for(
    client, personas, world_a
):
    waiting = new_referral(world_a, personas, accept=False)
    accepted = Referral.objects.get(
        case=world_a.assignment.case, to_program="participation", status="accepted"
    )
    assert not services.referral_can_match(waiting)
    assert services.referral_can_match(accepted)
    client.force_login(personas.coordinator_a)
    html = client.get(reverse("participation:inbox")).content.decode()
    assert reverse("participation:matching", args=[accepted.pk]) in html
    assert reverse("participation:matching", args=[waiting.pk]) not in html
    with pytest.raises(CaseRuleError):
        services.assignment_propose(
            user=personas.coordinator_a, referral=waiting, menu=world_a.menu
        )


# The markup of the ``{% include %}`` the tag replaced, to compare with.
OLD_MENU_BADGES = (
    '{% load i18n %}<span class="badge">{{ menu.get_kind_display }}</span>'
    '{% if menu.made_for_id %}<span class="badge primary">{% translate "made to order" %}'
    '</span>{% endif %}{% if menu.status != "active" %}<span class="badge warn">'
    "{{ menu.get_status_display }}</span>{% endif %}"
)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_menu_badges_are_the_markup_of_the_include_they_replaced(world_a, language):
    from django.utils import translation

    old, new = old_and_new(OLD_MENU_BADGES, "{% load menu_badges %}{% menu_badges menu %}")
    menu = world_a.menu
    seen = set()
    with translation.override(language):
        for kind in Menu.Kind.values:
            for status in Menu.Status.values:
                for made_for_id in (None, world_a.case.pk):
                    menu.kind, menu.status, menu.made_for_id = kind, status, made_for_id
                    rendered = new.render({"menu": menu})
                    assert rendered == old.render({"menu": menu})
                    seen.add(rendered.count("<span"))
    assert seen == {1, 2, 3}


# The catalogue's row as its template wrote it before ``menu_row``, to compare with.
OLD_MENU_ROW = (
    "{% load i18n %}{% for menu in menus %}\n"
    "      <tr>\n"
    "        <td><a href=\"{% url 'participation:menu_detail' menu.pk %}\">{{ menu.name }}</a> "
    + OLD_MENU_BADGES.removeprefix("{% load i18n %}")
    + "</td>\n"
    '        <td>{{ menu.provider }}</td><td>{{ menu.area|default:"—" }}</td>'
    '<td>{{ menu.schedule|default:"—" }}</td>\n'
    "        <td>{{ menu.in_use }}/{{ menu.capacity }}{% if menu.in_use >= menu.capacity %} "
    '<span class="badge warn">{% translate "full" %}</span>{% endif %}</td>\n'
    "        <td>{% for label in menu.accommodation_labels %}"
    '<span class="badge ok">{{ label }}</span>{% endfor %}</td>\n'
    "      </tr>\n    {% endfor %}"
)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_catalogue_row_is_the_markup_of_the_template_it_replaced(world_a, language):
    """Menus full or with places, with and without accommodations, area or schedule,
    made to order or not, with names that need escaping: the row written in Python is
    the row the template wrote."""
    from django.utils import translation

    from participation.models import Provider

    old, new = old_and_new(
        OLD_MENU_ROW, "{% load menu_badges %}{% for menu in menus %}{% menu_row menu %}{% endfor %}"
    )
    provider = Provider(pk=3, name="NPO <とよなか> & 仲間")
    menus = []
    for i, (in_use, capacity) in enumerate([(0, 3), (3, 3), (4, 3)]):
        for accommodations in ([], ["short_hours", "wheelchair"]):
            menu = Menu(
                pk=10 + len(menus),
                name=f"パン & <工房> {i}",
                kind=Menu.Kind.values[i % len(Menu.Kind.values)],
                status=Menu.Status.values[i % len(Menu.Status.values)],
                provider=provider,
                area="" if i == 0 else "庄内",
                schedule="" if accommodations else "13:00〜16:00 <午後>",
                capacity=capacity,
                accommodations=accommodations,
            )
            menu.in_use = in_use
            menu.made_for_id = world_a.case.pk if i == 1 else None
            menus.append(menu)
    with translation.override(language):
        assert new.render({"menus": menus}) == old.render({"menus": menus})
