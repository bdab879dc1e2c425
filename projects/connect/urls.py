from django.urls import path

from projects.connect import item_views, reviewer_views, views

app_name = "connect"

urlpatterns = [
    path("<str:pc_project_id>/", views.configure, name="configure"),
    path("<str:pc_project_id>/company/", views.choose_company, name="company"),
    path("<str:pc_project_id>/project/", views.choose_project, name="project"),
    path("<str:pc_project_id>/settings/", views.connection_settings, name="settings"),
    path("<str:pc_project_id>/connection/", views.connection, name="connection"),
    path("<str:pc_project_id>/connection/mapping/", views.edit_mapping, name="mapping"),
    path("<str:pc_project_id>/connection/pause/", views.pause, name="pause"),
    path("<str:pc_project_id>/connection/resume/", views.resume, name="resume"),
    path("<str:pc_project_id>/connection/sync/", views.sync_now, name="sync_now"),
    path("<str:pc_project_id>/connection/receiving-user/", views.receiving_user, name="receiving_user"),
    path("<str:pc_project_id>/connection/disconnect/", views.disconnect, name="disconnect"),
    path("<str:pc_project_id>/connection/items/", item_views.items, name="items"),
    path(
        "<str:pc_project_id>/connection/responses/<int:response_id>/retry/",
        item_views.response_retry,
        name="response_retry",
    ),
    path(
        "<str:pc_project_id>/connection/responses/<int:response_id>/dismiss/",
        item_views.response_dismiss,
        name="response_dismiss",
    ),
    path("<str:pc_project_id>/connection/reviewers/add/", reviewer_views.reviewer_add, name="reviewer_add"),
    path(
        "<str:pc_project_id>/connection/reviewers/<int:reviewer_id>/remove/",
        reviewer_views.reviewer_remove,
        name="reviewer_remove",
    ),
]
