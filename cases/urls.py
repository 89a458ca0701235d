from __future__ import annotations

from django.urls import path

from cases.assessment import views as assessment_views
from cases.collaboration import prints as collaboration_prints
from cases.collaboration import views as collaboration_views
from cases.consultation import views as consultation_views
from cases.core import views as core_views
from cases.core import views_agencies as core_views_agencies
from cases.core import views_office as core_views_office
from cases.core import views_picker as core_views_picker
from cases.engine import views as engine_views
from cases.statistics import plan_views
from cases.statistics import views as statistics_views

app_name = "cases"

urlpatterns = [
    path("", consultation_views.dashboard, name="dashboard"),
    path("office/", core_views_office.office, name="office"),
    path("pick/cases/", core_views_picker.case_picker, name="case_picker"),
    path("persons/", consultation_views.person_search, name="person_search"),
    path("persons/emergency/", consultation_views.emergency_look, name="emergency_look"),
    path(
        "emergency/<int:look_id>/review/",
        consultation_views.emergency_look_review,
        name="emergency_look_review",
    ),
    path("persons/<int:person_id>/", core_views.person_detail, name="person_detail"),
    path("persons/<int:person_id>/edit/", core_views.person_edit, name="person_edit"),
    path("intake/", consultation_views.intake, name="intake"),
    path("<int:case_id>/", core_views.case_detail, name="case_detail"),
    path("<int:case_id>/status/", core_views.case_status, name="case_status"),
    path("<int:case_id>/edit/", core_views.case_edit, name="case_edit"),
    path("<int:case_id>/agencies/", core_views_agencies.case_agencies, name="case_agencies"),
    path("<int:case_id>/provide/", core_views_agencies.case_provide, name="case_provide"),
    path(
        "<int:case_id>/consultations/new/",
        consultation_views.consultation_add,
        name="consultation_add",
    ),
    path("<int:case_id>/household/", core_views.household_edit, name="household_edit"),
    path("<int:case_id>/consents/new/", core_views.consent_add, name="consent_add"),
    path("<int:case_id>/plans/new/", collaboration_views.plan_add, name="plan_add"),
    path("<int:case_id>/referrals/new/", collaboration_views.referral_add, name="referral_add"),
    path("<int:case_id>/audit/", core_views.case_audit, name="case_audit"),
    # インテーク・アセスメントシート, genogram and ecomap (cases.assessment).
    path(
        "<int:case_id>/assessment/",
        assessment_views.assessment_detail,
        name="assessment_detail",
    ),
    path("<int:case_id>/assessment/new/", assessment_views.assessment_add, name="assessment_add"),
    path(
        "<int:case_id>/assessment/print/",
        assessment_views.assessment_print,
        name="assessment_print",
    ),
    path(
        "<int:case_id>/relationships/",
        assessment_views.relationship_marks,
        name="relationship_marks",
    ),
    path(
        "consultations/<int:consultation_id>/edit/",
        consultation_views.consultation_edit,
        name="consultation_edit",
    ),
    path(
        "consultations/<int:consultation_id>/withdraw/",
        consultation_views.consultation_withdraw,
        name="consultation_withdraw",
    ),
    path(
        "household-members/<int:member_id>/edit/",
        core_views.household_member_edit,
        name="household_member_edit",
    ),
    path(
        "household-members/<int:member_id>/leave/",
        core_views.household_member_leave,
        name="household_member_leave",
    ),
    path(
        "consents/<int:consent_id>/withdraw/", core_views.consent_withdraw, name="consent_withdraw"
    ),
    path("plans/<int:plan_id>/", collaboration_views.plan_detail, name="plan_detail"),
    path("plans/<int:plan_id>/evaluate/", collaboration_views.plan_evaluate, name="plan_evaluate"),
    # A4 prints (PDF): the plan as the national form, a 評価シート, a meeting's minutes.
    path("plans/<int:plan_id>/print/", collaboration_prints.plan_print, name="plan_print"),
    path(
        "plans/<int:plan_id>/evaluations/<int:evaluation_id>/print/",
        collaboration_prints.plan_evaluation_print,
        name="plan_evaluation_print",
    ),
    path("meetings/", collaboration_views.meeting_list, name="meeting_list"),
    path("meetings/new/", collaboration_views.meeting_add, name="meeting_add"),
    path("meetings/<int:meeting_id>/", collaboration_views.meeting_detail, name="meeting_detail"),
    path(
        "meetings/<int:meeting_id>/print/",
        collaboration_prints.meeting_print,
        name="meeting_print",
    ),
    path("referrals/", collaboration_views.referral_inbox, name="referral_inbox"),
    path(
        "referrals/<int:referral_id>/", collaboration_views.referral_detail, name="referral_detail"
    ),
    path(
        "referrals/<int:referral_id>/respond/",
        collaboration_views.referral_respond,
        name="referral_respond",
    ),
    path("agencies/", collaboration_views.agency_list, name="agency_list"),
    path("lists/", core_views.master_data, name="master_data"),
    path("flags/", engine_views.flag_queue, name="flag_queue"),
    path("flags/<int:flag_id>/", engine_views.flag_detail, name="flag_detail"),
    path("rules/", engine_views.rule_settings, name="rule_settings"),
    path("statistics/", statistics_views.statistics, name="statistics"),
    path("statistics/plan/", plan_views.implementation_plan, name="statistics_plan"),
    path("statistics/trends/", statistics_views.statistics_trends, name="statistics_trends"),
    path("statistics/national/", statistics_views.national_statistics, name="national_statistics"),
]
