"""/api/v1/webhooks/: the owner's webhook endpoints, their delivery logs, secret rotation and a
test event. docs/webhooks.md describes the events, the payloads and the signature."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from selective_speaker.api.errors import ErrorSerializer
from selective_speaker.api.pagination import CursorPage, paginated_response
from webhooks.models import Event, WebhookEndpoint
from webhooks.selectors import webhook_delivery_list, webhook_endpoint_get, webhook_endpoint_list
from webhooks.services import (
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
    webhook_test_send,
)

EVENTS_HELP = "Events to receive: " + ", ".join(f"`{value}` ({label.lower()})" for value, label in Event.choices) + "."
SECRET_HELP = (
    "The key of the `X-Selective-Speaker-Signature` HMAC (docs/webhooks.md). Shown only in the answer "
    "that creates the endpoint or rotates its secret: keep it then."
)


@extend_schema_serializer(component_name="WebhookEndpoint")
class EndpointOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    description = serializers.CharField()
    events = serializers.ListField(child=serializers.ChoiceField(choices=Event.choices))
    active = serializers.BooleanField(help_text="Deliveries are sent (false: turned off by you, or after failures).")
    consecutive_failures = serializers.IntegerField(help_text="Deliveries in a row that ran out of attempts.")
    disabled_at = serializers.DateTimeField(allow_null=True, help_text="When failures turned it off.")
    disabled_reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    secret_rotated_at = serializers.DateTimeField(allow_null=True)


@extend_schema_serializer(component_name="WebhookEndpointWithSecret")
class EndpointSecretOutputSerializer(EndpointOutputSerializer):
    secret = serializers.CharField(help_text=SECRET_HELP)


@extend_schema_serializer(component_name="WebhookDelivery")
class DeliveryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event = serializers.CharField()
    status = serializers.CharField(help_text="pending (waiting for an attempt), sending, delivered or failed.")
    attempts = serializers.IntegerField()
    response_codes = serializers.ListField(
        child=serializers.IntegerField(allow_null=True), help_text="Each attempt's HTTP status; null: no answer."
    )
    duration_ms = serializers.IntegerField(allow_null=True, help_text="How long the last attempt took.")
    error = serializers.CharField(help_text="Why the last attempt failed.")
    next_attempt_at = serializers.DateTimeField(allow_null=True, help_text="While pending: the next attempt.")
    created_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    payload = serializers.JSONField(help_text="The body that was signed and sent.")


class EndpointPage(CursorPage):
    ordering = ("-created_at", "-id")


def _endpoint_or_404(request: Request, webhook_id: int) -> WebhookEndpoint:
    endpoint = webhook_endpoint_get(user=request.user, endpoint_id=webhook_id)
    if endpoint is None:
        raise NotFound()
    return endpoint


class WebhookListApi(APIView):
    pagination_class = EndpointPage

    class InputSerializer(serializers.Serializer):
        url = serializers.URLField(
            max_length=2000, help_text="https://… on a public address (see WEBHOOK_ALLOW_HTTP / _PRIVATE_ADDRESSES)."
        )
        events = serializers.ListField(
            child=serializers.ChoiceField(choices=Event.choices), min_length=1, max_length=10, help_text=EVENTS_HELP
        )
        description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    @extend_schema(operation_id="webhooks_list", responses=EndpointOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return paginated_response(
            pagination_class=self.pagination_class,
            serializer_class=EndpointOutputSerializer,
            queryset=webhook_endpoint_list(user=request.user),
            request=request,
            view=self,
        )

    @extend_schema(
        operation_id="webhooks_create",
        description="Add an endpoint. The answer carries its `secret`, the only time it is shown.",
        request=InputSerializer,
        responses={201: EndpointSecretOutputSerializer, 400: ErrorSerializer},
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = webhook_endpoint_create(user=request.user, **serializer.validated_data)
        return Response(EndpointSecretOutputSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class WebhookDetailApi(APIView):
    class InputSerializer(serializers.Serializer):
        url = serializers.URLField(max_length=2000, required=False)
        events = serializers.ListField(
            child=serializers.ChoiceField(choices=Event.choices), min_length=1, max_length=10, required=False
        )
        description = serializers.CharField(max_length=200, required=False, allow_blank=True)
        active = serializers.BooleanField(
            required=False, help_text="true turns it on again (after failures too), false turns it off."
        )

    @extend_schema(operation_id="webhooks_retrieve", responses={200: EndpointOutputSerializer, 404: ErrorSerializer})
    def get(self, request: Request, webhook_id: int) -> Response:
        return Response(EndpointOutputSerializer(_endpoint_or_404(request, webhook_id)).data)

    @extend_schema(
        operation_id="webhooks_update",
        request=InputSerializer,
        responses={200: EndpointOutputSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
    )
    def patch(self, request: Request, webhook_id: int) -> Response:
        endpoint = _endpoint_or_404(request, webhook_id)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        endpoint = webhook_endpoint_update(endpoint=endpoint, **serializer.validated_data)
        return Response(EndpointOutputSerializer(endpoint).data)

    @extend_schema(
        operation_id="webhooks_destroy",
        description="Delete the endpoint and its delivery log; nothing more is sent to it.",
        responses={204: None, 404: ErrorSerializer},
    )
    def delete(self, request: Request, webhook_id: int) -> Response:
        webhook_endpoint_delete(endpoint=_endpoint_or_404(request, webhook_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookSecretApi(APIView):
    @extend_schema(
        operation_id="webhooks_rotate_secret",
        description="A new secret, in use at once (retries too); the old one stops verifying.",
        request=None,
        responses={200: EndpointSecretOutputSerializer, 404: ErrorSerializer},
    )
    def post(self, request: Request, webhook_id: int) -> Response:
        endpoint = webhook_endpoint_rotate_secret(endpoint=_endpoint_or_404(request, webhook_id))
        return Response(EndpointSecretOutputSerializer(endpoint).data)


class WebhookTestApi(APIView):
    @extend_schema(
        operation_id="webhooks_send_test",
        description=(
            "Send a `webhook.test` event now (to a turned-off endpoint too), one attempt; its outcome "
            "appears in the endpoint's deliveries."
        ),
        request=None,
        responses={202: DeliveryOutputSerializer, 404: ErrorSerializer},
    )
    def post(self, request: Request, webhook_id: int) -> Response:
        delivery = webhook_test_send(endpoint=_endpoint_or_404(request, webhook_id))
        return Response(DeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class DeliveryPage(CursorPage):
    ordering = ("-created_at", "-id")


class WebhookDeliveryListApi(APIView):
    pagination_class = DeliveryPage

    @extend_schema(
        operation_id="webhooks_deliveries_list",
        description="The endpoint's delivery log, newest first (kept WEBHOOK_DELIVERY_LOG_DAYS days).",
        responses={200: DeliveryOutputSerializer(many=True), 404: ErrorSerializer},
    )
    def get(self, request: Request, webhook_id: int) -> Response:
        return paginated_response(
            pagination_class=self.pagination_class,
            serializer_class=DeliveryOutputSerializer,
            queryset=webhook_delivery_list(endpoint=_endpoint_or_404(request, webhook_id)),
            request=request,
            view=self,
        )
