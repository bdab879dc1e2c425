from django.urls import path

from providers import views

app_name = "providers"
urlpatterns = [
    path("<slug:provider>/start/", views.start, name="start"),
    path("<slug:provider>/callback/", views.callback, name="callback"),
]
