"""The HTML pages of the timeline (session login); the API's routes are in utterances/urls.py."""

from django.urls import path

from pages import views_conversations as conversations
from pages import views_timeline as views
from pages import views_voice_checks as voice_checks

app_name = "timeline"

urlpatterns = [
    path("", views.timeline, name="index"),
    path("processing/", views.processing_panel, name="processing"),
    path("export", conversations.day_export, name="day_export"),
    path("conversations/<int:utterance_id>/", conversations.conversation, name="conversation"),
    path("conversations/<int:utterance_id>/export", conversations.conversation_export, name="conversation_export"),
    path("segments/<int:utterance_id>/audio.wav", views.utterance_audio, name="utterance_audio"),
    path("segments/<int:utterance_id>/delete/", views.utterance_delete_view, name="utterance_delete"),
    path("segments/<int:utterance_id>/not-me/", voice_checks.utterance_not_me_view, name="utterance_not_me"),
    path("chunks/<int:chunk_id>/delete/", views.chunk_delete_view, name="chunk_delete"),
    path("voice-checks/<int:voice_check_id>/audio.wav", voice_checks.voice_check_audio, name="voice_check_audio"),
    path("voice-checks/<int:voice_check_id>/answer/", voice_checks.voice_check_answer_view, name="voice_check_answer"),
]
