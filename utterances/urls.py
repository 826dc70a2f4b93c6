from django.urls import path

from utterances.api import UtteranceListApi

app_name = "utterances"

urlpatterns = [
    path("", UtteranceListApi.as_view(), name="list"),
]
