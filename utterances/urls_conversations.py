"""/api/v1/conversations/ (utterances.api_conversations)."""

from django.urls import path

from utterances.api_conversations import ConversationExportApi, ConversationListApi, DayExportApi

app_name = "conversations"

urlpatterns = [
    path("", ConversationListApi.as_view(), name="list"),
    path("export", DayExportApi.as_view(), name="day-export"),
    path("<int:utterance_id>/export", ConversationExportApi.as_view(), name="export"),
]
