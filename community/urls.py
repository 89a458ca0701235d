from __future__ import annotations

from django.urls import path

from community import views

app_name = "community"

urlpatterns = [
    path("", views.place_register, name="place_register"),
    path("home/", views.home, name="home"),
    path("places/new/", views.place_edit, name="place_new"),
    path("places/<int:place_id>/", views.place_detail, name="place_detail"),
    path("places/<int:place_id>/edit/", views.place_edit, name="place_edit"),
    path("places/<int:place_id>/records/", views.activity_record_add, name="activity_record_add"),
    path("platform/", views.session_list, name="session_list"),
    path("platform/new/", views.session_add, name="session_add"),
    path("platform/<int:session_id>/", views.session_detail, name="session_detail"),
    path(
        "outcomes/<int:outcome_id>/provider/", views.outcome_to_provider, name="outcome_to_provider"
    ),
    path("concerns/new/", views.concern_add, name="concern_add"),
    path("concerns/mine/", views.my_concerns, name="my_concerns"),
    path("concerns/", views.concern_queue, name="concern_queue"),
    path("concerns/<int:concern_id>/", views.concern_detail, name="concern_detail"),
    path("concerns/<int:concern_id>/link/", views.concern_link, name="concern_link"),
    path("concerns/<int:concern_id>/open-case/", views.concern_open_case, name="concern_open_case"),
    path("concerns/<int:concern_id>/close/", views.concern_close, name="concern_close"),
    path("cases/<int:case_id>/places/", views.case_place_add, name="case_place_add"),
    path("case-places/<int:link_id>/end/", views.case_place_end, name="case_place_end"),
]
