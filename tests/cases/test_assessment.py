"""The assessment sheet (インテーク・アセスメントシート): versions, bad input, need to know,
the genogram and ecomap drawn from a hand-built 8050 + ダブルケア household, the A4
print and the page's query count."""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.assessment import services
from cases.assessment.drawing import ecomap_svg, genogram_svg
from cases.assessment.maps import case_maps
from cases.core import services as core_services
from cases.core import sharing
from cases.models import Assessment, Relationship, RelationshipMark
from municipalities.models import AuditEvent
from tests.worlds import consent_naming

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"
PDFTOTEXT, PDFINFO = shutil.which("pdftotext"), shutil.which("pdfinfo")


def parse_svg(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 — the portal's own drawing, not outside input


def record(personas, case, **overrides):
    fields = {
        "user": personas.caseworker_a,
        "case": case,
        "assessed_on": timezone.localdate(),
        "wishes": "「息子のことが心配。家で暮らし続けたい」",
        "life_history": "市内で生まれ育つ。夫は10年前に死去。",
        "domains": {"health": {"situation": "膝が悪い", "issues": "通院が難しい", "strengths": ""}},
        "supporters": [{"role": "民生委員", "name": "田中 一郎"}],
    }
    fields.update(overrides)
    return services.assessment_record(**fields)


def form_data(**overrides):
    data = {
        "assessed_on": timezone.localdate().isoformat(),
        "wishes": "自宅で暮らしたい",
        "life_history": "",
        "staff_present": "相談支援員 山本",
        "person_present": "on",
        "supporters": "民生委員: 田中 一郎\n近所の友人",
        "housing__situation": "持家（築40年）",
    }
    data.update(overrides)
    return data


# --- versions ---------------------------------------------------------------------------


def test_each_save_is_a_new_version_and_the_earlier_ones_stay_readable(client, personas, world_a):
    case = world_a.case
    first = record(personas, case, wishes="一回目の意向")
    client.force_login(personas.caseworker_a)
    url = reverse("cases:assessment_add", args=[case.pk])
    page = client.get(url).content.decode()
    assert "一回目の意向" in page  # prefilled from the latest version
    response = client.post(url, form_data(wishes="二回目の意向"))
    assert response.status_code == 302
    assert list(case.assessments.order_by("version").values_list("version", "wishes")) == [
        (1, "一回目の意向"),
        (2, "二回目の意向"),
    ]
    first.refresh_from_db()
    assert first.wishes == "一回目の意向"
    second = case.assessments.get(version=2)
    assert second.supporters == [
        {"role": "民生委員", "name": "田中 一郎"},
        {"role": "", "name": "近所の友人"},
    ]
    assert second.domains["housing"]["situation"] == "持家（築40年）"
    detail = reverse("cases:assessment_detail", args=[case.pk])
    assert "二回目の意向" in client.get(detail).content.decode()
    old = client.get(detail, {"v": 1}).content.decode()
    assert "一回目の意向" in old
    assert "二回目の意向" not in old
    assert client.get(detail, {"v": 9}).status_code == 404
    assert client.get(detail, {"v": "x"}).status_code == 404
    assert case.events.filter(kind="assessment_recorded").count() == 2
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CREATE, object_type="cases.assessment", case_id=case.pk
    ).exists()


def test_the_case_page_lists_the_versions(client, personas, world_a):
    record(personas, world_a.case)
    record(personas, world_a.case, wishes="更新")
    client.force_login(personas.caseworker_a)
    html = client.get(reverse("cases:case_detail", args=[world_a.case.pk])).content.decode()
    assert 'id="assessment"' in html
    assert "?v=2" in html
    assert "?v=1" in html
    assert 'class="genogram"' in html
    assert 'class="ecomap"' in html


# --- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"wishes": "   "}, "必須"),
        # Tomorrow as the test runs (taken when the tests are collected, it is today for a
        # run that passes midnight in Japan).
        (
            {
                "assessed_on": lambda: (
                    timezone.localdate() + datetime.timedelta(days=1)
                ).isoformat()
            },
            "未来の日付",
        ),
        ({"assessed_on": "1800-01-01"}, "日付"),
        ({"wishes": "意向\x00"}, "制御文字"),
    ],
)
def test_bad_input_is_refused_in_japanese_and_nothing_is_saved(
    client, personas, world_a, overrides, message
):
    overrides = {key: value() if callable(value) else value for key, value in overrides.items()}
    client.force_login(personas.caseworker_a)
    response = client.post(
        reverse("cases:assessment_add", args=[world_a.case.pk]), form_data(**overrides)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Assessment.objects.exists()


def test_a_deceased_member_must_be_of_the_household(personas, world_a, world_b):
    from portal.errors import CaseRuleError

    with pytest.raises(CaseRuleError) as exc:
        record(personas, world_a.case, deceased=[world_b.person.pk])
    assert exc.value.field == "deceased"
    assert not Assessment.objects.exists()
    record(personas, world_a.case, deceased=[world_a.member.person_id])
    assert Assessment.objects.get().deceased == [world_a.member.person_id]


def test_a_closed_case_gets_no_new_assessment(personas, world_a):
    from cases.models import Case
    from portal.errors import CaseRuleError

    case = world_a.case
    case.status = Case.Status.CLOSED
    with pytest.raises(CaseRuleError):
        record(personas, case)


# --- need to know -----------------------------------------------------------------------

ROUTES = ("assessment_detail", "assessment_add", "assessment_print", "relationship_marks")


@pytest.mark.parametrize("persona", ["caseworker_b", "other_agency_a", "coordinator_a"])
def test_other_municipality_and_other_agency_get_404(
    client, personas, world_a, other_agency, persona
):
    assessment = record(personas, world_a.case)
    client.force_login(personas.all()[persona])
    for name in ROUTES:
        url = reverse(f"cases:{name}", args=[world_a.case.pk])
        assert client.get(url).status_code == 404, (persona, name)
        assert client.post(url, form_data()).status_code == 404, (persona, name)
    assert client.get(f"/api/assessments/{assessment.pk}/").status_code == 404
    assert Assessment.objects.count() == 1


def test_the_agency_sees_the_assessment_once_it_is_on_the_case(
    client, personas, world_a, other_agency
):
    assessment = record(personas, world_a.case)
    consent_naming(personas, world_a, [other_agency])
    sharing.case_agency_add(user=personas.caseworker_a, case=world_a.case, agency=other_agency)
    client.force_login(personas.other_agency_a)
    assert client.get(reverse("cases:assessment_detail", args=[world_a.case.pk])).status_code == 200
    response = client.get(f"/api/assessments/{assessment.pk}/")
    assert response.status_code == 200
    assert response.json()["wishes"] == assessment.wishes
    listed = client.get("/api/assessments/", {"case": world_a.case.pk}).json()["results"]
    assert [r["id"] for r in listed] == [assessment.pk]


def test_every_look_and_print_is_audited(client, personas, world_a):
    record(personas, world_a.case)
    client.force_login(personas.caseworker_a)
    before = AuditEvent.objects.count()
    client.get(reverse("cases:assessment_detail", args=[world_a.case.pk]))
    event = AuditEvent.objects.order_by("-pk").first()
    assert event.action == AuditEvent.Action.VIEW
    assert event.case_id == world_a.case.pk
    client.get(reverse("cases:assessment_print", args=[world_a.case.pk]))
    event = AuditEvent.objects.order_by("-pk").first()
    assert event.action == AuditEvent.Action.EXPORT
    assert event.detail["assessment_version"] == 1
    assert AuditEvent.objects.count() == before + 2


# --- genogram and ecomap of an 8050 + ダブルケア household --------------------------------


@pytest.fixture
def household_8050(personas, world_a):
    """本人 the mother (81), her withdrawn son (53) and her daughter (49), who cares for
    both her mother and her own child (9). World A's case is the mother's."""
    cw, case = personas.caseworker_a, world_a.case
    son = world_a.member.person
    son.sex = "male"
    son.save()
    today = timezone.localdate()
    daughter = core_services.person_create(
        user=cw,
        municipality=case.municipality,
        name="豊中 三恵",
        name_kana="ミエ",
        sex="female",
        birth_date=today.replace(year=today.year - 49) - datetime.timedelta(days=10),
    )
    child = core_services.person_create(
        user=cw,
        municipality=case.municipality,
        name="豊中 蓮",
        name_kana="レン",
        sex="male",
        birth_date=today.replace(year=today.year - 9) - datetime.timedelta(days=10),
    )
    core_services.household_add_member(
        user=cw, case=case, person=daughter, relationship=Relationship.DAUGHTER, is_carer=True
    )
    core_services.household_add_member(
        user=cw, case=case, person=child, relationship=Relationship.GRANDCHILD
    )
    return {"mother": case.person, "son": son, "daughter": daughter, "child": child}


def test_the_genogram_draws_every_member_with_generations_and_lines(
    personas, world_a, household_8050
):
    h = household_8050
    root = parse_svg(str(genogram_svg(case_maps(world_a.case))))
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "ジェノグラム"
    members = {
        int(g.get("data-person")): g for g in root.iter(f"{SVG}g") if g.get("class") == "member"
    }
    assert set(members) == {p.pk for p in h.values()}
    shapes = {
        pk: [c.tag.removeprefix(SVG) for c in g if c.get("class") == "shape"]
        for pk, g in members.items()
    }
    assert shapes[h["mother"].pk] == ["circle", "circle"]  # the person: doubled outline
    assert shapes[h["son"].pk] == ["rect"]
    assert shapes[h["daughter"].pk] == ["circle"]
    assert shapes[h["child"].pk] == ["rect"]
    texts = {pk: [t.text for t in g.iter(f"{SVG}text")] for pk, g in members.items()}
    assert texts[h["son"].pk][1] == f"息子・{h['son'].age}歳"
    assert texts[h["daughter"].pk][1] == "娘・49歳"
    assert texts[h["child"].pk][0] == "豊中 蓮"
    descent = {
        (int(line.get("data-parent")), int(line.get("data-child")))
        for line in root.iter(f"{SVG}line")
        if line.get("class") == "child-line"
    }
    assert descent == {
        (h["mother"].pk, h["son"].pk),
        (h["mother"].pk, h["daughter"].pk),
        (h["daughter"].pk, h["child"].pk),  # the carer's own child
    }

    def row_of(pk):
        return float(members[pk].find(f"{SVG}text").get("y"))

    assert (
        row_of(h["mother"].pk)
        < row_of(h["son"].pk)
        == row_of(h["daughter"].pk)
        < row_of(h["child"].pk)
    )


def test_a_deceased_member_is_crossed_out(personas, world_a, household_8050):
    record(personas, world_a.case, deceased=[household_8050["son"].pk])
    root = parse_svg(str(genogram_svg(case_maps(world_a.case))))
    crossed = [
        g.get("data-person")
        for g in root.iter(f"{SVG}g")
        if any(c.get("class") == "deceased" for c in g)
    ]
    assert crossed == [str(household_8050["son"].pk)]


def test_the_ecomap_draws_every_supporter_with_its_marked_tie(
    client, personas, world_a, household_8050, other_agency
):
    from participation.models import Assignment

    case = world_a.case
    consent_naming(personas, world_a, [other_agency])
    sharing.case_agency_add(user=personas.caseworker_a, case=case, agency=other_agency)
    # The world's participant is another case: the mother goes to the menu too.
    Assignment.objects.filter(pk=world_a.assignment.pk).update(case=case)
    record(personas, case)
    keys = {
        f"agency:{world_a.agency.pk}",  # the lead agency
        f"agency:{other_agency.pk}",
        f"participation.menu:{world_a.menu.pk}",
        f"community.place:{world_a.place.pk}",
        "person:田中 一郎",  # 民生委員, named on the assessment
    }
    maps = case_maps(case)
    assert set(maps.supporter_keys()) == keys
    client.force_login(personas.caseworker_a)
    form = marks_data(
        maps,
        {
            f"agency:{world_a.agency.pk}": "strong",
            f"community.place:{world_a.place.pk}": "weak",
            "person:田中 一郎": "strained",
        },
    )
    response = client.post(reverse("cases:relationship_marks", args=[case.pk]), form)
    assert response.status_code == 302
    assert dict(RelationshipMark.objects.values_list("target", "strength")) == {
        f"agency:{world_a.agency.pk}": "strong",
        f"community.place:{world_a.place.pk}": "weak",
        "person:田中 一郎": "strained",
    }
    root = parse_svg(str(ecomap_svg(case_maps(case))))
    assert root.get("role") == "img"
    nodes = {g.get("data-key") for g in root.iter(f"{SVG}g") if g.get("class") == "supporter"}
    assert nodes == keys
    ties = {
        e.get("data-key"): (e.tag.removeprefix(SVG), e.get("data-strength"))
        for e in root.iter()
        if e.get("class") == "tie" and not e.get("data-key").startswith("legend:")
    }
    assert set(ties) == keys
    assert ties[f"agency:{world_a.agency.pk}"] == ("line", "strong")
    assert ties[f"community.place:{world_a.place.pk}"] == ("line", "weak")
    assert ties["person:田中 一郎"] == ("polyline", "strained")  # zigzag
    assert ties[f"agency:{other_agency.pk}"] == ("line", "none")
    legend = [g for g in root.iter(f"{SVG}g") if g.get("class") == "legend"]
    assert legend
    assert "ストレスのある関係" in "".join(t.text for t in legend[0].iter(f"{SVG}text"))
    # Removing a mark and refusing a key that is not on the ecomap.
    client.post(reverse("cases:relationship_marks", args=[case.pk]), marks_data(maps, {}))
    assert not RelationshipMark.objects.exists()
    assert case.events.filter(kind="relationships_marked").count() == 2


def marks_data(maps, marks):
    """The marks form's POST for ``marks`` ({supporter key: strength})."""
    return {f"mark_{i}": marks.get(s.key, "") for i, s in enumerate(maps.supporters)}


def test_a_mark_for_a_supporter_not_on_the_ecomap_is_refused(personas, world_a):
    from portal.errors import CaseRuleError

    with pytest.raises(CaseRuleError):
        services.relationship_marks_set(
            user=personas.caseworker_a,
            case=world_a.case,
            marks={"agency:999999": "strong"},
            allowed=case_maps(world_a.case).supporter_keys(),
        )


# --- print ------------------------------------------------------------------------------


@pytest.mark.skipif(not (PDFTOTEXT and PDFINFO), reason="pdftotext (poppler-utils) missing")
def test_the_print_is_an_a4_pdf_with_the_headings_and_the_name(client, personas, world_a, tmp_path):
    record(personas, world_a.case)
    client.force_login(personas.caseworker_a)
    response = client.get(reverse("cases:assessment_print", args=[world_a.case.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(
        [PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    for heading in (
        "インテーク・アセスメントシート",
        "本人の意向",
        "生活歴",
        "健康・疾病・障害",
        "ジェノグラム",
        "エコマップ",
    ):
        assert heading in text, heading
    assert world_a.person.name in text
    assert "令和" in text
    assert personas.municipality_a.name in text
    pages = re.findall(r"(\d+)\s*/\s*(\d+)", text)  # page numbers, "1 / 3"
    assert pages
    assert pages[0][0] == "1"
    assert pages[-1][0] == pages[-1][1]
    info = subprocess.run([PDFINFO, str(pdf)], capture_output=True, text=True).stdout
    assert "A4" in info


# --- query counts -----------------------------------------------------------------------

# session, user, membership; case (+person, route, assignee, lead agency); one UNION ALL
# of the drawings' rows (members, agencies, latest assessment, versions, marks, the
# programs' supporters); the assessment shown; its agencies (prefetch); audit write
# (head moved on, event, head signed). The session is not written: it was renewed by
# the request before, less than a minute ago.
QUERIES_ASSESSMENT_PAGE = 10


def test_the_assessment_page_costs_the_same_whatever_it_holds(
    client, personas, world_a, household_8050, django_assert_num_queries
):
    record(personas, world_a.case)
    client.force_login(personas.caseworker_a)
    url = reverse("cases:assessment_detail", args=[world_a.case.pk])
    client.get(url)
    with django_assert_num_queries(QUERIES_ASSESSMENT_PAGE):
        client.get(url)
    for i in range(3):
        record(
            personas,
            world_a.case,
            wishes=f"更新{i}",
            supporters=[{"role": "友人", "name": f"友人{i}"}],
        )
    with django_assert_num_queries(QUERIES_ASSESSMENT_PAGE):
        client.get(url)


# --- retention --------------------------------------------------------------------------


def test_anonymisation_blanks_the_assessment_and_the_named_supporters(personas, world_a):
    from cases.core.retention import anonymise_expired
    from tests.cases.test_retention import FIRST_DAY_PAST, close_world, personal_text_left

    case = world_a.case
    record(
        personas,
        case,
        wishes="山田 花子さん「次郎と暮らしたい」",
        domains={"family_care": {"situation": "次郎が買い物", "issues": "", "strengths": "山田家"}},
        supporters=[{"role": "民生委員", "name": "山田 一郎"}],
        family_present="山田 次郎",
    )
    services.relationship_marks_set(
        user=personas.caseworker_a,
        case=case,
        marks={"person:山田 一郎": "strong", f"agency:{world_a.agency.pk}": "weak"},
        allowed=case_maps(case).supporter_keys(),
    )
    close_world(world_a, personas.caseworker_a)
    anonymise_expired(as_of=FIRST_DAY_PAST)
    assert personal_text_left(("山田", "花子", "次郎", "一郎")) == []
    a = Assessment.objects.get()
    assert a.version == 1
    assert a.domains["family_care"]["issues"] == ""
    assert list(RelationshipMark.objects.values_list("strength", flat=True)) == ["weak"]


def test_the_disclosure_export_holds_every_version(personas, world_a):
    import io

    from django.core.management import call_command

    record(personas, world_a.case, wishes="一回目の意向")
    record(personas, world_a.case, wishes="二回目の意向")
    out = io.StringIO()
    call_command("export_person", str(world_a.person.pk), stdout=out)
    text = out.getvalue()
    assert "アセスメント 第1版" in text
    assert "一回目の意向" in text
    assert "二回目の意向" in text
    assert "民生委員 田中 一郎" in text
    assert "健康・疾病・障害: 現状：膝が悪い" in text


def test_every_relationship_finds_its_row_and_couples_are_joined():
    from cases.assessment.maps import CaseMaps, Member

    rels = [
        ("self", "male"),
        ("spouse", "female"),
        ("father", "male"),
        ("mother", "female"),
        ("grandparent", "female"),
        ("sibling", "unrecorded"),
        ("son", "male"),
        ("daughter", "female"),
        ("grandchild", "other"),
        ("relative", "male"),
        ("other", "female"),
    ]
    members = [
        Member(i, f"人{i}", rel, rel, sex, None, is_self=rel == "self", deceased=rel == "father")
        for i, (rel, sex) in enumerate(rels, start=1)
    ]
    root = parse_svg(str(genogram_svg(CaseMaps(case=None, members=members))))
    drawn = [g for g in root.iter(f"{SVG}g") if g.get("class") == "member"]
    assert len(drawn) == len(rels)
    couples = {(line.get("data-a"), line.get("data-b")) for line in root.iter(f"{SVG}line")
               if line.get("class") == "couple"}  # fmt: skip
    assert couples == {("1", "2"), ("3", "4")}
    diamonds = [g.get("data-person") for g in drawn if g.find(f"{SVG}polygon") is not None]
    assert diamonds == ["6", "9"]  # sex not recorded, or other: neither square nor circle
    child_lines = {
        (line.get("data-parent"), line.get("data-child"))
        for line in root.iter(f"{SVG}line")
        if line.get("class") == "child-line"
    }
    assert ("3", "1") in child_lines  # the person descends from the parents' couple
    assert ("3", "6") in child_lines  # and so does the sibling
    assert ("1", "7") in child_lines  # the children from the person's couple
    assert ("5", "3") in child_lines  # the grandparent above the parents


def test_a_long_agency_name_is_drawn_whole_on_two_lines(personas, world_a):
    """On the ecomap an agency is told from the others by its full name: a long one goes
    on two lines instead of being cut after eleven characters."""
    record(personas, world_a.case)
    root = parse_svg(str(ecomap_svg(case_maps(world_a.case))))
    name = world_a.agency.name
    assert len(name) > 11
    (node,) = [
        g for g in root.iter(f"{SVG}g") if g.get("data-key") == f"agency:{world_a.agency.pk}"
    ]
    lines = [t.text for t in node.iter(f"{SVG}text") if t.get("class") == "label"]
    assert len(lines) == 2
    assert "".join(lines) == name
    (supporter,) = [g for g in root.iter(f"{SVG}g") if g.get("data-key") == "person:田中 一郎"]
    assert [t.text for t in supporter.iter(f"{SVG}text") if t.get("class") == "label"] == [
        "田中 一郎"
    ]
