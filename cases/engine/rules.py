"""Referral rules: the registry and the rules of consultation support.

A rule is a small named unit: a Japanese title and explanation, who the flag is for,
per-municipality thresholds with defaults, and one set-based query that returns the
subjects for which the rule holds as of a date. The engine (``cases.engine.flags``) raises a
flag for each new subject and resolves flags whose subject no longer appears.

Every program registers its rules in ``cases.registry`` (``register_rule``), the
consultation pillar's below; ``cases`` never imports a program app.

A rule's query returns ``.values()`` rows with the keys
``flag_subject`` (id of the case, concern or referral), ``flag_case`` (case id or None),
``flag_user`` (the staff member the flag is also for, or None) and optionally
``flag_audience`` (a role that overrides the rule's); other keys are kept as the
flag's detail ("what the rule saw").
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case as SqlCase
from django.db.models import (
    CharField,
    Count,
    DateField,
    DateTimeField,
    Exists,
    F,
    FilteredRelation,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.lookups import IsNull
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import (
    Case,
    CaseCategory,
    Consultation,
    HouseholdMember,
    Meeting,
    MeetingCase,
    Referral,
    SupportPlan,
)
from cases.registry import flag_audiences, register_rule

Query = Callable[[int, datetime.date, dict[str, int]], QuerySet]


@dataclass(frozen=True)
class Rule:
    code: str
    title: Any  # lazy Japanese text
    explanation: Any  # may use {param} placeholders filled from the thresholds
    audience: str  # a municipalities.Role value
    subject: str  # "case" | "concern" | "referral"
    defaults: dict[str, int]
    query: Query
    param_labels: dict[str, Any] = field(default_factory=dict)
    # (from program, to program) when the flag can be turned into a referral.
    refer: tuple[str, str] | None = None
    order: int = 100
    # The flag is also for the staff of the case's lead agency (主担当機関): the rule
    # suggests what is theirs to do (a hand-over). Need to know still holds: a flag
    # about a case shows only to those who see the case (``cases.engine.queries``).
    lead_agency: bool = False

    def describe(self, params: dict[str, int]) -> str:
        try:
            return str(self.explanation).format(**{**self.defaults, **params})
        except (KeyError, IndexError):
            return str(self.explanation)


# --- helpers for rule queries -------------------------------------------------------


def open_cases(municipality_id: int) -> QuerySet[Case]:
    return Case.objects.filter(municipality_id=municipality_id, deleted_at__isnull=True).exclude(
        status=Case.Status.CLOSED
    )


def case_rows(qs: QuerySet[Case], *detail: str) -> QuerySet:
    """Rows for the engine; ``detail``: field or annotation names kept on the flag.
    Unordered: the engine needs no order, and ``Case.Meta.ordering`` would add a sort of
    every matching row to each rule's query."""
    return qs.order_by().values(
        *detail, flag_subject=F("pk"), flag_case=F("pk"), flag_user=F("assigned_to_id")
    )


def has_category(codes: list[str], municipality_id: int | None = None) -> Exists:
    """The case has one of the issue categories. With ``municipality_id`` the subquery
    is confined to the municipality's rows, so that a hashed subplan reads only those
    and not every municipality's (see ``bench/README.md``)."""
    rows = CaseCategory.objects.filter(case=OuterRef("pk"), category__code__in=codes)
    if municipality_id is not None:
        rows = rows.filter(municipality_id=municipality_id)
    return Exists(rows)


def has_row(rows: QuerySet) -> IsNull:
    """The correlated subquery ``rows`` has a row, as a scalar subquery ("the first
    row's id is not null"). For a rule's detail columns: PostgreSQL may hash an EXISTS
    in the selected columns over every row of the municipality, as it does in WHERE,
    whereas a scalar subquery is only ever evaluated per row, i.e. by index for the
    few cases that matched (see ``_household_pattern``)."""
    return IsNull(Subquery(rows.order_by().values("pk")[:1]), False)


def years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


# --- the rules of consultation support ------------------------------------------------


def _out_of_touch(mid: int, as_of: datetime.date, p: dict[str, int]) -> QuerySet:
    # "The last contact (the local date of the latest consultation, else the opening
    # date) is before the cutoff", as a semi-join: no consultation from the start of the
    # cutoff day on, and either the case opened before the cutoff or it has a
    # consultation at all, rather than a GROUP BY over every consultation of the
    # municipality's open cases, which is slower; the last contact is then read
    # (consultation_case_time_idx) only for the cases that match.
    cutoff = as_of - datetime.timedelta(days=p["days"])
    contact_since = timezone.make_aware(datetime.datetime.combine(cutoff, datetime.time(0)))
    contacts = Consultation.objects.filter(case=OuterRef("pk"), deleted_at__isnull=True)
    last = contacts.order_by().values("case").annotate(last=Max("occurred_at")).values("last")
    qs = (
        open_cases(mid)
        .filter(~Exists(contacts.filter(occurred_at__gte=contact_since)))
        .filter(Q(opened_on__lt=cutoff) | Exists(contacts))
        .annotate(
            last_contact=Coalesce(
                TruncDate(Subquery(last, output_field=DateTimeField())), F("opened_on")
            )
        )
    )
    return case_rows(qs, "last_contact")


register_rule(
    Rule(
        code="out_of_touch",
        title=_("Out of touch"),
        explanation=_(
            "No consultation or contact on this open case for {days} days. Consider outreach "
            "(継続的支援)."
        ),
        audience="caseworker",
        subject="case",
        defaults={"days": 60},
        param_labels={"days": _("days without contact")},
        query=_out_of_touch,
        order=50,
    )
)


def _plan_review_due(mid: int, as_of: datetime.date, p: dict[str, int]) -> QuerySet:
    cutoff = as_of - datetime.timedelta(days=p["grace_days"])
    decided = SupportPlan.objects.filter(
        municipality_id=mid, case=OuterRef("pk"), status=SupportPlan.Status.DECIDED
    )
    # The latest review date as a correlated subquery read only for the matching cases
    # (not a join and GROUP BY over every plan of the case).
    latest = decided.order_by().values("case").annotate(last=Max("review_on")).values("last")
    qs = (
        open_cases(mid)
        .filter(Exists(decided.filter(review_on__lt=cutoff)))
        .annotate(review_on=Subquery(latest, output_field=DateField()))
    )
    return case_rows(qs, "review_on")


register_rule(
    Rule(
        code="plan_review_due",
        title=_("Plan review due"),
        explanation=_("The review date of the decided support plan has passed."),
        audience="caseworker",
        subject="case",
        defaults={"grace_days": 0},
        param_labels={"grace_days": _("days of grace after the review date")},
        query=_plan_review_due,
        order=60,
    )
)


def _needs_multiagency(mid: int, as_of: datetime.date, p: dict[str, int]) -> QuerySet:
    # Fields are those of the category master data (``cases.defaults``): the four fields
    # of consultation support; "other" (illness, family, ひきこもり …) never counts.
    from cases.core.consent import meeting_consents
    from cases.models import Field
    from cases.programs import MULTIAGENCY

    meeting = MeetingCase.objects.filter(
        municipality_id=mid, case=OuterRef("pk"), meeting__kind=Meeting.Kind.MULTIAGENCY
    )
    # Already handed over to the 多機関協働 team (a referral waiting or accepted).
    handed_over = Referral.objects.filter(
        municipality_id=mid,
        case=OuterRef("pk"),
        to_program=MULTIAGENCY,
        status__in=[Referral.Status.PROPOSED, Referral.Status.ACCEPTED],
    )
    # With the person's consent to a 重層的支援会議 in force, hand the case over; without
    # it, a 支援会議 (art. 106-6) can still discuss it.
    consent = meeting_consents(as_of).filter(
        Q(case__isnull=True) | Q(case=OuterRef("pk")), person_id=OuterRef("person_id")
    )
    qs = (
        open_cases(mid)
        .filter(opened_on__lte=as_of - datetime.timedelta(days=p["days"]))
        # The join confined to the municipality's categories, so that the planner reads
        # them by casecategory.municipality_id and not all of the table.
        .alias(
            own_categories=FilteredRelation(
                "case_categories", condition=Q(case_categories__municipality_id=mid)
            )
        )
        .annotate(
            fields=Count(
                "own_categories__category__field",
                distinct=True,
                filter=~Q(own_categories__category__field=Field.OTHER),
            )
        )
        .filter(fields__gte=p["fields"])
        .filter(~Exists(meeting), ~Exists(handed_over))
        .annotate(
            suggest=SqlCase(
                When(has_row(consent), then=Value("handover")),
                default=Value("support_meeting"),
                output_field=CharField(),
            )
        )
    )
    return case_rows(qs, "fields", "suggest")


register_rule(
    Rule(
        code="needs_multiagency",
        title=_("Needs multi-agency collaboration"),
        explanation=_(
            "The case has issues from {fields} or more fields (elderly, disability, children, "
            "needy persons) and has neither been handed over to the multi-agency collaboration "
            "team nor taken up at a multi-agency support meeting. With the person's consent, "
            "hand it over; without it, discuss it at a support meeting (art. 106-6)."
        ),
        audience="manager",
        subject="case",
        defaults={"fields": 2, "days": 14},
        param_labels={
            "fields": _("number of fields"),
            "days": _("days the case has been open"),
        },
        query=_needs_multiagency,
        refer=("consultation", "multiagency"),
        order=70,
        # The lead agency hands the case over (with consent) or brings it to a 支援会議;
        # the office (managers, the 多機関協働 team) sees every flag anyway.
        lead_agency=True,
    )
)


def _referral_not_acknowledged(mid: int, as_of: datetime.date, p: dict[str, int]) -> QuerySet:
    cutoff = as_of - datetime.timedelta(days=p["grace_days"])
    # Each program says whom its waiting referrals are flagged to (``cases.registry``).
    audience = SqlCase(
        *(When(to_program=prog, then=Value(role)) for prog, role in flag_audiences().items()),
        output_field=CharField(),
    )
    return (
        Referral.objects.filter(
            municipality_id=mid,
            status=Referral.Status.PROPOSED,
            acknowledge_by__lt=cutoff,
            case__deleted_at__isnull=True,
        )
        .order_by()
        .values(
            "acknowledge_by",
            "to_program",
            flag_subject=F("pk"),
            flag_case=F("case_id"),
            flag_user=F("created_by_id"),
            flag_audience=audience,
        )
    )


register_rule(
    Rule(
        code="referral_not_acknowledged",
        title=_("Referral not acknowledged"),
        explanation=_(
            "The receiving side has not answered the referral by its deadline. The flag "
            "goes to the receiving team and to the sender."
        ),
        audience="caseworker",
        subject="referral",
        defaults={"grace_days": 0},
        param_labels={"grace_days": _("days of grace after the deadline")},
        query=_referral_not_acknowledged,
        order=80,
    )
)


def _household_pattern(mid: int, as_of: datetime.date, p: dict[str, int]) -> QuerySet:
    # Both municipality filters are implied (a household and its members belong to one
    # municipality) but let the planner read one municipality's members and persons
    # (person_muni_dob_idx) instead of hashing every municipality's.
    members = HouseholdMember.objects.filter(
        municipality_id=mid,
        person__municipality_id=mid,
        household_id=OuterRef("household_id"),
        left_at__isnull=True,
    )
    elderly = years_before(as_of, p["elderly_age"])
    middle_young = years_before(as_of, p["middle_age_min"])
    middle_old = years_before(as_of, p["middle_age_max"] + 1)
    minor = years_before(as_of, p["minor_age"])

    def patterns(holds: Callable[[QuerySet], Any]) -> dict[str, Any]:
        """The three patterns (each without its category), ``holds(rows)`` being the
        test that a correlated subquery has a row."""

        def no_category(code: str) -> Any:
            return ~holds(
                CaseCategory.objects.filter(
                    municipality_id=mid, case=OuterRef("pk"), category__code=code
                )
            )

        p8050 = holds(members.filter(person__birth_date__lte=elderly)) & holds(
            members.filter(
                person__birth_date__lte=middle_young,
                person__birth_date__gt=middle_old,
                works=False,
            )
        )
        double_care = (
            holds(members.filter(is_carer=True))
            & holds(members.filter(needs_care=True, person__birth_date__lte=elderly))
            & holds(
                members.filter(
                    person__birth_date__gt=minor,
                    relationship__in=["son", "daughter", "grandchild"],
                )
            )
        )
        young_carer = holds(members.filter(is_carer=True, person__birth_date__gt=minor))
        return {
            "p8050": p8050 & no_category("p8050"),
            "double_care": double_care & no_category("double_care"),
            "young_carer": young_carer & no_category("young_carer"),
        }

    # WHERE: EXISTS, which PostgreSQL hashes once per subquery over the municipality's
    # rows (as the hand-written SQL). The selected columns (the flag's detail) are the
    # same tests as scalar subqueries ("the first row's id is not null"), which are never
    # hashed: evaluated by index (household, case) only for the few matching cases,
    # instead of building every hash a second time. Filtering on annotations would
    # have done the latter.
    where = patterns(Exists)
    qs = (
        open_cases(mid)
        .filter(household__isnull=False)
        .filter(where["p8050"] | where["double_care"] | where["young_carer"])
        .annotate(**patterns(has_row))
    )
    return case_rows(qs, "p8050", "double_care", "young_carer")


register_rule(
    Rule(
        code="household_pattern",
        title=_("Household pattern without its category"),
        explanation=_(
            "The household looks like 8050 (a parent aged {elderly_age}+ and a child aged "
            "{middle_age_min}–{middle_age_max} without work), ダブルケア (a carer with an elderly "
            "person needing care and a child) or ヤングケアラー (a carer under {minor_age}), but "
            "the case does not have that issue category."
        ),
        audience="caseworker",
        subject="case",
        defaults={"elderly_age": 75, "middle_age_min": 40, "middle_age_max": 64, "minor_age": 18},
        param_labels={
            "elderly_age": _("age of the elderly parent"),
            "middle_age_min": _("youngest age of the middle-aged child"),
            "middle_age_max": _("oldest age of the middle-aged child"),
            "minor_age": _("age under which a carer is a young carer"),
        },
        query=_household_pattern,
        order=90,
    )
)
