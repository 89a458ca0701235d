from __future__ import annotations

from django.urls import path

from participation import views

app_name = "participation"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("home/", views.home, name="home"),
    path("menus/new/", views.menu_edit, name="menu_new"),
    path("menus/<int:menu_id>/", views.menu_detail, name="menu_detail"),
    path("menus/<int:menu_id>/edit/", views.menu_edit, name="menu_edit"),
    path("providers/", views.provider_list, name="provider_list"),
    path("providers/new/", views.provider_edit, name="provider_new"),
    path("providers/<int:provider_id>/edit/", views.provider_edit, name="provider_edit"),
    path("inbox/", views.inbox, name="inbox"),
    path("referrals/<int:referral_id>/match/", views.matching, name="matching"),
    path("referrals/<int:referral_id>/propose/", views.assignment_propose, name="propose"),
    path("assignments/<int:assignment_id>/", views.assignment_detail, name="assignment_detail"),
    path(
        "assignments/<int:assignment_id>/status/", views.assignment_status, name="assignment_status"
    ),
    path("assignments/<int:assignment_id>/logs/", views.session_log_add, name="session_log_add"),
    path("assignments/<int:assignment_id>/follow-ups/", views.follow_up_add, name="follow_up_add"),
    path("follow-ups/<int:follow_up_id>/done/", views.follow_up_done, name="follow_up_done"),
]
