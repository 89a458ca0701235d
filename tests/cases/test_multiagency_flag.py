"""Who is told that a case needs 多機関協働 (the ``needs_multiagency`` flag): the office
(managers and the 多機関協働 team) sees every flag; the staff of the case's lead agency
(主担当機関), whose hand-over or 支援会議 it suggests, see it too, in their queue and on
its page, whoever of them is assigned; staff of an agency merely involved in the case or
not on it at all do not. Hand-built cases: with the person's consent the flag suggests
the hand-over, without it a 支援会議."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.core import services as core_services
from cases.core.sharing import case_agency_add
from cases.engine.flags import evaluate
from cases.engine.queries import flag_queue
from cases.models import ContactRoute, Flag, IssueCategory, Referral
from cases.programs import MULTIAGENCY
from municipalities.models import Role
from municipalities.scoping import active_membership
from tests.factories import MembershipFactory
from tests.worlds import consent_given, master

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate
D = datetime.timedelta


def tangled_case(personas, name: str, *, consent: bool, agencies=()):
    """A case of caseworker A's agency (its lead agency), open three weeks, with issues
    of the elderly and the needy persons' fields; with ``consent``, the person's consent
    to a 重層的支援会議 naming ``agencies``."""
    user = personas.caseworker_a
    person = core_services.person_create(
        user=user, municipality=personas.municipality_a, name=name, name_kana="タキカン"
    )
    case = core_services.case_open(
        user=user,
        person=person,
        route=master(ContactRoute, "self"),
        categories=[master(IssueCategory, "care"), master(IssueCategory, "debt")],
        opened_on=TODAY() - D(days=21),
        assigned_to=user,
    )
    if consent:
        consent_given(user, case, agencies, days_ago=2)
    return case


def colleague_of(user, username: str):
    """Another caseworker of the user's agency, not assigned to its cases."""
    membership = active_membership(user)
    return MembershipFactory(
        municipality=membership.municipality,
        organisation=membership.organisation,
        role=Role.CASEWORKER,
        user__username=username,
    ).user


@pytest.fixture
def flagged(personas, world_a, other_agency):
    """Two flagged cases led by world A's agency: one with consent (the other agency is
    on it as 関係機関), one without."""
    with_consent = tangled_case(
        personas, "同意 あり", consent=True, agencies=[world_a.agency, other_agency]
    )
    case_agency_add(user=personas.caseworker_a, case=with_consent, agency=other_agency)
    without = tangled_case(personas, "同意 なし", consent=False)
    evaluate(personas.municipality_a.pk, TODAY())
    flags = Flag.objects.filter(rule="needs_multiagency", resolved_at__isnull=True)
    return flags.get(case=with_consent), flags.get(case=without)


def test_the_suggestion_follows_the_persons_consent(flagged):
    handover, meeting = flagged
    assert handover.detail["suggest"] == "handover"
    assert meeting.detail["suggest"] == "support_meeting"


def test_the_lead_agencys_staff_and_the_office_see_it(personas, flagged):
    handover, meeting = flagged
    colleague = colleague_of(personas.caseworker_a, "colleague_a")
    for user in (
        personas.caseworker_a,  # the case's caseworker
        colleague,  # another caseworker of the lead agency
        personas.multiagency_a,
        personas.manager_a,
    ):
        queue = set(flag_queue(user).filter(rule="needs_multiagency").values_list("pk", flat=True))
        assert queue == {handover.pk, meeting.pk}, user.username


def test_an_agency_involved_or_not_on_the_case_does_not(client, personas, flagged):
    handover, meeting = flagged
    # other_agency_a's agency is on the first case (関係機関), not on the second: the
    # hand-over is not theirs to make, and the second case is not theirs to know of.
    assert not flag_queue(personas.other_agency_a).filter(rule="needs_multiagency").exists()
    client.force_login(personas.other_agency_a)
    assert client.get(reverse("cases:flag_detail", args=[meeting.pk])).status_code == 404
    assert client.get(reverse("cases:flag_detail", args=[handover.pk])).status_code == 404
    # Coordinators and other roles: not for them either.
    assert not flag_queue(personas.coordinator_a).filter(rule="needs_multiagency").exists()
    assert not flag_queue(personas.caseworker_b).exists()


def test_a_colleague_of_the_lead_agency_hands_the_case_over_from_the_flag(
    client, personas, world_a, flagged
):
    handover, meeting = flagged
    colleague = colleague_of(personas.caseworker_a, "colleague_a")
    client.force_login(colleague)
    queue = client.get(reverse("cases:flag_queue")).content.decode()
    assert "同意 あり" in queue
    assert "同意あり：多機関協働につなぐ" in queue
    assert "同意なし：支援会議で検討" in queue
    page = client.get(reverse("cases:flag_detail", args=[handover.pk])).content.decode()
    assert "多機関協働" in page
    response = client.post(
        reverse("cases:flag_detail", args=[handover.pk]),
        {"action": "refer", "reason": "介護と債務が重なり、役割分担の整理が必要。"},
    )
    assert response.status_code == 302
    referral = Referral.objects.get(case=handover.case)
    assert referral.to_program == MULTIAGENCY
    assert referral.from_agency == world_a.agency  # from the agency, as on the case page
    assert referral.created_by == colleague
    handover.refresh_from_db()
    assert handover.state == Flag.State.REFERRED
    # Without consent the page points to a 支援会議 for the case.
    page = client.get(reverse("cases:flag_detail", args=[meeting.pk])).content.decode()
    assert f"{reverse('cases:meeting_add')}?case={meeting.case_id}&amp;kind=support" in page
    form = client.get(reverse("cases:meeting_add"), {"case": meeting.case_id, "kind": "support"})
    assert '<option value="support" selected>' in form.content.decode()


def test_the_lead_agencys_queue_costs_what_it_did(
    client, personas, flagged, django_assert_num_queries
):
    colleague = colleague_of(personas.caseworker_a, "colleague_a")
    client.force_login(colleague)
    url = reverse("cases:flag_queue")
    client.get(url)
    # session, user, membership (the session, renewed under a minute ago, is not
    # written), flags (+case, person, caseworker, assignee), the audit write
    with django_assert_num_queries(7):
        html = client.get(url).content.decode()
    assert html.count("同意 あり") == 1
    assert html.count("同意 なし") == 1


def test_consent_given_after_the_flag_turns_its_suggestion_into_the_hand_over(
    personas, django_assert_num_queries
):
    """The flag raised while the person had not consented suggested a 支援会議; once they
    consent, the same flag suggests the hand-over (the journey found it stuck)."""
    case = tangled_case(personas, "後から 同意", consent=False)
    evaluate(personas.municipality_a.pk, TODAY())
    flag = Flag.objects.get(rule="needs_multiagency", case=case, resolved_at__isnull=True)
    assert flag.detail["suggest"] == "support_meeting"
    evaluate(personas.municipality_a.pk, TODAY(), case_ids=[case.pk])  # rules compiled
    consent_given(personas.caseworker_a, case, days_ago=0)
    # What runs after the consent's commit: the rule settings, the case's unresolved
    # flags, every case rule's query, one update of the changed details.
    with django_assert_num_queries(4):
        evaluate(personas.municipality_a.pk, TODAY(), case_ids=[case.pk])
    refreshed = Flag.objects.get(rule="needs_multiagency", case=case, resolved_at__isnull=True)
    assert refreshed.pk == flag.pk  # the same flag, still open since it was raised
    assert refreshed.raised_at == flag.raised_at
    assert refreshed.detail == {"fields": 2, "suggest": "handover"}
    # Nothing changed: nothing written.
    with django_assert_num_queries(3):
        evaluate(personas.municipality_a.pk, TODAY(), case_ids=[case.pk])
