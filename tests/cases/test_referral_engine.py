"""The referral engine: each rule just inside and just outside its threshold (fixed
``as_of``), idempotence, automatic resolution, people's actions, tenant isolation."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cases.collaboration import services as collaboration_services
from cases.consultation import services as consultation_services
from cases.core import services as core_services
from cases.engine import tasks as engine_tasks
from cases.engine.flags import evaluate
from cases.engine.services import flag_dismiss, flag_refer, flag_snooze, rule_setting_save
from cases.models import Case, ConsultationMethod, ContactRoute, Flag, IssueCategory, Referral
from cases.registry import get_rule
from community import services as community_services
from municipalities.models import AuditEvent
from participation import services as participation_services
from portal.errors import CaseRuleError
from tests.markup import old_and_new
from tests.worlds import master

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
D = datetime.timedelta


def open_case(personas, *, categories=(), days_ago=0, name="試験 太郎", birth=None, consult=True):
    user = personas.caseworker_a
    person = core_services.person_create(
        user=user,
        municipality=personas.municipality_a,
        name=name,
        name_kana="シケン タロウ",
        birth_date=birth,
    )
    case = core_services.case_open(
        user=user,
        person=person,
        route=master(ContactRoute, "self"),
        categories=[master(IssueCategory, c) for c in categories],
        opened_on=TODAY - D(days=days_ago),
        assigned_to=user,
    )
    if consult:
        consultation_services.consultation_log(
            user=user,
            case=case,
            data=consultation_services.ConsultationData(
                occurred_at=timezone.now() - D(days=days_ago),
                method=master(ConsultationMethod, "phone"),
                summary="初回",
            ),
        )
    return case


def flags(rule, **kw):
    return Flag.objects.filter(rule=rule, resolved_at__isnull=True, **kw)


def scan(personas, as_of=TODAY, **kw):
    return evaluate(personas.municipality_a.pk, as_of, **kw)


# --- each rule at its threshold --------------------------------------------------------


def test_out_of_touch_just_inside_and_outside(personas):
    case = open_case(personas, days_ago=60)
    scan(personas, TODAY)  # last contact exactly 60 days ago: not yet
    assert not flags("out_of_touch", case=case).exists()
    scan(personas, TODAY + D(days=1))  # 61 days
    flag = flags("out_of_touch", case=case).get()
    assert flag.audience == "caseworker"
    assert flag.assigned_to == personas.caseworker_a
    assert flag.detail["last_contact"] == (TODAY - D(days=60)).isoformat()
    # A new consultation resolves it.
    consultation_services.consultation_log(
        user=personas.caseworker_a,
        case=case,
        data=consultation_services.ConsultationData(
            occurred_at=timezone.now(),
            method=master(ConsultationMethod, "home_visit"),
            summary="訪問",
        ),
    )
    scan(personas, TODAY + D(days=1))
    flag.refresh_from_db()
    assert flag.resolved_at
    assert flag.resolution == "条件が解消しました。"


def test_needs_participation_threshold_and_what_stops_it(personas, world_a):
    case = open_case(personas, categories=["hikikomori"], days_ago=30)
    scan(personas, TODAY - D(days=1))  # open 29 days as of then
    assert not flags("needs_participation", case=case).exists()
    scan(personas, TODAY)
    flag = flags("needs_participation", case=case).get()
    assert flag.audience == "coordinator"
    other = open_case(personas, categories=["debt"], days_ago=90, name="借金 一郎")
    scan(personas, TODAY)
    assert not flags("needs_participation", case=other).exists()
    # A referral to participation stops it.
    collaboration_services.referral_create(
        user=personas.caseworker_a,
        case=case,
        from_program="consultation",
        to_program="participation",
        reason="居場所",
    )
    scan(personas, TODAY)
    assert not flags("needs_participation", case=case).exists()


def test_participation_concern_and_missed_sessions(personas, world_a):
    assignment = world_a.assignment  # active since 14 days ago
    case = assignment.case
    for days in (6, 4, 2):
        participation_services.session_log(
            user=world_a.coordinator,
            assignment=assignment,
            held_on=TODAY - D(days=days),
            attendance="present",
        )
    participation_services.session_log(
        user=world_a.coordinator,
        assignment=assignment,
        held_on=TODAY - D(days=1),
        attendance="absent",
    )
    scan(personas)
    assert not flags("participation_concern", case=case).exists()  # only 1 missed
    for _ in range(2):
        participation_services.session_log(
            user=world_a.coordinator, assignment=assignment, held_on=TODAY, attendance="absent"
        )
    scan(personas)
    flag = flags("participation_concern", case=case).get()
    assert flag.detail["missed_in_a_row"] is True
    assert flag.audience == "caseworker"
    participation_services.session_log(
        user=world_a.coordinator, assignment=assignment, held_on=TODAY, attendance="present"
    )
    scan(personas)
    assert not flags("participation_concern", case=case).exists()
    # A logged concern raises it for 14 days.
    participation_services.session_log(
        user=world_a.coordinator,
        assignment=assignment,
        held_on=TODAY - D(days=3),
        attendance="present",
        concerns=["money"],
    )
    scan(personas)
    assert flags("participation_concern", case=case).get().detail["concern"] is True
    scan(personas, TODAY + D(days=12))  # 15 days after the log
    assert not flags("participation_concern", case=case).exists()


def test_community_concern_unanswered(personas):
    concern = community_services.concern_record(
        user=personas.community_worker_a,
        municipality=personas.municipality_a,
        reporter_kind="resident",
        observation="夜中に大声",
        urgency="normal",
    )
    scan(personas, TODAY + D(days=2))
    assert not flags("community_concern_unanswered").exists()
    scan(personas, TODAY + D(days=3))
    flag = flags("community_concern_unanswered").get()
    assert flag.subject_type == "concern"
    assert flag.subject_id == concern.pk
    assert flag.assigned_to == personas.community_worker_a  # the reporter hears of it too
    community_services.concern_open_case(user=personas.caseworker_a, concern=concern)
    flag.refresh_from_db()
    assert flag.resolved_at is not None  # taken up → resolved at once


def test_isolation_no_place(personas, world_a):
    case = open_case(personas, categories=["isolation"], days_ago=14)
    scan(personas, TODAY - D(days=1))
    assert not flags("isolation_no_place", case=case).exists()
    scan(personas)
    assert flags("isolation_no_place", case=case).get().audience == "community_worker"
    community_services.case_place_link(
        user=personas.caseworker_a, case=case, place=world_a.place, since=TODAY
    )
    scan(personas)
    assert not flags("isolation_no_place", case=case).exists()


def test_plan_review_due(personas, world_a):
    plan = world_a.plan  # decided, review in 90 days
    scan(personas, plan.review_on)
    assert not flags("plan_review_due", case=world_a.case).exists()
    scan(personas, plan.review_on + D(days=1))
    flag = flags("plan_review_due", case=world_a.case).get()
    assert flag.detail["review_on"] == plan.review_on.isoformat()


def test_needs_multiagency(personas, world_a):
    two_fields = open_case(personas, categories=["debt", "care"], days_ago=14)  # poverty+elderly
    one_field = open_case(personas, categories=["debt", "income"], days_ago=30, name="一分野")
    scan(personas, TODAY - D(days=1))
    assert not flags("needs_multiagency", case=two_fields).exists()
    scan(personas)
    assert flags("needs_multiagency", case=two_fields).get().audience == "manager"
    assert not flags("needs_multiagency", case=one_field).exists()
    # world_a's case was taken up at a 重層的支援会議: never flagged.
    assert not flags("needs_multiagency", case=world_a.case).exists()


def test_referral_not_acknowledged(personas, world_a):
    referral = world_a.referral  # to participation, deadline in 3 days
    scan(personas, referral.acknowledge_by)
    assert not flags("referral_not_acknowledged").exists()
    scan(personas, referral.acknowledge_by + D(days=1))
    flag = flags("referral_not_acknowledged").get()
    assert flag.audience == "coordinator"
    assert flag.assigned_to == personas.caseworker_a
    collaboration_services.referral_respond(
        user=personas.coordinator_a, referral=referral, accept=True
    )
    scan(personas, referral.acknowledge_by + D(days=1))
    assert not flags("referral_not_acknowledged").exists()


def test_household_patterns(personas):
    user = personas.caseworker_a

    def household(case, members):
        core_services.household_create(user=user, case=case, name="世帯")
        for name, birth, rel, extra in members:
            person = core_services.person_create(
                user=user,
                municipality=personas.municipality_a,
                name=name,
                name_kana="セタイ",
                birth_date=birth,
            )
            core_services.household_add_member(
                user=user, case=case, person=person, relationship=rel, **extra
            )

    def years(n, days=0):
        return TODAY.replace(year=TODAY.year - n) - D(days=days)

    p8050 = open_case(personas, birth=years(80), name="母 8050")
    household(p8050, [("子 8050", years(52), "son", {"works": False})])
    working = open_case(personas, birth=years(80), name="母 就労")
    household(working, [("子 就労", years(52), "son", {"works": True})])
    young = open_case(personas, birth=years(45), name="母 YC")
    household(young, [("子 YC", years(15), "daughter", {"is_carer": True})])
    just_adult = open_case(personas, birth=years(45), name="母 成人")
    household(just_adult, [("子 成人", years(18), "daughter", {"is_carer": True})])
    scan(personas)
    assert flags("household_pattern", case=p8050).get().detail["p8050"] is True
    assert not flags("household_pattern", case=working).exists()
    assert flags("household_pattern", case=young).get().detail["young_carer"] is True
    assert not flags("household_pattern", case=just_adult).exists()
    # Adding the category resolves it.
    core_services.case_update(
        user=user,
        case=young,
        route=young.route,
        categories=[master(IssueCategory, "young_carer")],
        primary_category=None,
        assigned_to=user,
        agencies=[],
        is_sensitive=False,
    )
    scan(personas)
    assert not flags("household_pattern", case=young).exists()


# --- engine properties -----------------------------------------------------------------


def test_scanning_twice_adds_nothing_and_single_case_mode_matches(personas, world_a):
    open_case(personas, days_ago=70)
    scan(personas)
    unresolved = Flag.objects.filter(resolved_at__isnull=True)
    count = unresolved.count()
    assert count > 0
    second = scan(personas)
    assert sum(o.raised for o in second.values()) == 0
    assert unresolved.count() == count
    expected = set(unresolved.exclude(subject_type="concern").values_list("rule", "subject_id"))
    Flag.objects.all().delete()
    for case_id in Case.objects.values_list("pk", flat=True):
        evaluate(personas.municipality_a.pk, TODAY, case_ids=[case_id])
    assert set(unresolved.values_list("rule", "subject_id")) == expected


def test_first_flags_of_a_rule_skip_one_a_concurrent_scan_inserted(personas):
    """The one-statement path (PostgreSQL, a rule with no unresolved flag) inserts
    without ON CONFLICT first; a flag inserted meanwhile by another scan makes it fall
    back to ON CONFLICT DO NOTHING, which inserts the rest."""
    from django.db import connection

    from cases.engine import combined
    from cases.engine.flags import _evaluate_rule_in_sql

    if connection.vendor != "postgresql":
        pytest.skip("the one-statement path is PostgreSQL's")
    first = open_case(personas, days_ago=70, name="試験 一郎")
    second = open_case(personas, days_ago=70, name="試験 二郎")
    mid = personas.municipality_a.pk
    rule = get_rule("out_of_touch")
    Flag.objects.create(  # what the concurrent scan raised
        municipality_id=mid,
        rule=rule.code,
        subject_type=rule.subject,
        subject_id=first.pk,
        case=first,
        audience=rule.audience,
        as_of=TODAY,
    )
    compiled = combined.rule_sql(rule, mid, TODAY, rule.defaults)
    outcome = _evaluate_rule_in_sql(mid, rule, compiled, TODAY)
    assert (outcome.matched, outcome.raised) == (2, 1)
    assert flags("out_of_touch", case=first).count() == 1
    assert flags("out_of_touch", case=second).get().detail["last_contact"]


def test_flags_never_cross_municipalities(personas, world_a, world_b):
    b_flags = Flag.objects.filter(municipality=personas.municipality_b).count()
    evaluate(personas.municipality_a.pk, TODAY + D(days=300))
    assert Flag.objects.filter(municipality=personas.municipality_b).count() == b_flags
    assert (
        not Flag.objects.filter(municipality=personas.municipality_a)
        .exclude(case__municipality=personas.municipality_a)
        .filter(case__isnull=False)
        .exists()
    )
    flag_b = world_b.flag
    for persona in ("caseworker_a", "manager_a", "coordinator_a"):
        from django.test import Client

        client = Client()
        client.force_login(personas.all()[persona])
        assert client.get(reverse("cases:flag_detail", args=[flag_b.pk])).status_code == 404
        queue = client.get(reverse("cases:flag_queue")).content.decode()
        assert flag_b.case.person.name not in queue


def test_switching_a_rule_off_resolves_its_flags_and_changes_are_audited(personas):
    case = open_case(personas, days_ago=70)
    scan(personas)
    assert flags("out_of_touch", case=case).exists()
    rule = get_rule("out_of_touch")
    rule_setting_save(
        user=personas.manager_a,
        municipality=personas.municipality_a,
        rule=rule,
        enabled=False,
        params={"days": 60},
    )
    scan(personas)
    assert not flags("out_of_touch").exists()
    rule_setting_save(
        user=personas.manager_a,
        municipality=personas.municipality_a,
        rule=rule,
        enabled=True,
        params={"days": 90},
    )
    scan(personas)
    assert not flags("out_of_touch", case=case).exists()  # 70 < 90
    assert AuditEvent.objects.filter(object_type="cases.rulesetting").count() == 2
    with pytest.raises(CaseRuleError):
        rule_setting_save(
            user=personas.caseworker_a,
            municipality=personas.municipality_a,
            rule=rule,
            enabled=True,
            params={"days": 1},
        )
    with pytest.raises(CaseRuleError):
        rule_setting_save(
            user=personas.manager_a,
            municipality=personas.municipality_a,
            rule=rule,
            enabled=True,
            params={"days": -1},
        )


def test_people_snooze_dismiss_and_refer(client, personas, world_a):
    # 孤立 (no field) with 債務 (poverty) and 介護 (elderly): two fields.
    case = open_case(personas, categories=["isolation", "debt", "care"], days_ago=30)
    scan(personas)
    flag = flags("isolation_no_place", case=case).get()
    with pytest.raises(CaseRuleError):
        flag_snooze(user=personas.community_worker_a, flag=flag, until=TODAY)
    flag_snooze(user=personas.community_worker_a, flag=flag, until=TODAY + D(days=7))
    client.force_login(personas.community_worker_a)
    assert case.number not in client.get(reverse("cases:flag_queue")).content.decode()
    referral = flag_refer(
        user=personas.community_worker_a, flag=flag, reason="サロンの紹介を相談したい"
    )
    assert (referral.from_program, referral.to_program) == ("community", "consultation")
    with pytest.raises(CaseRuleError):
        flag_dismiss(user=personas.community_worker_a, flag=flag, reason="x")
    other = flags("needs_multiagency", case=case).get()
    with pytest.raises(CaseRuleError):
        flag_dismiss(user=personas.manager_a, flag=other, reason=" ")
    flag_dismiss(user=personas.manager_a, flag=other, reason="既に関係機関と協議済み")
    scan(personas)  # a dismissed flag is not raised again while the condition holds
    assert flags("needs_multiagency", case=case).get().state == "dismissed"
    assert AuditEvent.objects.filter(object_type="cases.flag", action="update").count() == 3


def test_flag_pages_and_counts(client, personas, world_a, django_assert_num_queries):
    open_case(personas, categories=["isolation"], days_ago=30)
    scan(personas)
    client.force_login(personas.community_worker_a)
    html = client.get(reverse("cases:flag_queue")).content.decode()
    assert "孤立" in html
    assert "試験 太郎" not in html
    client.force_login(personas.caseworker_a)
    dashboard = client.get(reverse("cases:dashboard")).content.decode()
    assert "未対応のフラグ" in dashboard
    url = reverse("cases:flag_queue")
    client.get(url)
    # session, user, membership (the session, renewed under a minute ago, is not written),
    # flags (+case, person, caseworker, assignee), the audit write
    with django_assert_num_queries(7):
        client.get(url)
    for i in range(3):
        open_case(personas, days_ago=80, name=f"連絡 途絶{i}")
    scan(personas)
    with django_assert_num_queries(7):
        html = client.get(url).content.decode()
    assert html.count("連絡 途絶") == 3


def test_the_flag_queue_shows_each_flag_in_a_fixed_number_of_queries_to_every_role(
    client, personas, django_assert_num_queries
):
    """The queue reads only what it shows of a flag, its case, person and caseworker
    (``FLAG_QUEUE_FIELDS``): nothing it shows is read again row by row, whether the
    reader may open cases (the number and the person) or not (the number and the
    caseworker)."""
    personas.caseworker_a.display_name = "相談 花子"
    personas.caseworker_a.save()
    for i in range(3):
        open_case(personas, categories=["isolation"], days_ago=80, name=f"連絡 途絶{i}")
    scan(personas)
    url = reverse("cases:flag_queue")
    for user, shown in (
        (personas.caseworker_a, "連絡 途絶"),
        (personas.community_worker_a, "相談 花子"),
    ):
        client.force_login(user)
        client.get(url)
        with django_assert_num_queries(7):
            html = client.get(url).content.decode()
        assert html.count(shown) >= 3, user
    assert "連絡 途絶" not in html  # the community worker sees no person's name


def test_a_queued_flag_shows_as_the_flag_itself(personas):
    """The queue reads its flags as values (``QueuedFlag``): each row is the row of the
    flag read as a model, with its case, person and caseworker, to every reader."""
    from cases.engine.queries import flag_queue_page
    from cases.templatetags.flag_badges import flag_row

    personas.caseworker_a.display_name = "相談 <花子>"
    personas.caseworker_a.save()
    for i in range(3):
        open_case(personas, categories=["isolation"], days_ago=80, name=f"連絡 & 途絶{i}")
    scan(personas)
    flags("out_of_touch").update(state="snoozed", snoozed_until=TODAY - D(days=1))
    queued = flag_queue_page(personas.caseworker_a, 0, 50)
    assert len(queued) >= 6
    assert {f.state for f in queued} == {"open", "snoozed"}
    for flag in queued:
        model = Flag.objects.select_related("case__person", "case__assigned_to").get(pk=flag.pk)
        for can_see_cases in (True, False):
            assert flag_row(flag, can_see_cases) == flag_row(model, can_see_cases)


def test_flag_queue_pages_without_counting(
    client, personas, monkeypatch, django_assert_num_queries
):
    from cases.engine import views as engine_views

    monkeypatch.setattr(engine_views, "FLAG_PAGE_SIZE", 2)
    for i in range(3):
        open_case(personas, days_ago=80, name=f"連絡 途絶{i}")
    scan(personas)
    client.force_login(personas.caseworker_a)
    url = reverse("cases:flag_queue")
    client.get(url)
    # As without pages: one row more, no COUNT.
    with django_assert_num_queries(7):
        first = client.get(url).content.decode()
    second = client.get(url, {"page": 2}).content.decode()
    assert first.count("連絡 途絶") == 2
    assert "?page=2" in first
    assert second.count("連絡 途絶") == 1
    assert "?page=1" in second
    assert "?page=3" not in second
    assert client.get(url, {"page": "x"}).status_code == 200


def test_flag_form_errors(client, personas):
    case = open_case(personas, categories=["isolation"], days_ago=30)
    scan(personas)
    flag = flags("isolation_no_place", case=case).get()
    client.force_login(personas.community_worker_a)
    url = reverse("cases:flag_detail", args=[flag.pk])
    assert client.post(url, {"action": "snooze", "until": "yesterday"}).status_code == 400
    assert client.post(url, {"action": "dismiss", "reason": ""}).status_code == 400
    assert client.post(url, {"action": "explode"}).status_code == 405
    flag.refresh_from_db()
    assert flag.state == "open"
    assert client.post(url, {"action": "refer", "reason": "居場所を紹介したい"}).status_code == 302
    assert Referral.objects.filter(case=case, from_program="community").exists()


def test_scan_referrals_command(personas, capsys):
    open_case(personas, days_ago=70)
    call_command(
        "scan_referrals",
        "--municipality",
        personas.municipality_a.code,
        "--as-of",
        TODAY.isoformat(),
    )
    out = capsys.readouterr().out
    assert "out_of_touch" in out
    assert "raised" in out
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("scan_referrals", "--as-of", "2026-13-40")
    with pytest.raises(CommandError):
        call_command("scan_referrals", "--municipality", "999997")


def test_a_save_succeeds_when_the_broker_is_down(
    personas, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    from kombu.exceptions import OperationalError

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(engine_tasks.evaluate_case, "apply_async", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        case = open_case(personas)
    assert Case.objects.filter(pk=case.pk).exists()
    assert "could not enqueue evaluation" in caplog.text


def test_the_dashboard_counts_open_flags_up_to_99(client, personas, world_a):
    """A caseworker of a large agency can have tens of thousands of open flags: the
    dashboard says "99+" and the queue pages them."""
    from cases.consultation.queries import DASHBOARD_FLAGS
    from cases.engine.queries import flag_queue

    client.force_login(personas.caseworker_a)
    open_now = flag_queue(personas.caseworker_a).count()
    rule = get_rule("out_of_touch")
    Flag.objects.bulk_create(
        Flag(
            municipality_id=personas.municipality_a.pk,
            rule=rule.code,
            subject_type=rule.subject,
            subject_id=1_000_000 + n,
            case=world_a.case,
            audience="caseworker",
            as_of=TODAY,
        )
        for n in range(DASHBOARD_FLAGS - open_now)
    )
    dashboard = client.get(reverse("cases:dashboard")).content.decode()
    assert f">{DASHBOARD_FLAGS}<" in dashboard
    assert f"{DASHBOARD_FLAGS}+" not in dashboard
    Flag.objects.create(
        municipality_id=personas.municipality_a.pk,
        rule=rule.code,
        subject_type=rule.subject,
        subject_id=2_000_000,
        case=world_a.case,
        audience="caseworker",
        as_of=TODAY,
    )
    assert f"{DASHBOARD_FLAGS}+" in client.get(reverse("cases:dashboard")).content.decode()


def test_what_a_rule_saw_is_labelled_and_escaped():
    """Each detail a rule records shows under its label (the outreach rules' too, which
    showed their raw keys), nothing for a false or empty value, and a value is text."""
    from django.template import engines
    from django.utils import translation

    template = engines["django"].from_string(
        "{% load flag_badges %}{% flag_detail_badges detail %}"
    )
    detail = {
        "last_contact_on": "2026-05-01",
        "next_contact_on": "2026-06-01",
        "failed_in_a_row": 3,
        "stage_since": "2026-04-01",
        "suggest": "handover",
        "p8050": True,
        "double_care": False,
        "review_on": None,
        "received": "2026-05-02T10:00:00+09:00",
        "note": "<script>alert(1)</script>",
    }
    with translation.override("ja"):
        html = template.render({"detail": detail})
    assert html == (
        '<span class="badge">最終連絡日 2026-05-01</span>'
        '<span class="badge">次回接触予定 2026-06-01</span>'
        '<span class="badge">連続した不成立の回数 3</span>'
        '<span class="badge">この段階になった日 2026-04-01</span>'
        '<span class="badge">同意あり：多機関協働につなぐ</span>'
        '<span class="badge">8050</span>'
        '<span class="badge">受付日 2026-05-02</span>'
        '<span class="badge">note &lt;script&gt;alert(1)&lt;/script&gt;</span>'
    )


def test_a_scan_reads_every_rules_flags_at_once(personas, world_a):
    """A scan reads every rule's unresolved flags of the municipality in one statement,
    unsorted: no statement per rule for its flags, however many flags there are."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(3):
        open_case(personas, categories=["isolation", "debt", "care"], days_ago=80, name=f"走査 {i}")
    first = scan(personas)
    assert sum(o.raised for o in first.values()) >= 6
    with CaptureQueriesContext(connection) as ctx:
        again = scan(personas)
    reads = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith("SELECT") and 'FROM "cases_flag"' in q["sql"]
    ]
    assert len(reads) == 1
    assert "ORDER BY" not in reads[0]
    assert sum(o.raised for o in again.values()) == sum(o.resolved for o in again.values()) == 0
    assert {code: o.matched for code, o in again.items()} == {
        code: o.matched for code, o in first.items()
    }


# The flag queue's row as its template wrote it before ``flag_row``, with what a flag is
# about and what its rule saw as the tags wrote them then (``format_html``), to compare.
OLD_FLAG_ROW = (
    "{% load i18n %}<tr>\n"
    "  <td><a href=\"{% url 'cases:flag_detail' flag.pk %}\">{{ flag.rule_title }}</a>"
    '{% if flag.state == "snoozed" %} <span class="badge">{% translate "back from snooze" %}'
    "</span>{% endif %}</td>\n"
    "  <td>{{ about }}</td>\n"
    "  <td>{{ badges }}</td>\n"
    '  <td>{{ flag.raised_at|date:"Y-m-d" }}</td>\n'
    "</tr>"
)


def _old_flag_about(flag, can_see_cases):
    from django.utils.html import format_html
    from django.utils.safestring import SafeString
    from django.utils.translation import gettext as _

    if flag.case_id:
        case = flag.case
        if can_see_cases:
            url = reverse("cases:case_detail", args=[flag.case_id])
            return format_html('<a href="{}">{}</a> {}', url, case.number, case.person.name)
        return format_html(
            "{} {}（{}: {}）", _("Case"), case.number, _("caseworker"), case.assigned_to or "—"
        )
    subject = flag.subject
    if not subject:
        return SafeString("")
    if can_see_cases and subject.url_name:
        url = reverse(subject.url_name, args=[flag.subject_id])
        return format_html('<a href="{}">{} #{}</a>', url, subject.label, flag.subject_id)
    return format_html("{} #{}", subject.label, flag.subject_id)


def _old_flag_detail_badges(detail):
    from django.utils.html import format_html_join

    from cases.templatetags.flag_badges import _detail_text

    return format_html_join(
        "",
        '<span class="badge">{}</span>',
        ((_detail_text(k, v),) for k, v in detail.items() if v is not False and v is not None),
    )


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_flag_row_is_the_markup_of_the_template_it_replaced(language):
    """Flags about a case (with and without a caseworker), about another record, of an
    unknown rule, snoozed or open, with details that need escaping: the row written in
    Python is the row the template wrote, for those who may open cases and those who
    may not."""
    from django.utils import translation

    from cases.models import Case, Person
    from municipalities.models import User

    old, new = old_and_new(OLD_FLAG_ROW, "{% load flag_badges %}{% flag_row flag can_see_cases %}")
    raised = timezone.make_aware(datetime.datetime(2026, 3, 31, 23, 30))
    caseworker = User(pk=7, username="kw", display_name="相談 <花子>")
    case = Case(pk=3, number="2026-00003", person=Person(pk=4, name="山田 & 花子"))
    flags = [
        Flag(pk=11, rule="isolation_no_place", state="open", case=case, raised_at=raised),
        Flag(
            pk=12,
            rule="out_of_touch",
            state="snoozed",
            case=Case(pk=5, number="2026-00005", person=Person(pk=6, name="森")),
            raised_at=raised,
            detail={"last_contact": "2026-01-02", "note": "<b>x</b>", "p8050": True},
        ),
        Flag(pk=13, rule="no_such_rule", state="open", raised_at=raised, detail={}),
        Flag(
            pk=14,
            rule="referral_not_acknowledged",
            state="snoozed",
            subject_type="referral",
            subject_id=99,
            raised_at=raised,
            detail={"acknowledge_by": "2026-04-03"},
        ),
        Flag(pk=15, rule="concern_open", state="open", subject_type="concern", subject_id=8),
    ]
    flags[0].case.assigned_to = caseworker
    flags[4].raised_at = raised
    with translation.override(language):
        for flag in flags:
            for can_see_cases in (True, False):
                context = {"flag": flag, "can_see_cases": can_see_cases}
                reference = {
                    **context,
                    "about": _old_flag_about(flag, can_see_cases),
                    "badges": _old_flag_detail_badges(flag.detail),
                }
                assert new.render(context) == old.render(reference), (flag.pk, can_see_cases)
