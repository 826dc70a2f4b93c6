"""The owner's account pages (session login): /account/…"""

from django.urls import path

from pages import views_account, views_webhooks

app_name = "account"

urlpatterns = [
    path("", views_account.account, name="index"),
    path("token/", views_account.token_create, name="token_create"),
    path("token/revoke/", views_account.token_revoke, name="token_revoke"),
    path("time-zone/", views_account.time_zone_update, name="time_zone"),
    path("export.json", views_account.export, name="export"),
    path("erase/", views_account.erase, name="erase"),
    path("webhooks/", views_webhooks.webhook_create, name="webhook_create"),
    path("webhooks/<int:webhook_id>/secret/", views_webhooks.webhook_secret, name="webhook_secret"),
    path("webhooks/<int:webhook_id>/rotate/", views_webhooks.webhook_rotate, name="webhook_rotate"),
    path("webhooks/<int:webhook_id>/test/", views_webhooks.webhook_test, name="webhook_test"),
    path("webhooks/<int:webhook_id>/toggle/", views_webhooks.webhook_toggle, name="webhook_toggle"),
    path("webhooks/<int:webhook_id>/delete/", views_webhooks.webhook_delete, name="webhook_delete"),
]
