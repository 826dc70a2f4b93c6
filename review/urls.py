from django.urls import path

from review.api import VoiceCheckAnswerApi, VoiceCheckAudioApi, VoiceCheckListApi

app_name = "voice-checks"

urlpatterns = [
    path("", VoiceCheckListApi.as_view(), name="list"),
    path("<int:voice_check_id>/audio.wav", VoiceCheckAudioApi.as_view(), name="audio"),
    path("<int:voice_check_id>/answer/", VoiceCheckAnswerApi.as_view(), name="answer"),
]
