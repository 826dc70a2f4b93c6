"""Staff pages for webhooks: endpoints (the secret never shown), their delivery logs, and actions
that call the same services as the API (send a test event, turn on again)."""

from __future__ import annotations

from django.contrib import admin, messages

from selective_speaker.admin_display import counted, pretty_json
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import webhook_endpoint_update, webhook_test_send


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "url", "active", "consecutive_failures", "disabled_at", "created_at"]
    list_filter = ["active", "created_at"]
    list_select_related = ["user"]
    search_fields = ["url", "description", "user__username", "user__email"]
    raw_id_fields = ["user"]
    fields = [
        "user", "url", "description", "events", "active", "consecutive_failures", "disabled_at",
        "disabled_reason", "secret_rotated_at", "created_at",
    ]  # fmt: skip
    readonly_fields = fields  # the owner manages endpoints (URL checks, secrets): staff look and act
    actions = ["send_test_event", "turn_on"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Send a test event")
    def send_test_event(self, request, queryset) -> None:
        sent = [webhook_test_send(endpoint=endpoint) for endpoint in queryset]
        self.message_user(request, f"Queued a test event to {counted(len(sent), 'endpoint')}.", messages.SUCCESS)

    @admin.action(description="Turn on again (clears failures)")
    def turn_on(self, request, queryset) -> None:
        for endpoint in queryset:
            webhook_endpoint_update(endpoint=endpoint, active=True)
        self.message_user(request, f"Turned on {counted(queryset.count(), 'endpoint')}.", messages.SUCCESS)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "endpoint", "event", "status", "attempts", "response_codes", "duration_ms", "created_at"]
    list_filter = ["status", "event", "created_at"]
    list_select_related = ["endpoint"]
    search_fields = ["endpoint__url", "endpoint__user__username", "subject"]
    raw_id_fields = ["endpoint"]
    show_full_result_count = False
    fields = [
        "endpoint", "event", "subject", "status", "attempts", "response_codes", "duration_ms", "error",
        "next_attempt_at", "enqueued_at", "claimed_at", "created_at", "delivered_at", "payload_shown",
    ]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="payload")
    def payload_shown(self, delivery: WebhookDelivery):
        return pretty_json(delivery.payload)
