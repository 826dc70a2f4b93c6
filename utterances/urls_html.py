"""The HTML pages of the timeline (session login); the API's routes are in utterances/urls.py."""

from django.urls import path

from utterances import views

app_name = "timeline"

urlpatterns = [
    path("", views.timeline, name="index"),
    path("processing/", views.processing_panel, name="processing"),
    path("segments/<int:segment_id>/audio.wav", views.segment_audio, name="segment_audio"),
    path("segments/<int:segment_id>/delete/", views.segment_delete_view, name="segment_delete"),
    path("chunks/<int:chunk_id>/delete/", views.chunk_delete_view, name="chunk_delete"),
]
