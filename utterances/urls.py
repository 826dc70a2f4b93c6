from django.urls import path

from utterances.api import UtteranceDetailApi, UtteranceListApi

app_name = "utterances"

urlpatterns = [
    path("", UtteranceListApi.as_view(), name="list"),
    path("<int:utterance_id>/", UtteranceDetailApi.as_view(), name="detail"),
]
