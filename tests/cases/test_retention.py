"""Retention: persons past their municipality's retention period are anonymised; the
statistics, the audit chain and everything else stay as they were."""

from __future__ import annotations

import datetime

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.urls import reverse

from cases.consultation import queries as consultation_queries
from cases.core import services as core_services
from cases.core.retention import anonymise_expired, retention_cutoff
from cases.core.tasks import anonymise_expired as anonymise_task
from cases.core.tasks import anonymise_municipality
from cases.models import Case, CaseEvent, ContactRoute, Household, Person, SupportPlan
from cases.registry import indicators, sections
from cases.statistics.queries import Period
from municipalities.audit_chain import verify_chain
from municipalities.models import AuditEvent
from portal.anonymise import MARKER
from portal.fiscal import fiscal_year_of
from tests.worlds import master

pytestmark = pytest.mark.django_db

CLOSED_ON = datetime.date(2020, 6, 15)
# Five years (the default) after the closure: the last day inside the period.
LAST_DAY_KEPT = datetime.date(2025, 6, 15)
FIRST_DAY_PAST = datetime.date(2025, 6, 16)

# Organisation records named after the world's family: not personal data.
NOT_PERSONAL = {"cases.supportagency", "participation.provider", "participation.menu"}


def close_world(world, user, on=CLOSED_ON) -> None:
    son_case = Case.objects.get(person=world.member.person)
    for case in (world.case, son_case):
        core_services.case_change_status(
            user=user, case=case, to_status=Case.Status.CLOSED, reason="山田さん転居", on=on
        )


def personal_text_left(needles: tuple[str, ...]) -> list[str]:
    """Every text or JSON value in the program apps still containing one of ``needles``."""
    found = []
    for label in ("cases", "participation", "community"):
        for model in apps.get_app_config(label).get_models():
            if model._meta.label_lower in NOT_PERSONAL:
                continue
            fields = [
                f.name
                for f in model._meta.concrete_fields
                if isinstance(f, models.CharField | models.TextField | models.JSONField)
            ]
            for row in model.objects.values("pk", *fields):
                for name in fields:
                    if any(n in str(row[name]) for n in needles):
                        found.append(f"{model._meta.label_lower}#{row['pk']}.{name}")
    return found


def statistics_snapshot(municipality_ids: list[int], years: list[int]) -> list:
    snapshot = []
    for year in years:
        period = Period.of(year)
        for indicator in indicators():
            snapshot.append((year, indicator.code, indicator.count(municipality_ids, period)))
        for mid in municipality_ids:
            for section in sections():
                snapshot.append(
                    (year, mid, [(t.key, t.columns, t.rows) for t in section(mid, period)])
                )
    return snapshot


def test_cutoff_is_the_anniversary_and_handles_29_february():
    assert retention_cutoff(FIRST_DAY_PAST, 5) == datetime.date(2020, 6, 16)
    assert retention_cutoff(datetime.date(2028, 2, 29), 1) == datetime.date(2027, 2, 28)


def test_just_inside_the_period_nothing_changes_and_just_past_it_is_anonymised(personas, world_a):
    # The plan's national form items are free text about the family too.
    SupportPlan.objects.filter(pk=world_a.plan.pk).update(
        wishes="「次郎と暮らしたい」",
        issues="息子の就労",
        long_term_goal="山田家の生活の安定",
        short_term_goal="次郎の通所",
    )
    close_world(world_a, personas.caseworker_a)
    assert anonymise_expired(as_of=LAST_DAY_KEPT) == []
    assert Person.objects.get(pk=world_a.person.pk).name == "山田 花子"

    [result] = anonymise_expired(as_of=FIRST_DAY_PAST)
    assert result.code == personas.municipality_a.code
    assert len(result.persons) == 2
    assert result.case_count == 2

    person = Person.objects.get(pk=world_a.person.pk)
    assert person.name == MARKER
    assert person.name_kana == MARKER
    assert person.phone_mobile == ""
    assert person.search_name == ""
    assert person.search_kana == ""
    assert person.birth_date == datetime.date(1944, 1, 1)  # the year stays for age bands
    assert person.anonymised_at is not None
    case = Case.objects.get(pk=world_a.case.pk)
    assert case.anonymised_at is not None
    assert case.close_reason == MARKER
    # Categories, route, status and dates are kept.
    assert case.status == Case.Status.CLOSED
    assert case.closed_on == CLOSED_ON
    assert sorted(c.category.code for c in case.case_categories.all()) == ["care", "p8050"]
    assert case.route.code == "minsei"
    # No free text about the family is left anywhere in the three programs.
    assert personal_text_left(("山田", "花子", "次郎", "民生委員から連絡", "息子")) == []


def test_history_rows_keep_their_kind_and_codes_but_lose_free_text(personas, world_a):
    close_world(world_a, personas.caseworker_a)
    before = list(CaseEvent.objects.filter(case=world_a.case).values_list("pk", "kind"))
    anonymise_expired(as_of=FIRST_DAY_PAST)
    assert list(CaseEvent.objects.filter(case=world_a.case).values_list("pk", "kind")) == before
    closed = CaseEvent.objects.get(case=world_a.case, kind="status_changed", data__after="closed")
    assert closed.data == {"before": "planning", "after": "closed", "reason": MARKER}
    opened = CaseEvent.objects.get(case=world_a.case, kind="opened")
    assert opened.data["route"] == "minsei"


def test_dry_run_lists_and_changes_nothing(personas, world_a, capsys):
    close_world(world_a, personas.caseworker_a)
    audit_count = AuditEvent.objects.count()
    call_command("anonymise_expired", "--dry-run", "--as-of", FIRST_DAY_PAST.isoformat())
    out = capsys.readouterr().out
    assert personas.municipality_a.code in out
    assert world_a.case.number in out
    assert "would anonymise 2 persons, 2 cases" in out
    assert "nothing changed" in out
    assert Person.objects.get(pk=world_a.person.pk).name == "山田 花子"
    assert not Person.objects.filter(anonymised_at__isnull=False).exists()
    assert AuditEvent.objects.count() == audit_count


def test_command_anonymises_and_a_second_run_changes_nothing(personas, world_a, capsys):
    close_world(world_a, personas.caseworker_a)
    call_command("anonymise_expired", "--as-of", FIRST_DAY_PAST.isoformat())
    assert "anonymised 2 persons, 2 cases" in capsys.readouterr().out
    audit_count = AuditEvent.objects.count()
    stamp = Person.objects.get(pk=world_a.person.pk).anonymised_at

    call_command("anonymise_expired", "--as-of", FIRST_DAY_PAST.isoformat())
    assert "anonymised 0 persons, 0 cases" in capsys.readouterr().out
    assert AuditEvent.objects.count() == audit_count
    assert Person.objects.get(pk=world_a.person.pk).anonymised_at == stamp


def test_each_municipality_uses_its_own_retention_period(personas, world_a, world_b):
    close_world(world_a, personas.caseworker_a)
    close_world(world_b, personas.caseworker_b)
    personas.municipality_b.case_retention_years = 10
    personas.municipality_b.save()
    results = anonymise_expired(as_of=datetime.date(2027, 1, 1))
    assert [r.code for r in results] == [personas.municipality_a.code]
    assert Person.objects.get(pk=world_a.person.pk).anonymised_at is not None
    assert Person.objects.get(pk=world_b.person.pk).anonymised_at is None
    # --municipality limits the run to one municipality.
    assert anonymise_expired(as_of=datetime.date(2031, 1, 1), municipality_code="272035") == []
    assert Person.objects.get(pk=world_b.person.pk).anonymised_at is None


def test_a_person_with_an_open_case_or_a_recent_closure_is_kept(personas, world_a):
    user = personas.caseworker_a
    close_world(world_a, user)
    # The mother comes back: a new case, open today.
    core_services.case_open(user=user, person=world_a.person, route=master(ContactRoute, "self"))
    # The son's case is reopened and closed again recently.
    son_case = Case.objects.get(person=world_a.member.person)
    core_services.case_change_status(
        user=user, case=son_case, to_status="assessment", reason="再相談"
    )
    core_services.case_change_status(
        user=user, case=son_case, to_status="closed", reason="終結", on=datetime.date(2024, 1, 5)
    )
    assert anonymise_expired(as_of=FIRST_DAY_PAST) == []
    assert Person.objects.get(pk=world_a.person.pk).name == "山田 花子"
    assert Case.objects.get(pk=world_a.case.pk).close_reason == "山田さん転居"


def test_statistics_of_past_years_are_identical(personas, world_a):
    close_world(world_a, personas.caseworker_a)
    mids = [personas.municipality_a.pk]
    years = sorted({fiscal_year_of(CLOSED_ON), fiscal_year_of(world_a.case.opened_on)})
    before = statistics_snapshot(mids, years)
    anonymise_expired(as_of=FIRST_DAY_PAST)
    assert statistics_snapshot(mids, years) == before


def test_every_anonymisation_is_audited_by_the_system_and_the_chain_holds(personas, world_a):
    close_world(world_a, personas.caseworker_a)
    mid = personas.municipality_a.pk
    anonymise_expired(as_of=FIRST_DAY_PAST)
    event = AuditEvent.objects.get(action=AuditEvent.Action.ANONYMISE, person_id=world_a.person.pk)
    assert event.user is None
    assert event.detail["cases"] == [world_a.case.pk]
    assert event.detail["reason"] == "retention"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ANONYMISE).count() == 2
    assert verify_chain(mid) == []


def test_anonymised_persons_no_longer_match_a_name_search(personas, world_a):
    close_world(world_a, personas.caseworker_a)
    user = personas.caseworker_a
    assert [p.pk for p in consultation_queries.person_search(user, "やまだ はなこ")] == [
        world_a.person.pk
    ]
    anonymise_expired(as_of=FIRST_DAY_PAST)
    assert consultation_queries.person_search(user, "やまだ はなこ") == []
    assert consultation_queries.person_search(user, "匿名化") == []
    assert consultation_queries.person_search(user, "", datetime.date(1944, 1, 1)) == []


def test_export_of_an_anonymised_person_shows_the_marker_only(personas, world_a, tmp_path):
    close_world(world_a, personas.caseworker_a)
    anonymise_expired(as_of=FIRST_DAY_PAST)
    out = tmp_path / "disclosure.md"
    call_command("export_person", str(world_a.person.pk), "--output", str(out))
    text = out.read_text(encoding="utf-8")
    assert MARKER in text
    assert world_a.case.number in text
    gone_text = ("山田 花子", "山田家", "ヤマダ", "民生委員から連絡", "090-0000-0001", "支援のため")
    for gone in gone_text:
        assert gone not in text, gone


def test_the_daily_task_anonymises_each_municipality_on_its_own(
    personas, world_a, settings, monkeypatch
):
    assert "retention-anonymise" in settings.CELERY_BEAT_SCHEDULE
    close_world(world_a, personas.caseworker_a)
    sent = []
    monkeypatch.setattr(anonymise_municipality, "delay", lambda *args: sent.append(args))
    # apply() runs the task body here whatever the broker (the scheduling is the beat entry).
    assert anonymise_task.apply(args=[FIRST_DAY_PAST.isoformat()]).get() == 1
    assert sent == [(personas.municipality_a.pk, FIRST_DAY_PAST.isoformat())]
    assert Person.objects.get(pk=world_a.person.pk).anonymised_at is None
    assert anonymise_municipality.apply(args=sent[0]).get() == {"272035": 2}
    assert Person.objects.get(pk=world_a.person.pk).anonymised_at is not None
    assert anonymise_municipality.apply(args=sent[0]).get() == {}
    assert anonymise_municipality.apply(args=[10**9, FIRST_DAY_PAST.isoformat()]).get() == {}


def admin_change(client, municipality, years):
    return client.post(
        reverse("admin:municipalities_municipality_change", args=[municipality.pk]),
        {
            "code": municipality.code,
            "prefecture": municipality.prefecture,
            "name": municipality.name,
            "name_kana": municipality.name_kana,
            "case_retention_years": years,
            "participations-TOTAL_FORMS": "0",
            "participations-INITIAL_FORMS": "0",
            "participations-MIN_NUM_FORMS": "0",
            "participations-MAX_NUM_FORMS": "1000",
        },
    )


def test_system_admin_sets_the_retention_period_within_its_range(client, personas):
    client.force_login(personas.system_admin)
    municipality = personas.municipality_a
    assert municipality.case_retention_years == 5
    for bad in (0, 31):
        response = admin_change(client, municipality, bad)
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["case_retention_years"]
    response = admin_change(client, municipality, 7)
    assert response.status_code == 302
    municipality.refresh_from_db()
    assert municipality.case_retention_years == 7


def test_managers_see_their_municipality_retention_period(client, personas):
    personas.municipality_a.case_retention_years = 7
    personas.municipality_a.save()
    client.force_login(personas.manager_a)
    html = client.get(reverse("cases:rule_settings")).content.decode()
    assert "個人情報の保存期間" in html
    assert "7年" in html


def test_the_case_audit_trail_shows_the_anonymisation_by_the_system(client, personas, world_a):
    close_world(world_a, personas.caseworker_a)
    anonymise_expired(as_of=FIRST_DAY_PAST)
    client.force_login(personas.manager_a)
    html = client.get(reverse("cases:case_audit", args=[world_a.case.pk])).content.decode()
    assert "<td>システム</td><td>匿名化</td>" in html
    assert "山田 花子" not in html


def add_father(personas, world) -> Person:
    father = core_services.person_create(
        user=personas.caseworker_a,
        municipality=personas.municipality_a,
        name="山田 一郎",
        name_kana="ヤマダ イチロウ",
    )
    core_services.household_add_member(
        user=personas.caseworker_a, case=world.case, person=father, relationship="spouse"
    )
    return father


def test_a_household_member_without_a_case_goes_with_the_household(personas, world_a, capsys):
    father = add_father(personas, world_a)
    close_world(world_a, personas.caseworker_a)
    call_command("anonymise_expired", "--dry-run", "--as-of", FIRST_DAY_PAST.isoformat())
    assert f"person {father.pk} last closed {CLOSED_ON}: household member" in (
        capsys.readouterr().out
    )
    anonymise_expired(as_of=FIRST_DAY_PAST)
    father.refresh_from_db()
    assert father.name == MARKER
    assert father.anonymised_at is not None
    event = AuditEvent.objects.get(action=AuditEvent.Action.ANONYMISE, person_id=father.pk)
    assert event.detail["reason"] == "retention (household member)"
    assert personal_text_left(("山田", "一郎", "イチロウ")) == []


def test_a_household_member_stays_while_another_member_is_supported(personas, world_a):
    father = add_father(personas, world_a)
    core_services.case_change_status(
        user=personas.caseworker_a,
        case=world_a.case,
        to_status=Case.Status.CLOSED,
        reason="終結",
        on=CLOSED_ON,
    )
    # The son (a member of the household) still has an open case.
    [result] = anonymise_expired(as_of=FIRST_DAY_PAST)
    assert [p.person_id for p in result.persons] == [world_a.person.pk]
    father.refresh_from_db()
    assert father.name == "山田 一郎"
    assert father.anonymised_at is None
    # The household stays readable while one of its members is still supported.
    assert Household.objects.get(pk=world_a.case.household_id).name == "山田家"


def test_a_case_reopened_after_the_scan_is_not_anonymised(personas, world_a):
    from cases.core.retention import person_anonymise, retention_cutoff

    close_world(world_a, personas.caseworker_a)
    core_services.case_change_status(
        user=personas.caseworker_a, case=world_a.case, to_status="assessment", reason="再相談"
    )
    cutoff = retention_cutoff(FIRST_DAY_PAST, 5)
    assert person_anonymise(person_id=world_a.person.pk, cutoff=cutoff) == {}
    assert Person.objects.get(pk=world_a.person.pk).anonymised_at is None
