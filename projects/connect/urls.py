from django.urls import path

import connector_portal.converters  # noqa: F401  (registers the `segment` converter)
from projects.connect import item_views, reviewer_views, views

app_name = "connect"

urlpatterns = [
    path("<segment:pc_project_id>/", views.configure, name="configure"),
    path("<segment:pc_project_id>/company/", views.choose_company, name="company"),
    path("<segment:pc_project_id>/project/", views.choose_project, name="project"),
    path("<segment:pc_project_id>/settings/", views.connection_settings, name="settings"),
    path("<segment:pc_project_id>/connection/", views.connection, name="connection"),
    path("<segment:pc_project_id>/connection/mapping/", views.edit_mapping, name="mapping"),
    path("<segment:pc_project_id>/connection/pause/", views.pause, name="pause"),
    path("<segment:pc_project_id>/connection/resume/", views.resume, name="resume"),
    path("<segment:pc_project_id>/connection/sync/", views.sync_now, name="sync_now"),
    path("<segment:pc_project_id>/connection/receiving-user/", views.receiving_user, name="receiving_user"),
    path("<segment:pc_project_id>/connection/disconnect/", views.disconnect, name="disconnect"),
    path("<segment:pc_project_id>/connection/items/", item_views.items, name="items"),
    path(
        "<segment:pc_project_id>/connection/responses/<int:response_id>/retry/",
        item_views.response_retry,
        name="response_retry",
    ),
    path(
        "<segment:pc_project_id>/connection/responses/<int:response_id>/dismiss/",
        item_views.response_dismiss,
        name="response_dismiss",
    ),
    path("<segment:pc_project_id>/connection/reviewers/add/", reviewer_views.reviewer_add, name="reviewer_add"),
    path(
        "<segment:pc_project_id>/connection/reviewers/<int:reviewer_id>/remove/",
        reviewer_views.reviewer_remove,
        name="reviewer_remove",
    ),
]
