from __future__ import annotations

from django.urls import path

from outreach import views

app_name = "outreach"

urlpatterns = [
    path("", views.target_list, name="target_list"),
    path("home/", views.home, name="home"),
    path("new/", views.target_add, name="target_add"),
    path("<int:target_id>/", views.target_detail, name="target_detail"),
    path("<int:target_id>/contacts/", views.contact_add, name="contact_add"),
    path("<int:target_id>/stage/", views.stage_change, name="stage_change"),
    path("<int:target_id>/person/", views.name_person, name="name_person"),
    path("<int:target_id>/hand-over/", views.hand_over, name="hand_over"),
    path("from-concern/<int:concern_id>/", views.target_from_concern, name="target_from_concern"),
]
