from __future__ import annotations

from django.urls import path

from cases import views, views_statistics

app_name = "cases"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("persons/", views.person_search, name="person_search"),
    path("persons/<int:person_id>/", views.person_detail, name="person_detail"),
    path("persons/<int:person_id>/edit/", views.person_edit, name="person_edit"),
    path("intake/", views.intake, name="intake"),
    path("<int:case_id>/", views.case_detail, name="case_detail"),
    path("<int:case_id>/status/", views.case_status, name="case_status"),
    path("<int:case_id>/edit/", views.case_edit, name="case_edit"),
    path("<int:case_id>/consultations/new/", views.consultation_add, name="consultation_add"),
    path("<int:case_id>/household/", views.household_edit, name="household_edit"),
    path("<int:case_id>/consents/new/", views.consent_add, name="consent_add"),
    path("<int:case_id>/plans/new/", views.plan_add, name="plan_add"),
    path("<int:case_id>/referrals/new/", views.referral_add, name="referral_add"),
    path("<int:case_id>/audit/", views.case_audit, name="case_audit"),
    path(
        "consultations/<int:consultation_id>/edit/",
        views.consultation_edit,
        name="consultation_edit",
    ),
    path(
        "consultations/<int:consultation_id>/withdraw/",
        views.consultation_withdraw,
        name="consultation_withdraw",
    ),
    path(
        "household-members/<int:member_id>/edit/",
        views.household_member_edit,
        name="household_member_edit",
    ),
    path(
        "household-members/<int:member_id>/leave/",
        views.household_member_leave,
        name="household_member_leave",
    ),
    path("consents/<int:consent_id>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("plans/<int:plan_id>/", views.plan_detail, name="plan_detail"),
    path("meetings/", views.meeting_list, name="meeting_list"),
    path("meetings/new/", views.meeting_add, name="meeting_add"),
    path("meetings/<int:meeting_id>/", views.meeting_detail, name="meeting_detail"),
    path("referrals/", views.referral_inbox, name="referral_inbox"),
    path("referrals/<int:referral_id>/", views.referral_detail, name="referral_detail"),
    path("referrals/<int:referral_id>/respond/", views.referral_respond, name="referral_respond"),
    path("agencies/", views.agency_list, name="agency_list"),
    path("lists/", views.master_data, name="master_data"),
    path("flags/", views.flag_queue, name="flag_queue"),
    path("flags/<int:flag_id>/", views.flag_detail, name="flag_detail"),
    path("rules/", views.rule_settings, name="rule_settings"),
    path("statistics/", views_statistics.statistics, name="statistics"),
    path("statistics/targets/", views_statistics.statistics_targets, name="statistics_targets"),
    path("statistics/national/", views_statistics.national_statistics, name="national_statistics"),
]
