"""manage.py export_person: everything held on one person, readable, and audited."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cases.consultation import services as consultation_services
from municipalities.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_export_contains_the_person_cases_timeline_and_is_audited(personas, world_a, tmp_path):
    consultation_services.consultation_withdraw(
        user=personas.caseworker_a, consultation=world_a.consultation, reason="誤記録"
    )
    out = tmp_path / "disclosure.md"
    call_command("export_person", str(world_a.person.pk), "--output", str(out))
    text = out.read_text(encoding="utf-8")
    for expected in (
        "山田 花子",
        "ヤマダ ハナコ",
        world_a.case.number,
        "民生委員から連絡",
        "（撤回済み）",
        "支援のため",
        "山田家",
        "第1回 重層的支援会議",
    ):
        assert expected in text, expected
    assert "松江" not in text
    event = AuditEvent.objects.get(action="export", person_id=world_a.person.pk)
    assert event.detail["via"] == "export_person"


def test_unknown_person(db):
    with pytest.raises(CommandError):
        call_command("export_person", "999999")
