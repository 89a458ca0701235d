"""Outreach (アウトリーチ等を通じた継続的支援): stages, contacts, the cadence flags on a
fixed date, the hand-over, access without consent, the statistics of a hand-built year,
and the pages' query counts."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.collaboration import services as collaboration_services
from cases.collaboration.services import AttendeeData, MeetingItemData
from cases.engine.flags import evaluate
from cases.models import Case, Flag, Meeting
from cases.statistics import Period
from community import services as community_services
from community.models import Concern
from municipalities.models import AuditEvent, Role
from outreach import services
from outreach.models import Contact, OutreachTarget, Stage
from outreach.statistics import outreach_sections
from portal.errors import CaseRuleError

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def days_ago(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


def new_target(personas, *, found=60, cadence=14, **extra) -> OutreachTarget:
    return services.target_create(
        user=personas.outreach_a,
        municipality=personas.municipality_a,
        description="○○地区の60代男性、郵便物がたまっている",
        source=OutreachTarget.Source.MINSEI,
        worker=personas.outreach_a,
        found_on=days_ago(found),
        cadence_days=cadence,
        **extra,
    )


def contact(personas, target, n, outcome=Contact.Outcome.ABSENT, method="visit", **extra):
    return services.contact_log(
        user=personas.outreach_a,
        target=target,
        contacted_on=days_ago(n),
        method=method,
        outcome=outcome,
        **extra,
    )


def flags(target) -> set[str]:
    return set(
        Flag.objects.filter(
            subject_type="outreach", subject_id=target.pk, resolved_at__isnull=True
        ).values_list("rule", flat=True)
    )


# --- stages and contacts ------------------------------------------------------------


def test_a_target_starts_found_and_a_contact_that_reaches_them_moves_it_to_contact(personas):
    target = new_target(personas)
    assert target.stage == Stage.FOUND
    assert target.next_contact_on == days_ago(60) + datetime.timedelta(days=14)
    contact(personas, target, 50, Contact.Outcome.ABSENT)
    target.refresh_from_db()
    assert target.stage == Stage.FOUND  # nobody answered: still only found
    assert target.failed_in_a_row == 1
    assert target.next_contact_on == days_ago(50) + datetime.timedelta(days=14)
    contact(personas, target, 40, Contact.Outcome.SPOKE_THROUGH_DOOR, next_planned_on=days_ago(30))
    target.refresh_from_db()
    assert target.stage == Stage.CONTACT
    assert target.stage_since == days_ago(40)
    assert target.failed_in_a_row == 0
    assert target.next_contact_on == days_ago(30)
    assert [c.to_stage for c in target.stage_changes.order_by("pk")] == ["found", "contact"]


def test_stages_move_with_a_reason_and_a_date_and_end_closes(personas):
    target = new_target(personas)
    services.stage_change(
        user=personas.outreach_a, target=target, to_stage=Stage.RELATIONSHIP, on=days_ago(10),
        reason="初めて対面できた",
    )  # fmt: skip
    target.refresh_from_db()
    assert (target.stage, target.stage_since) == (Stage.RELATIONSHIP, days_ago(10))
    services.stage_change(
        user=personas.outreach_a, target=target, to_stage=Stage.ENDED, on=TODAY, reason="転居"
    )
    target.refresh_from_db()
    assert target.closed_on == TODAY
    assert target.next_contact_on is None
    with pytest.raises(CaseRuleError):
        contact(personas, target, 0)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"to_stage": Stage.HANDED_OVER}, "つなぎ"),
        ({"to_stage": Stage.FOUND}, "すでに"),
        ({"on": TODAY + datetime.timedelta(days=1)}, "未来"),
        ({"on": days_ago(61)}, "前の日付"),
        ({"reason": "  "}, "理由"),
    ],
)
def test_bad_stage_changes_are_refused_and_nothing_is_saved(personas, changes, message):
    target = new_target(personas)
    fields = {"to_stage": Stage.CONTACT, "on": TODAY, "reason": "会えた", **changes}
    with pytest.raises(CaseRuleError) as refused:
        services.stage_change(user=personas.outreach_a, target=target, **fields)
    assert message in str(refused.value.message)
    target.refresh_from_db()
    assert target.stage == Stage.FOUND
    assert target.stage_changes.count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"contacted_on": TODAY + datetime.timedelta(days=1)}, "contacted_on"),
        ({"contacted_on": days_ago(61)}, "contacted_on"),
        ({"next_planned_on": days_ago(5)}, "next_planned_on"),
    ],
)
def test_bad_contacts_are_refused(personas, changes, field):
    target = new_target(personas)
    fields = {"contacted_on": days_ago(5), "method": "visit", "outcome": "met", **changes}
    with pytest.raises(CaseRuleError) as refused:
        services.contact_log(user=personas.outreach_a, target=target, **fields)
    assert refused.value.field == field
    assert not target.contacts.exists()


def test_only_outreach_staff_can_be_the_worker_and_only_a_support_meeting_is_a_basis(
    personas, world_a
):
    with pytest.raises(CaseRuleError) as refused:
        services.target_create(
            user=personas.outreach_a,
            municipality=personas.municipality_a,
            description="x",
            source="minsei",
            worker=personas.caseworker_a,
            found_on=TODAY,
        )
    assert refused.value.field == "worker"
    multiagency = Meeting.objects.filter(municipality=personas.municipality_a).first()
    assert multiagency.kind == Meeting.Kind.MULTIAGENCY
    with pytest.raises(CaseRuleError) as refused:
        new_target(personas, basis_meeting=multiagency)
    assert refused.value.field == "basis_meeting"
    with pytest.raises(CaseRuleError) as refused:
        new_target(personas, cadence=0)
    assert refused.value.field == "cadence_days"
    assert (
        not OutreachTarget.objects.filter(description__startswith="○○")
        .exclude(pk=world_a.target.pk)
        .exists()
    )


# --- cadence flags on a fixed date --------------------------------------------------


def test_a_contact_overdue_is_flagged_only_past_the_grace_days(
    personas, django_capture_on_commit_callbacks
):
    target = new_target(personas, found=60)
    contact(personas, target, 30, Contact.Outcome.MET, next_planned_on=days_ago(10))
    municipality = personas.municipality_a.pk
    # Planned 10 days ago, 3 days' grace: overdue as of today, not as of 7 days ago.
    evaluate(municipality, days_ago(7))
    assert "outreach_contact_overdue" not in flags(target)
    evaluate(municipality, days_ago(6))
    assert "outreach_contact_overdue" in flags(target)
    flag = Flag.objects.get(rule="outreach_contact_overdue", subject_id=target.pk)
    assert flag.assigned_to == personas.outreach_a
    assert flag.audience == Role.OUTREACH
    # A contact logged now clears it at once, before any scan.
    with django_capture_on_commit_callbacks(execute=True):
        contact(personas, target, 0, Contact.Outcome.LETTER_LEFT)
    assert "outreach_contact_overdue" not in flags(target)


def test_repeated_failed_attempts_suggest_a_support_meeting_until_one_is_held(personas, world_a):
    target = new_target(personas, found=60)
    for n in (50, 40, 30):
        contact(personas, target, n, Contact.Outcome.ABSENT)
    evaluate(personas.municipality_a.pk, TODAY)
    assert "outreach_attempts_failing" not in flags(target)  # 3 < 4
    contact(personas, target, 20, Contact.Outcome.REFUSED)
    evaluate(personas.municipality_a.pk, TODAY)
    assert "outreach_attempts_failing" in flags(target)
    # A 支援会議 decides to go on: held after the failures, it answers the flag.
    meeting = collaboration_services.meeting_record(
        user=personas.manager_a,
        municipality=personas.municipality_a,
        kind=Meeting.Kind.SUPPORT,
        held_on=days_ago(5),
        title="支援会議",
        attendees=[AttendeeData("長尾", "福祉部", None, True)],
        items=[MeetingItemData(case=world_a.case)],
    )
    OutreachTarget.objects.filter(pk=target.pk).update(basis_meeting=meeting)
    evaluate(personas.municipality_a.pk, TODAY)
    assert "outreach_attempts_failing" not in flags(target)


def test_a_consented_target_is_flagged_for_hand_over_and_the_hand_over_clears_it(personas, world_a):
    target = new_target(personas, found=60)
    contact(personas, target, 30, Contact.Outcome.MET)
    services.stage_change(
        user=personas.outreach_a, target=target, to_stage=Stage.CONSENT, on=days_ago(2),
        reason="本人が同意",
    )  # fmt: skip
    evaluate(personas.municipality_a.pk, TODAY)
    assert "outreach_consented" in flags(target)
    target.refresh_from_db()
    with pytest.raises(CaseRuleError):  # no name yet
        services.hand_over(user=personas.outreach_a, target=target, lead_agency=world_a.agency)
    services.target_name_person(
        user=personas.outreach_a, target=target, name="郵便 一郎", name_kana="ユウビン イチロウ"
    )
    target.refresh_from_db()
    case = services.hand_over(user=personas.outreach_a, target=target, lead_agency=world_a.agency)
    target.refresh_from_db()
    assert target.stage == Stage.HANDED_OVER
    assert target.case == case
    assert case.route.code == "outreach"
    assert case.lead_agency == world_a.agency
    assert case.person == target.person
    assert flags(target) == set()
    assert case.events.filter(kind="outreach_handed_over").exists()


def test_hand_over_is_refused_before_consent(personas, world_a):
    target = new_target(personas)
    with pytest.raises(CaseRuleError):
        services.hand_over(user=personas.outreach_a, target=target, lead_agency=world_a.agency)
    assert not Case.objects.filter(route__code="outreach").exists()


def test_the_case_page_shows_the_outreach_history_after_the_hand_over(client, personas, world_a):
    target = new_target(personas)
    contact(personas, target, 30, Contact.Outcome.MET, observed="居間で初めて対面した")
    OutreachTarget.objects.filter(pk=target.pk).update(stage=Stage.CONSENT, person=world_a.person)
    target.refresh_from_db()
    case = services.hand_over(user=personas.outreach_a, target=target, case=world_a.case)
    assert case == world_a.case
    client.force_login(personas.caseworker_a)
    html = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert "居間で初めて対面した" in html
    assert "アウトリーチ：訪問（会えた）" in html


def test_a_community_concern_becomes_a_target_instead_of_a_case(client, personas):
    concern = community_services.concern_record(
        user=personas.community_worker_a,
        municipality=personas.municipality_a,
        reporter_kind="minsei",
        subject_area="庄内西町",
        observation="雨戸が閉まったまま",
        urgency="soon",
    )
    client.force_login(personas.caseworker_a)
    page = client.get(reverse("community:concern_detail", args=[concern.pk])).content.decode()
    url = reverse("outreach:target_from_concern", args=[concern.pk])
    assert url in page
    response = client.post(url, {"worker": personas.outreach_a.pk, "cadence_days": 7})
    assert response.status_code == 302
    concern.refresh_from_db()
    assert concern.status == Concern.Status.OUTREACH
    target = OutreachTarget.objects.get(source_concern_id=concern.pk)
    assert "雨戸が閉まったまま" in target.description
    assert target.worker == personas.outreach_a
    assert target.cadence_days == 7
    # The concern is handled: a second time is refused with a message.
    response = client.post(url, {"worker": personas.outreach_a.pk, "cadence_days": 7})
    assert response.status_code == 400
    assert "対応済み" in response.content.decode()


# --- access ---------------------------------------------------------------------------


def test_without_consent_only_outreach_staff_the_office_and_meeting_members_see_a_target(
    client, personas, world_a
):
    target = new_target(personas)
    url = reverse("outreach:target_detail", args=[target.pk])
    for persona, status in (
        ("outreach_a", 200),
        ("manager_a", 200),
        ("multiagency_a", 200),
        ("caseworker_a", 404),
        ("other_agency_a", 404),
        ("coordinator_a", 404),
        ("community_worker_a", 404),
        ("caseworker_b", 404),
        ("system_admin", 404),
    ):
        client.force_login(personas.all()[persona])
        assert client.get(url).status_code == status, persona
    # A 支援会議 that the caseworker's agency attended, bound to secrecy, opens it to them.
    meeting = collaboration_services.meeting_record(
        user=personas.manager_a,
        municipality=personas.municipality_a,
        kind=Meeting.Kind.SUPPORT,
        held_on=TODAY,
        title="支援会議",
        attendees=[AttendeeData("石田", "包括", world_a.agency, True)],
        items=[MeetingItemData(case=world_a.case)],
    )
    OutreachTarget.objects.filter(pk=target.pk).update(basis_meeting=meeting)
    client.force_login(personas.caseworker_a)
    assert client.get(url).status_code == 200
    # … to read, not to write.
    response = client.post(
        reverse("outreach:contact_add", args=[target.pk]),
        {"contacted_on": TODAY, "method": "visit", "outcome": "met"},
    )
    assert response.status_code == 404
    client.force_login(personas.other_agency_a)
    assert client.get(url).status_code == 404


def test_every_look_at_a_target_is_audited(client, personas):
    target = new_target(personas)
    client.force_login(personas.outreach_a)
    client.get(reverse("outreach:target_detail", args=[target.pk]))
    client.get(reverse("outreach:target_list"))
    events = AuditEvent.objects.filter(user=personas.outreach_a, action=AuditEvent.Action.VIEW)
    assert events.filter(object_type="outreach.outreachtarget", object_id=str(target.pk)).exists()
    assert any(
        target.pk in (e.detail or {}).get("outreach_targets", [])
        for e in events.filter(object_type="")
    )


def test_the_contact_form_refuses_bad_input_with_a_japanese_message(client, personas):
    target = new_target(personas)
    client.force_login(personas.outreach_a)
    url = reverse("outreach:contact_add", args=[target.pk])
    for data, message in (
        ({"contacted_on": "", "method": "visit", "outcome": "met"}, "必須"),
        ({"contacted_on": TODAY, "method": "carrier-pigeon", "outcome": "met"}, "正しく選択"),
        (
            {"contacted_on": TODAY, "method": "visit", "outcome": "met", "next_planned_on": TODAY},
            "今回の接触日より後",
        ),
    ):
        response = client.post(url, data)
        assert response.status_code == 400
        assert message in response.content.decode()
    assert not target.contacts.exists()
    assert client.get(url).status_code == 405


# --- statistics of a hand-built year ------------------------------------------------


def test_the_statistics_of_a_hand_built_year(personas, world_a):
    fy = 2026 if datetime.date(2026, 4, 1) <= TODAY else 2025
    period = Period.of(fy)
    start = period.start
    # Worked on: A (contacts), B (found in the year), not C (nothing in the year).
    a = new_target(personas, found=(TODAY - start).days)  # found on the first day
    OutreachTarget.objects.filter(pk=world_a.target.pk).delete()  # world's: not counted here
    contact(personas, a, (TODAY - start).days - 3, Contact.Outcome.ABSENT)
    contact(personas, a, (TODAY - start).days - 10, Contact.Outcome.MET, method="phone")
    services.stage_change(
        user=personas.outreach_a, target=a, to_stage=Stage.CONSENT,
        on=start + datetime.timedelta(days=20), reason="同意",
    )  # fmt: skip
    OutreachTarget.objects.filter(pk=a.pk).update(person=world_a.person)
    a.refresh_from_db()
    services.hand_over(user=personas.outreach_a, target=a, case=world_a.case)
    # hand_over dates the つなぎ today; put it 30 days after the finding.
    a.stage_changes.filter(to_stage=Stage.HANDED_OVER).update(
        changed_on=start + datetime.timedelta(days=30)
    )
    new_target(personas, found=1)  # B: found in the year, nothing else
    c = new_target(personas, found=(TODAY - start).days + 30)  # found before the year
    OutreachTarget.objects.filter(pk=c.pk).update(found_on=start - datetime.timedelta(days=30))
    c.stage_changes.update(changed_on=start - datetime.timedelta(days=30))
    tables = {t.key: t for t in outreach_sections(personas.municipality_a.pk, period)}
    summary = {str(row[0]): row[1] for row in tables["outreach"].rows}
    assert summary["対象者数"] == 2
    assert summary["つなぎ"] == 1  # stage reached: A handed over
    assert summary["把握"] == 1  # B
    assert summary["延べ接触数"] == 2
    assert summary["つなぎ件数"] == 1
    assert summary["把握からつなぎまでの日数（中央値）"] == 30
    by_method = {(r[0], r[1]): r[2] for r in tables["outreach_contacts"].rows}
    assert by_method == {("訪問", "不在"): 1, ("電話", "会えた"): 1}


# --- query counts -----------------------------------------------------------------------


def test_the_register_and_the_target_page_take_a_fixed_number_of_queries(
    client, personas, django_assert_num_queries
):
    target = new_target(personas)
    client.force_login(personas.outreach_a)
    client.get(reverse("outreach:target_list"))  # warm the session

    def counts() -> tuple[int, int]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as register:
            assert client.get(reverse("outreach:target_list")).status_code == 200
        with CaptureQueriesContext(connection) as page:
            url = reverse("outreach:target_detail", args=[target.pk])
            assert client.get(url).status_code == 200
        return len(register), len(page)

    before = counts()
    for n in range(20):
        other = new_target(personas)
        contact(personas, other, 10, Contact.Outcome.MET)
        contact(personas, target, 50 - n, Contact.Outcome.ABSENT)
    assert counts() == before
    with django_assert_num_queries(before[1]):
        client.get(reverse("outreach:target_detail", args=[target.pk]))


def test_outreach_staff_land_on_their_visits(client, personas):
    client.force_login(personas.outreach_a)
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == reverse("outreach:home")
    assert client.get(response.url).status_code == 200


def test_the_registration_and_hand_over_pages_refuse_bad_input(client, personas, world_a):
    client.force_login(personas.outreach_a)
    url = reverse("outreach:target_add")
    good = {
        "description": "○○地区の60代男性",
        "source": "agency",
        "source_agency": world_a.agency.pk,
        "worker": personas.outreach_a.pk,
        "found_on": TODAY,
        "cadence_days": 14,
    }
    before = OutreachTarget.objects.count()
    for change, message in (
        ({"description": ""}, "必須"),
        ({"source_agency": ""}, "情報提供元の関係機関を選んでください"),
        ({"worker": personas.caseworker_a.pk}, "正しく選択"),  # not outreach staff
        ({"found_on": TODAY + datetime.timedelta(days=1)}, "未来"),
        ({"cadence_days": 0}, "1 以上"),
        ({"source": "rumour"}, "正しく選択"),
    ):
        response = client.post(url, {**good, **change})
        assert response.status_code == 400, change
        assert message in response.content.decode(), change
    assert OutreachTarget.objects.count() == before
    assert client.post(url, good).status_code == 302
    # The hand-over page: no agency and no case chosen.
    target = new_target(personas)
    OutreachTarget.objects.filter(pk=target.pk).update(stage=Stage.CONSENT, person=world_a.person)
    response = client.post(reverse("outreach:hand_over", args=[target.pk]), {"lead_agency": ""})
    assert response.status_code == 400
    assert "引き継ぐ機関を選んでください" in response.content.decode()
    target.refresh_from_db()
    assert target.stage == Stage.CONSENT
