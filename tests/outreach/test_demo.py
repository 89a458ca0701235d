"""The outreach demo: the 8050 son reached over months under a 支援会議, a household
taken up from the concern queue, a target ready to hand over, one ended by a move; the
scan flags what the stories say, and seeding again adds nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from cases.engine.flags import evaluate
from cases.models import Flag, Meeting
from community.models import Concern
from municipalities.models import Municipality
from outreach.models import Contact, OutreachTarget, Stage
from tests.community.test_demo import seed
from tests.conftest import ROSTER_FY2022

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings) -> str:
    call_command("load_roster", str(ROSTER_FY2022), "--fiscal-year", "2022", verbosity=0)
    settings.DEBUG = True
    return seed()


def test_the_demo_tells_the_outreach_stories(seeded):
    toyonaka = Municipality.objects.get(code="272035")
    targets = OutreachTarget.objects.filter(municipality=toyonaka)
    son = targets.get(person__name="松岡 浩二")
    assert son.basis_meeting.kind == Meeting.Kind.SUPPORT
    assert son.stage == Stage.RELATIONSHIP
    outcomes = list(son.contacts.order_by("contacted_on").values_list("outcome", flat=True))
    assert outcomes[0] == Contact.Outcome.ABSENT
    assert Contact.Outcome.SPOKE_THROUGH_DOOR in outcomes
    assert Contact.Outcome.MET in outcomes
    assert son.contacts.count() >= 6
    noticed = targets.get(source_concern_id__isnull=False)
    concern = Concern.objects.get(pk=noticed.source_concern_id)
    assert concern.status == Concern.Status.OUTREACH
    assert noticed.failed_in_a_row == 4
    assert targets.filter(stage=Stage.CONSENT).count() == 1
    assert targets.filter(stage=Stage.ENDED, closed_on__isnull=False).count() == 1
    evaluate(toyonaka.pk)
    open_rules = set(
        Flag.objects.filter(subject_type="outreach", resolved_at__isnull=True).values_list(
            "rule", flat=True
        )
    )
    assert open_rules == {
        "outreach_contact_overdue",
        "outreach_attempts_failing",
        "outreach_consented",
    }
    assert "Demo outreach: 豊中市 4 targets" in seeded
    assert "Demo outreach: 豊中市 4 targets" in seed()  # again: nothing new
    assert OutreachTarget.objects.filter(municipality=toyonaka).count() == 4
