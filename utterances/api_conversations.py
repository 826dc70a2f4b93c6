"""/api/v1/conversations/: the owner's utterances as conversations (utterances.conversations),
and a day or one conversation exported as plain text, Markdown, SRT or WebVTT (utterances.export).

Conversations are computed, not stored: a conversation's `id` is the id of its first utterance,
and any of its utterances' ids finds it (`/conversations/<utterance id>/export`).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import renderers, serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from selective_speaker.api.errors import ErrorSerializer
from selective_speaker.api.fields import AwareDateTimeField
from selective_speaker.api.pagination import CursorPage, invalid_cursor
from selective_speaker.validators import device_id_validator
from utterances.conversations import Conversation, conversation_containing, conversations_between, conversations_page
from utterances.export import EXPORT_FORMATS, conversations_export, export_filename


def day_bounds(day) -> tuple[datetime, datetime]:
    """[local midnight, next local midnight) of a date, in the active time zone."""
    zone = timezone.get_current_timezone()
    since = timezone.make_aware(datetime.combine(day, time.min), zone)
    return since, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min), zone)


class ConversationPage(CursorPage):
    """Oldest first; a cursor is where the next page's first conversation starts. Only `next`
    links: a page is found by reading forward from its cursor (`previous` is always null)."""

    ordering = ("start_ts", "id")

    def conversations(self, request: Request, **filters) -> list[Conversation]:
        self.request = request
        self.base_url = request.build_absolute_uri()
        size = self.get_page_size(request)
        cursor = self.decode_cursor(request)
        after = None if cursor is None or cursor.position is None else self.parse_position(cursor.position)
        page, self.following = conversations_page(after=after, size=size, **filters)
        return page

    def decode_cursor(self, request: Request) -> Cursor | None:
        try:
            return super(CursorPage, self).decode_cursor(request)
        except (NotFound, ValueError, TypeError, OverflowError) as exc:
            raise invalid_cursor() from exc

    @staticmethod
    def parse_position(position: str) -> tuple[datetime, int]:
        try:
            start_text, id_text = position.split("|")
            start_ts, utterance_id = datetime.fromisoformat(start_text), int(id_text)
            if start_ts.utcoffset() is None or not 0 < utterance_id < 2**63:
                raise ValueError(position)
        except (ValueError, OverflowError) as exc:
            raise invalid_cursor() from exc
        return start_ts, utterance_id

    def get_next_link(self) -> str | None:
        if self.following is None:
            return None
        start_ts, utterance_id = self.following
        return self.encode_cursor(Cursor(offset=0, reverse=False, position=f"{start_ts.isoformat()}|{utterance_id}"))

    def get_previous_link(self) -> None:
        return None


class ConversationFilterSerializer(serializers.Serializer):
    day = serializers.DateField(required=False, help_text="One local day (the server's time zone).")
    to = AwareDateTimeField(required=False, help_text="Utterances starting before this time.")
    device_id = serializers.CharField(max_length=64, validators=[device_id_validator], required=False)

    def get_fields(self) -> dict:
        fields = super().get_fields()
        # `from` is a Python keyword: declared here, read as attrs["from"]
        fields["from"] = AwareDateTimeField(required=False, help_text="Utterances starting at or after this time.")
        return fields

    def validate(self, attrs: dict) -> dict:
        day, since, until = attrs.get("day"), attrs.get("from"), attrs.get("to")
        if day is not None and (since is not None or until is not None):
            raise serializers.ValidationError({"day": "give either day or from/to, not both."})
        if since is not None and until is not None and until <= since:
            raise serializers.ValidationError({"to": "to must be after from."})
        if day is not None:
            since, until = day_bounds(day)
        return {"since": since, "until": until, "device_id": attrs.get("device_id")}


class ConversationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="key", help_text="The id of the conversation's first utterance.")
    start_ts = serializers.DateTimeField()
    end_ts = serializers.DateTimeField()
    duration_ms = serializers.IntegerField(help_text="From its first word to its last, silences included.")
    spoken_ms = serializers.IntegerField(help_text="The owner's utterances' length, added up.")
    utterance_count = serializers.SerializerMethodField()
    utterance_ids = serializers.SerializerMethodField()
    place = serializers.CharField(help_text="Its address (or coordinates), or empty when unknown.")
    device_ids = serializers.ListField(child=serializers.CharField())
    others_spoke_ms = serializers.IntegerField(
        source="others_ms", help_text="How long other people spoke between the owner's utterances (no words kept)."
    )

    def get_utterance_count(self, conversation: Conversation) -> int:
        return len(conversation.utterances)

    def get_utterance_ids(self, conversation: Conversation) -> list[int]:
        return [utterance.id for utterance in conversation.utterances]


class ConversationListApi(APIView):
    pagination_class = ConversationPage

    @extend_schema(
        operation_id="conversations_list",
        description=(
            "The owner's utterances grouped into conversations, oldest first: utterances at most "
            "CONVERSATION_GAP_S seconds apart, at one place. Filters: `day`, or `from`/`to`, and `device_id`. "
            "A conversation that runs over a bound is cut there."
        ),
        parameters=[ConversationFilterSerializer],
        responses={200: ConversationOutputSerializer(many=True), 400: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        filters = ConversationFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        paginator = self.pagination_class()
        page = paginator.conversations(request, user=request.user, **filters.validated_data)
        return paginator.get_paginated_response(ConversationOutputSerializer(page, many=True).data)


# --- export -----------------------------------------------------------------------------------


class ExportRenderer(renderers.BaseRenderer):
    """The document as it is (the view makes it); errors are rendered as JSON (finalize_response)."""

    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return data.encode() if isinstance(data, str) else b""


def export_renderer(format: str) -> ExportRenderer:
    media_type = EXPORT_FORMATS[format][0].split(";")[0]
    return type(f"{format.title()}ExportRenderer", (ExportRenderer,), {"media_type": media_type, "format": format})()


FORMAT_PARAMETER = OpenApiParameter(
    "format", OpenApiTypes.STR, enum=list(EXPORT_FORMATS), default="txt",
    description="txt (plain text), md (Markdown), srt or vtt (subtitles; times from the first utterance).",
)
EXPORT_RESPONSES = {
    **{(200, EXPORT_FORMATS[f][0].split(";")[0]): OpenApiTypes.STR for f in EXPORT_FORMATS},
    400: ErrorSerializer,
    404: ErrorSerializer,
}


class ExportApi(APIView):
    """The export's format comes from `?format=` (default txt); an unknown one answers 400."""

    def export_format(self, request: Request) -> str:
        format = request.query_params.get("format") or "txt"
        if format not in EXPORT_FORMATS:
            raise ValidationError({"format": [f"one of {', '.join(EXPORT_FORMATS)}."]})
        return format

    def perform_content_negotiation(self, request: Request, force: bool = False):
        format = request.query_params.get("format") or "txt"
        if format not in EXPORT_FORMATS:
            return renderers.JSONRenderer(), "application/json"
        renderer = export_renderer(format)
        return renderer, renderer.media_type

    def finalize_response(self, request: Request, response, *args, **kwargs):
        if response.status_code >= 400:  # one error body, as JSON, whatever was asked
            request.accepted_renderer, request.accepted_media_type = renderers.JSONRenderer(), "application/json"
        return super().finalize_response(request, response, *args, **kwargs)

    def document(self, text: str, *, stem: str, format: str) -> Response:
        response = Response(text, content_type=EXPORT_FORMATS[format][0])
        response["Content-Disposition"] = f'attachment; filename="{export_filename(stem, format)}"'
        return response


class ConversationExportApi(ExportApi):
    @extend_schema(
        operation_id="conversations_export",
        description="The conversation around one of the owner's utterances (any of its ids) as a document.",
        parameters=[FORMAT_PARAMETER],
        responses=EXPORT_RESPONSES,
    )
    def get(self, request: Request, utterance_id: int) -> Response:
        conversation = conversation_containing(user=request.user, utterance_id=utterance_id)
        if conversation is None:
            raise NotFound()
        format = self.export_format(request)
        local = timezone.localtime(conversation.start_ts)
        title = f"Conversation of {local:%A} {local.day} {local:%B %Y, %H:%M}"
        text = conversations_export([conversation], format=format, title=title)
        return self.document(text, stem=f"conversation-{local:%Y-%m-%d-%H%M}-{conversation.key}", format=format)


class DayExportApi(ExportApi):
    class FilterSerializer(serializers.Serializer):
        day = serializers.DateField(help_text="One local day (the server's time zone).")
        device_id = serializers.CharField(max_length=64, validators=[device_id_validator], required=False)

    @extend_schema(
        operation_id="conversations_export_day",
        description="One day's conversations as a document.",
        parameters=[FilterSerializer, FORMAT_PARAMETER],
        responses=EXPORT_RESPONSES,
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        format = self.export_format(request)
        day, device_id = filters.validated_data["day"], filters.validated_data.get("device_id")
        since, until = day_bounds(day)
        conversations = conversations_between(user=request.user, since=since, until=until, device_id=device_id)
        text = conversations_export(conversations, format=format, title=f"{day:%A} {day.day} {day:%B %Y}")
        return self.document(text, stem=f"day-{day:%Y-%m-%d}", format=format)
