from django.urls import path

from webhooks.api import WebhookDeliveryListApi, WebhookDetailApi, WebhookListApi, WebhookSecretApi, WebhookTestApi

app_name = "webhooks"

urlpatterns = [
    path("", WebhookListApi.as_view(), name="list"),
    path("<int:webhook_id>/", WebhookDetailApi.as_view(), name="detail"),
    path("<int:webhook_id>/secret/", WebhookSecretApi.as_view(), name="rotate-secret"),
    path("<int:webhook_id>/test/", WebhookTestApi.as_view(), name="test"),
    path("<int:webhook_id>/deliveries/", WebhookDeliveryListApi.as_view(), name="deliveries"),
]
