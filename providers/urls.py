"""The OAuth pages. Starting goes through the connect wizard's `sign_in`, which checks the Project Center project a
`?project=` names before handing the providers' start page the step to come back to (URL confs compose pages)."""

from django.urls import path

from projects.connect.views import sign_in
from providers import views

app_name = "providers"
urlpatterns = [
    path("<slug:provider>/start/", sign_in, name="start"),
    path("<slug:provider>/callback/", views.callback, name="callback"),
]
