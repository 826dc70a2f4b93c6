"""The HTML pages of the timeline (session login); the API's routes are in utterances/urls.py."""

from django.urls import path

from utterances import views

app_name = "timeline"

urlpatterns = [
    path("", views.timeline, name="index"),
    path("processing/", views.processing_panel, name="processing"),
]
