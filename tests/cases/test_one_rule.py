"""A rule lives once, in its service: the page and the API refuse alike, with the same
Japanese message, and save nothing."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cases.collaboration import services as collaboration_services
from cases.consultation import services as consultation_services
from cases.core import services as core_services
from cases.engine import services as engine_services
from cases.models import (
    Case,
    Consultation,
    ConsultationMethod,
    ContactRoute,
    Flag,
    Person,
    Referral,
)
from portal.errors import CaseRuleError
from tests.cases.test_optimistic_locking import form_data
from tests.worlds import master

pytestmark = pytest.mark.django_db

FOLLOW_UP_BEFORE = "次回フォローアップ日は相談日より後の日付にしてください。"
OPENED_IN_FUTURE = "受付日に未来の日付は指定できません。"
BORN_IN_FUTURE = "生年月日に未来の日付は指定できません。"
NOT_KANA = "ふりがなは、ひらがなまたはカタカナで入力してください。"


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def rule_error(response) -> dict:
    assert response.status_code == 400, response.content.decode()[:2000]
    error = response.json()["error"]
    assert error["code"] == "rule_violation"
    return error


# --- follow-up after the consultation -----------------------------------------------


def test_follow_up_before_the_consultation_is_refused_by_page_and_api(client, personas, world_a):
    today = timezone.localdate()
    yesterday = (today - datetime.timedelta(days=1)).isoformat()
    before = Consultation.objects.count()

    client.force_login(personas.caseworker_a)
    response = client.post(
        reverse("cases:consultation_add", args=[world_a.case.pk]),
        {
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "method": master(ConsultationMethod, "phone").pk,
            "summary": "本人から電話",
            "follow_up_on": yesterday,
        },
    )
    assert response.status_code == 400
    assert FOLLOW_UP_BEFORE in response.content.decode()

    response = api(personas.caseworker_a).post(
        "/api/consultations/",
        {
            "case": world_a.case.pk,
            "occurred_at": timezone.now().isoformat(),
            "method": "phone",
            "summary": "本人から電話",
            "follow_up_on": yesterday,
        },
        format="json",
    )
    error = rule_error(response)
    assert error["message"] == FOLLOW_UP_BEFORE
    assert error["fields"] == {"follow_up_on": [FOLLOW_UP_BEFORE]}
    assert Consultation.objects.count() == before


def test_follow_up_on_the_day_of_the_consultation_is_accepted(personas, world_a):
    consultation = consultation_services.consultation_log(
        user=personas.caseworker_a,
        case=world_a.case,
        data=consultation_services.ConsultationData(
            occurred_at=timezone.now(),
            method=master(ConsultationMethod, "phone"),
            summary="来所",
            follow_up_on=timezone.localdate(),
        ),
    )
    assert consultation.follow_up_on == timezone.localdate()


def test_amending_a_follow_up_to_before_the_consultation_is_refused(client, personas, world_a):
    consultation = world_a.consultation  # ten days ago, follow-up yesterday
    stored = Consultation.objects.get(pk=consultation.pk)
    client.force_login(personas.caseworker_a)
    url = reverse("cases:consultation_edit", args=[consultation.pk])
    data = form_data(client.get(url))
    data["follow_up_on"] = (
        timezone.localtime(consultation.occurred_at).date() - datetime.timedelta(days=1)
    ).isoformat()
    response = client.post(url, data)
    assert response.status_code == 400
    assert FOLLOW_UP_BEFORE in response.content.decode()
    after = Consultation.objects.get(pk=consultation.pk)
    assert (after.follow_up_on, after.version) == (stored.follow_up_on, stored.version)


# --- a case is not opened in the future ---------------------------------------------


def test_case_opened_in_the_future_is_refused_by_service_and_api(personas):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    person = core_services.person_create(
        user=personas.caseworker_a, municipality=personas.municipality_a, name="未来 太郎"
    )
    with pytest.raises(CaseRuleError) as raised:
        core_services.case_open(
            user=personas.caseworker_a,
            person=person,
            route=master(ContactRoute, "self"),
            opened_on=tomorrow,
        )
    assert (raised.value.message, raised.value.field) == (OPENED_IN_FUTURE, "opened_on")

    persons = Person.objects.count()
    response = api(personas.caseworker_a).post(
        "/api/cases/",
        {"name": "API 次郎", "route": "self", "opened_on": tomorrow.isoformat()},
        format="json",
    )
    error = rule_error(response)
    assert error["message"] == OPENED_IN_FUTURE
    assert error["fields"] == {"opened_on": [OPENED_IN_FUTURE]}
    # Neither the case nor the new person it would have been opened for.
    assert not Case.objects.exists()
    assert Person.objects.count() == persons


# --- a date of birth in the future --------------------------------------------------


def test_birth_date_in_the_future_is_refused_alike_by_page_and_api(client, personas, world_a):
    future = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    stored = Person.objects.get(pk=world_a.person.pk)

    client.force_login(personas.caseworker_a)
    url = reverse("cases:person_edit", args=[world_a.person.pk])
    data = form_data(client.get(url))
    data["birth_date"] = future
    response = client.post(url, data)
    assert response.status_code == 400
    assert BORN_IN_FUTURE in response.content.decode()

    response = api(personas.caseworker_a).patch(
        f"/api/persons/{world_a.person.pk}/",
        {"version": stored.version, "birth_date": future},
        format="json",
    )
    error = rule_error(response)
    assert error["message"] == BORN_IN_FUTURE
    assert error["fields"] == {"birth_date": [BORN_IN_FUTURE]}
    after = Person.objects.get(pk=world_a.person.pk)
    assert (after.birth_date, after.version) == (stored.birth_date, stored.version)


@pytest.mark.parametrize("reading", ["yamada", "山田", "ﾔﾏﾀﾞ1"])
def test_reading_not_in_kana_is_refused_alike_by_page_api_and_service(
    client, personas, world_a, reading
):
    stored = Person.objects.get(pk=world_a.person.pk)
    client.force_login(personas.caseworker_a)
    url = reverse("cases:person_edit", args=[world_a.person.pk])
    data = form_data(client.get(url))
    data["name_kana"] = reading
    response = client.post(url, data)
    assert response.status_code == 400
    assert NOT_KANA in response.content.decode()

    response = api(personas.caseworker_a).patch(
        f"/api/persons/{world_a.person.pk}/",
        {"version": stored.version, "name_kana": reading},
        format="json",
    )
    assert rule_error(response)["fields"] == {"name_kana": [NOT_KANA]}
    # A new person through the API's case creation is held to the same rule.
    persons = Person.objects.count()
    response = api(personas.caseworker_a).post(
        "/api/cases/",
        {"name": "読み 違い", "name_kana": reading, "route": "self"},
        format="json",
    )
    assert rule_error(response)["fields"] == {"name_kana": [NOT_KANA]}
    assert Person.objects.count() == persons
    after = Person.objects.get(pk=world_a.person.pk)
    assert (after.name_kana, after.version) == (stored.name_kana, stored.version)


def test_a_reading_is_stored_as_the_service_normalises_it(personas):
    person = core_services.person_create(
        user=personas.caseworker_a,
        municipality=personas.municipality_a,
        name="山田 一郎",
        name_kana="ﾔﾏﾀﾞ ｲﾁﾛｳ",
    )
    assert person.name_kana == core_services.clean_name_kana("ﾔﾏﾀﾞ ｲﾁﾛｳ")
    assert person.name_kana != "ﾔﾏﾀﾞ ｲﾁﾛｳ"  # half-width kana are not stored as typed


# --- what a page offers is what the service accepts ---------------------------------


@pytest.mark.parametrize("status", ["proposed", "accepted", "declined", "completed"])
def test_referral_page_offers_the_answers_the_service_accepts(client, personas, world_a, status):
    """The receiving side sees accept/decline exactly when referral_respond accepts an
    answer, and "completed" exactly when referral_complete does."""
    Referral.objects.filter(pk=world_a.referral.pk).update(status=status)
    referral = Referral.objects.get(pk=world_a.referral.pk)
    can_answer = collaboration_services.referral_can_answer(referral)
    can_complete = collaboration_services.referral_can_complete(referral)
    assert (can_answer, can_complete) == (status == "proposed", status == "accepted")

    client.force_login(personas.coordinator_a)
    html = client.get(reverse("cases:referral_detail", args=[referral.pk])).content.decode()
    assert ('value="accept"' in html, 'value="decline"' in html) == (can_answer, can_answer)
    assert ('value="complete"' in html) == can_complete

    def succeeds(write) -> bool:
        try:
            with transaction.atomic():
                write()
                transaction.set_rollback(True)
        except CaseRuleError:
            return False
        return True

    user = personas.coordinator_a
    assert (
        succeeds(
            lambda: collaboration_services.referral_respond(
                user=user, referral=referral, accept=True
            )
        )
        == can_answer
    )
    assert (
        succeeds(lambda: collaboration_services.referral_complete(user=user, referral=referral))
        == can_complete
    )


@pytest.mark.parametrize("state", ["open", "snoozed", "referred", "dismissed"])
@pytest.mark.parametrize("resolved", [False, True])
def test_flag_actions_are_offered_when_the_service_accepts_them(
    client, personas, world_a, state, resolved
):
    Flag.objects.filter(pk=world_a.flag.pk).update(
        state=state, resolved_at=timezone.now() if resolved else None
    )
    flag = Flag.objects.select_related("case").get(pk=world_a.flag.pk)
    can_act = engine_services.flag_can_act(flag)
    assert can_act == (not resolved and state in ("open", "snoozed"))

    try:
        with transaction.atomic():
            engine_services.flag_dismiss(user=personas.manager_a, flag=flag, reason="対応済み")
            transaction.set_rollback(True)
        dismissed = True
    except CaseRuleError:
        dismissed = False
    assert dismissed == can_act

    if not resolved:  # a resolved flag is no longer shown to anyone
        client.force_login(personas.manager_a)
        html = client.get(reverse("cases:flag_detail", args=[flag.pk])).content.decode()
        assert ('value="dismiss"' in html, 'value="snooze"' in html) == (can_act, can_act)
        assert ('value="refer"' in html) == engine_services.flag_can_refer(flag)


@pytest.mark.parametrize("rule", ["out_of_touch", "isolation_no_place"])
def test_flag_offers_a_referral_when_the_service_makes_one(client, personas, world_a, rule):
    """Only a rule that names where to refer turns its flag into a referral."""
    Flag.objects.filter(pk=world_a.flag.pk).update(rule=rule)
    flag = Flag.objects.select_related("case").get(pk=world_a.flag.pk)
    can_refer = engine_services.flag_can_refer(flag)
    assert can_refer == (rule == "isolation_no_place")

    client.force_login(personas.manager_a)
    html = client.get(reverse("cases:flag_detail", args=[flag.pk])).content.decode()
    assert ('value="refer"' in html) == can_refer

    try:
        engine_services.flag_refer(user=personas.manager_a, flag=flag, reason="ルールから紹介")
        referred = True
    except CaseRuleError:
        referred = False
    assert referred == can_refer
