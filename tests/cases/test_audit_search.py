"""Managers search their municipality's audit trail and export it."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from municipalities.audit import audit_write
from municipalities.models import AuditEvent

pytestmark = pytest.mark.django_db
URL = "/audit/"


def view_event(user, world, *, at=None, purpose=None):
    event = audit_write(
        user=user,
        municipality_id=world.case.municipality_id,
        action=AuditEvent.Action.VIEW,
        obj=world.case,
        case_id=world.case.pk,
        person_id=world.person.pk,
        detail={"purpose": purpose} if purpose else {},
    )
    if at is not None:
        AuditEvent.objects.filter(pk=event.pk).update(at=at)
    return event


def test_manager_finds_views_of_a_person_by_kana_newest_first(client, personas, world_a):
    view_event(personas.caseworker_a, world_a, purpose="虐待通報の確認")
    client.force_login(personas.manager_a)
    response = client.get(URL, {"person": "やまだ"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "山田 花子" in html
    assert "虐待通報の確認" in html
    assert "閲覧" in html
    rows = html.split('id="audit-results"')[1]
    assert rows.index("虐待通報の確認") < rows.index("</tbody>")


def test_filters_by_staff_action_and_dates(client, personas, world_a):
    old = timezone.now() - datetime.timedelta(days=400)
    view_event(personas.coordinator_a, world_a, at=old, purpose="昔の閲覧")
    view_event(personas.caseworker_a, world_a, purpose="今日の閲覧")
    client.force_login(personas.manager_a)
    html = client.get(URL, {"staff": personas.caseworker_a.pk}).content.decode()
    assert "今日の閲覧" in html
    assert "昔の閲覧" not in html
    start = (timezone.localdate() - datetime.timedelta(days=401)).isoformat()
    end = (timezone.localdate() - datetime.timedelta(days=399)).isoformat()
    html = client.get(URL, {"date_from": start, "date_to": end}).content.decode()
    assert "昔の閲覧" in html
    assert "今日の閲覧" not in html
    html = client.get(URL, {"action": "export", "person": "山田"}).content.decode()
    assert "該当する記録はありません" in html
    html = client.get(URL, {"person": str(world_a.person.pk)}).content.decode()
    assert "今日の閲覧" in html


def test_fiscal_years_are_offered_as_reiwa_labels(client, personas):
    client.force_login(personas.manager_a)
    html = client.get(URL).content.decode()
    assert "令和" in html
    assert "年度" in html


def test_bad_dates_get_a_japanese_message(client, personas):
    client.force_login(personas.manager_a)
    response = client.get(URL, {"date_from": "2026-05-01", "date_to": "2026-04-01"})
    assert response.status_code == 400
    assert "終了日が開始日より前です" in response.content.decode()


def test_other_municipalities_events_are_never_shown(client, personas, world_a, world_b):
    view_event(personas.caseworker_b, world_b, purpose="松江の閲覧")
    client.force_login(personas.manager_a)
    html = client.get(URL).content.decode()
    assert "松江の閲覧" not in html
    assert "松江 梅子" not in html
    html = client.get(URL, {"person": str(world_b.person.pk)}).content.decode()
    assert "松江" not in html.split('id="audit-results"')[1]


@pytest.mark.parametrize("persona", ["caseworker_a", "coordinator_a", "system_admin"])
def test_only_managers_search_the_audit_trail(client, personas, persona):
    client.force_login(personas.all()[persona])
    assert client.get(URL).status_code == 403


def test_the_search_and_the_export_are_audited(client, personas, world_a):
    view_event(personas.caseworker_a, world_a, purpose="=HYPERLINK(1)")
    client.force_login(personas.manager_a)
    client.get(URL, {"person": "やまだ"})
    search = AuditEvent.objects.filter(user=personas.manager_a, action="search").get()
    assert search.detail["filters"]["person"] == "やまだ"
    response = client.get(URL, {"person": "やまだ", "export": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert "山田 花子" in text
    assert "'=HYPERLINK(1)" in text
    export = AuditEvent.objects.get(user=personas.manager_a, action="export")
    assert export.detail["export"] == "audit_search"
    assert export.detail["rows"] >= 1


def test_query_count_is_constant_as_events_grow(
    client, personas, world_a, django_assert_num_queries
):
    client.force_login(personas.manager_a)

    def page_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL, {"person": "やまだ"}).status_code == 200
        return len(ctx.captured_queries)

    view_event(personas.caseworker_a, world_a)
    page_queries()  # renews the session (written at most once a minute)
    few = page_queries()
    for _ in range(60):
        view_event(personas.caseworker_a, world_a)
    assert page_queries() == few
    # session, user, membership, count, page of events (with staff), people's names,
    # the audit write of this search (head moved on, event, head signed), staff choices
    # (form); the session is not written (renewed less than a minute ago).
    with django_assert_num_queries(10):
        client.get(URL, {"person": "やまだ"})


def test_security_events_show_with_japanese_labels(client, personas, settings):
    from axes.models import AccessAttempt

    AccessAttempt.objects.create(
        username="caseworker_a",
        ip_address="10.0.0.1",
        user_agent="x",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
        get_data="",
        post_data="",
        http_accept="",
        path_info="/login/",
    )
    client.force_login(personas.manager_a)
    client.post(f"/staff/security/{personas.caseworker_a.pk}/unlock/")
    html = client.get(URL, {"staff": personas.manager_a.pk, "action": "update"}).content.decode()
    assert "アカウントのロック解除" in html
    assert "職員アカウント" in html
