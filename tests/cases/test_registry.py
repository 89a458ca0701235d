"""A program is a registration: what one declares in ``cases.registry`` reaches the
referral form and service, the inbox, the case page and the flag pages without an
edit of ``cases``."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases import registry
from cases.collaboration import services as collaboration_services
from cases.collaboration.forms import ReferralForm
from cases.registry import CaseLink, Program
from municipalities.models import Role
from portal.errors import CaseRuleError

pytestmark = pytest.mark.django_db

OUTREACH = Program(
    key="outreach_test",
    label="アウトリーチ（試験）",
    order=50,
    staff_role=None,
    receiving_roles=(Role.MANAGER,),
    flag_audience=Role.MANAGER,
    case_links=(CaseLink("訪問の記録（試験）", "cases:case_audit"),),
)


@pytest.fixture
def outreach(monkeypatch):
    monkeypatch.setattr(registry, "_programs", {**registry._programs, OUTREACH.key: OUTREACH})
    return OUTREACH


def test_every_program_of_the_portal_is_registered():
    assert [p.key for p in registry.programs()] == [
        "consultation",
        "multiagency",
        "participation",
        "community",
        "outreach",
        "agency",
    ]
    assert registry.program_of_role(Role.MULTIAGENCY) == "multiagency"
    assert registry.receiving_roles("participation") == (Role.COORDINATOR, Role.MANAGER)
    assert registry.program_of_role(Role.COMMUNITY_WORKER) == "community"
    assert registry.program_of_role(Role.CASEWORKER) is None
    assert registry.flag_subject("concern").per_case is False
    assert registry.flag_subject("outreach").per_case is False
    assert [a.url_name for a in registry.record_actions("concern")] == [
        "outreach:target_from_concern"
    ]


def test_a_new_program_is_a_destination_of_referrals(personas, world_a, outreach):
    choices = dict(
        ReferralForm(municipality_id=personas.municipality_a.pk).fields["to_program"].choices
    )
    assert choices["outreach_test"] == "アウトリーチ（試験）"
    assert "consultation" not in choices  # a caseworker refers to another program
    referral = collaboration_services.referral_create(
        user=personas.caseworker_a,
        case=world_a.case,
        from_program="consultation",
        to_program="outreach_test",
        reason="訪問を重ねて関係をつくりたい",
    )
    assert referral.get_to_program_display() == "アウトリーチ（試験）"
    # Only its receiving roles answer it.
    assert not collaboration_services.can_respond(personas.caseworker_a, referral)
    assert collaboration_services.can_respond(personas.manager_a, referral)


def test_an_unregistered_program_is_refused(personas, world_a):
    with pytest.raises(CaseRuleError):
        collaboration_services.referral_create(
            user=personas.caseworker_a,
            case=world_a.case,
            from_program="consultation",
            to_program="outreach_test",
            reason="未登録",
        )


def test_the_case_page_shows_the_links_programs_declare(client, personas, world_a, outreach):
    client.force_login(personas.caseworker_a)
    html = client.get(reverse("cases:case_detail", args=[world_a.case.pk])).content.decode()
    assert reverse("community:case_place_add", args=[world_a.case.pk]) in html
    assert "訪問の記録（試験）" in html
    assert reverse("cases:case_audit", args=[world_a.case.pk]) in html


def test_the_flag_page_links_a_concern_through_its_declaration(client, personas, world_a):
    flag = world_a.flag
    flag.subject_type, flag.subject_id, flag.case = "concern", world_a.concern.pk, None
    flag.save()
    client.force_login(personas.caseworker_a)
    html = client.get(reverse("cases:flag_queue")).content.decode()
    assert reverse("community:concern_detail", args=[world_a.concern.pk]) in html
