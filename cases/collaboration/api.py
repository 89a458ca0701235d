"""API of 多機関協働: plans, meetings, referrals (and answers) and agencies."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from cases.collaboration import queries, services
from cases.collaboration.plans import household_members
from cases.core import queries as core_queries
from cases.models import Meeting, MeetingCase, Referral, SupportAgency, SupportPlan
from cases.programs import CONSULTATION
from cases.registry import program_choices
from municipalities.scoped_api import ScopedViewSet
from municipalities.scoping import active_membership
from portal.api import MAX_LIST, StrictCharField, StrictDateField


class PlanSerializer(serializers.ModelSerializer):
    actions = serializers.SerializerMethodField()

    class Meta:
        model = SupportPlan
        fields = [
            "id",
            "case",
            "version",
            "created_on",
            "goals",
            "review_on",
            "status",
            "decided_at_meeting",
            "uses_participation",
            "uses_outreach",
            "lead_agency",
            "wishes",
            "issues",
            "long_term_goal",
            "short_term_goal",
            "period_from",
            "period_to",
            "members",
            "agreed_on",
            "actions",
            "evaluations",
        ]

    issues = serializers.ListField(source="issue_list", child=serializers.CharField())

    evaluations = serializers.SerializerMethodField()

    def get_actions(self, plan: SupportPlan) -> list[dict[str, Any]]:
        return [{"agency": a.agency_id, "action": a.action} for a in plan.actions.all()]

    def get_evaluations(self, plan: SupportPlan) -> list[dict[str, Any]]:
        """評価シート: goal by goal."""
        return [
            {
                "evaluated_on": e.evaluated_on.isoformat(),
                "goal": e.goal,
                "achievement": e.achievement,
                "next_step": e.next_step,
                "review": e.review_id,
            }
            for e in plan.evaluations.all()
        ]


class MeetingItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = MeetingCase
        fields = ["case", "decision", "plan", "note", "next_review_on", "lead_agency"]


class MeetingSerializer(serializers.ModelSerializer):
    items = MeetingItemSerializer(source="case_items", many=True, read_only=True)

    class Meta:
        model = Meeting
        fields = ["id", "kind", "held_on", "title", "items"]


class ReferralSerializer(serializers.ModelSerializer):
    class Meta:
        model = Referral
        fields = [
            "id",
            "case",
            "from_program",
            "to_program",
            "to_agency",
            "reason",
            "status",
            "acknowledge_by",
            "created_at",
            "responded_at",
            "response_note",
        ]


class AgencySerializer(serializers.ModelSerializer):
    class Meta:
        model = SupportAgency
        fields = ["id", "name", "field", "kind", "contact"]


class AttendeeInput(serializers.Serializer):
    name = StrictCharField(max_length=100)
    organisation = StrictCharField(max_length=100, allow_blank=True, default="")
    secrecy_acknowledged = serializers.BooleanField(default=False)


class MeetingItemInput(serializers.Serializer):
    case = serializers.IntegerField()
    decision = serializers.ChoiceField(
        choices=MeetingCase.Decision.choices, default=MeetingCase.Decision.DISCUSSED
    )
    plan = serializers.IntegerField(required=False, allow_null=True)
    note = StrictCharField(max_length=300, required=False, allow_blank=True, default="")
    next_review_on = StrictDateField(required=False, allow_null=True, default=None)
    lead_agency = serializers.IntegerField(required=False, allow_null=True, default=None)


class MeetingInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Meeting.Kind.choices)
    held_on = StrictDateField()
    title = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
    attendees = AttendeeInput(many=True, max_length=MAX_LIST)
    items = MeetingItemInput(many=True, max_length=MAX_LIST)


class ActionInput(serializers.Serializer):
    agency = serializers.IntegerField(required=False, allow_null=True, default=None)
    action = StrictCharField(max_length=300)


class PlanInput(serializers.Serializer):
    case = serializers.IntegerField()
    goals = StrictCharField(max_length=5000)
    review_on = StrictDateField()
    actions = ActionInput(many=True, max_length=MAX_LIST)
    uses_participation = serializers.BooleanField(default=False)
    uses_outreach = serializers.BooleanField(default=False)
    lead_agency = serializers.IntegerField(required=False, allow_null=True, default=None)
    wishes = StrictCharField(max_length=5000, required=False, allow_blank=True, default="")
    issues = serializers.ListField(
        child=StrictCharField(max_length=300), max_length=MAX_LIST, required=False, default=list
    )
    long_term_goal = StrictCharField(max_length=5000, required=False, allow_blank=True, default="")
    short_term_goal = StrictCharField(max_length=5000, required=False, allow_blank=True, default="")
    period_from = StrictDateField(required=False, allow_null=True, default=None)
    period_to = StrictDateField(required=False, allow_null=True, default=None)
    members = serializers.ListField(
        child=serializers.IntegerField(), max_length=MAX_LIST, required=False, default=list
    )
    agreed_on = StrictDateField(required=False, allow_null=True, default=None)


def _agency(user: Any, agency_id: int | None) -> SupportAgency | None:
    """The municipality's agency by id (404 for another municipality's), or None."""
    if not agency_id:
        return None
    agency = queries.agencies_visible_to(user).filter(pk=agency_id).first()
    if agency is None:
        raise Http404
    return agency


class ReferralInput(serializers.Serializer):
    case = serializers.IntegerField()
    to_program = serializers.ChoiceField(choices=[])
    to_agency = serializers.IntegerField(required=False, allow_null=True)
    reason = StrictCharField(max_length=5000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_program"].choices = program_choices()  # as registered


class RespondInput(serializers.Serializer):
    accept = serializers.BooleanField()
    note = StrictCharField(max_length=300, required=False, allow_blank=True, default="")


class PlanViewSet(ScopedViewSet):
    model = SupportPlan
    serializer_class = PlanSerializer
    filterset_fields = ["case", "status"]

    def scoped(self, user: Any) -> Any:
        qs = core_queries.case_scoped(user, SupportPlan.objects.all())
        return qs.prefetch_related("actions", "members", "evaluations").order_by("case", "-version")

    @extend_schema(request=PlanInput, responses={201: PlanSerializer})
    def create(self, request: Request) -> Response:
        """A new plan version (a draft until a 重層的支援会議 decides it)."""
        data = PlanInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        user = request.user
        case = core_queries.case_get_for_user(user, d["case"])
        members = {m.pk: m for m in household_members(case)}
        if any(pk not in members for pk in d["members"]):
            raise serializers.ValidationError(
                {"members": [_("A plan concerns only current members of the case's household.")]}
            )
        plan = services.plan_create(
            user=user,
            case=case,
            goals=d["goals"],
            review_on=d["review_on"],
            actions=[(_agency(user, a["agency"]), a["action"]) for a in d["actions"]],
            uses_participation=d["uses_participation"],
            uses_outreach=d["uses_outreach"],
            lead_agency=_agency(user, d["lead_agency"]),
            form=services.PlanItems(
                wishes=d["wishes"],
                issues="\n".join(d["issues"]),
                long_term_goal=d["long_term_goal"],
                short_term_goal=d["short_term_goal"],
                period_from=d["period_from"],
                period_to=d["period_to"],
                members=[members[pk] for pk in d["members"]],
                agreed_on=d["agreed_on"],
            ),
        )
        return self.created(self.scoped(user).get(pk=plan.pk))


class MeetingViewSet(ScopedViewSet):
    model = Meeting
    serializer_class = MeetingSerializer
    filterset_fields = ["kind"]

    def scoped(self, user: Any) -> Any:
        return (
            queries.meetings_visible_to(user)
            .prefetch_related(
                Prefetch(
                    "case_items",
                    queryset=MeetingCase.objects.filter(core_queries.case_condition(user, "case")),
                )
            )
            .order_by("-held_on", "-pk")
        )

    @extend_schema(request=MeetingInput, responses={201: MeetingSerializer})
    def create(self, request: Request) -> Response:
        data = MeetingInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        user = request.user
        items = []
        for item in d["items"]:
            case = core_queries.case_get_for_user(user, item["case"])
            plan = (
                queries.plan_get_for_user(user, item["plan"])
                if item.get("plan")
                else services.plan_for_decision(case, item["decision"])
            )
            items.append(
                services.MeetingItemData(
                    case=case,
                    decision=item["decision"],
                    plan=plan,
                    note=item["note"],
                    next_review_on=item["next_review_on"],
                    lead_agency=_agency(user, item["lead_agency"]),
                )
            )
        meeting = services.meeting_record(
            user=user,
            municipality=active_membership(user).municipality,
            kind=d["kind"],
            held_on=d["held_on"],
            title=d["title"],
            attendees=[services.AttendeeData(**a) for a in d["attendees"]],
            items=items,
        )
        return self.created(self.scoped(user).get(pk=meeting.pk))


class ReferralViewSet(ScopedViewSet):
    model = Referral
    serializer_class = ReferralSerializer
    filterset_fields = ["case", "to_program", "status"]

    def scoped(self, user: Any) -> Any:
        return queries.referrals_visible_to(user).order_by("-created_at", "-pk")

    @extend_schema(request=ReferralInput, responses={201: ReferralSerializer})
    def create(self, request: Request) -> Response:
        data = ReferralInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        case = core_queries.case_get_for_user(request.user, d["case"])
        agency = (
            queries.agencies_visible_to(request.user).filter(pk=d["to_agency"]).first()
            if d.get("to_agency")
            else None
        )
        if d.get("to_agency") and agency is None:
            raise Http404
        referral = services.referral_create(
            user=request.user,
            case=case,
            from_program=CONSULTATION,
            to_program=d["to_program"],
            to_agency=agency,
            reason=d["reason"],
        )
        return self.created(referral)

    @extend_schema(request=RespondInput, responses={200: ReferralSerializer})
    @action(detail=True, methods=["post"])
    def respond(self, request: Request, pk: str | None = None) -> Response:
        referral = self.get_object()
        data = RespondInput(data=request.data)
        data.is_valid(raise_exception=True)
        referral = services.referral_respond(
            user=request.user, referral=referral, **data.validated_data
        )
        return Response(self.get_serializer(referral).data)


class AgencyViewSet(ScopedViewSet):
    model = SupportAgency
    serializer_class = AgencySerializer
    personal = False

    def scoped(self, user: Any) -> Any:
        return queries.agencies_visible_to(user).order_by("field", "name")


ROUTES = [
    ("plans", PlanViewSet),
    ("meetings", MeetingViewSet),
    ("referrals", ReferralViewSet),
    ("agencies", AgencyViewSet),
]
