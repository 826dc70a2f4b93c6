"""/api/v1/utterances/: the owner's timeline as bubbles, newest first."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from selective_speaker.api.errors import ErrorSerializer
from selective_speaker.api.fields import AwareDateTimeField
from selective_speaker.api.pagination import CursorPage, invalid_cursor
from selective_speaker.validators import device_id_validator
from utterances.pagination import SearchCursorPagination
from utterances.search import SEARCH_ORDERS
from utterances.selectors import utterance_duplicate_takes, utterance_get, utterance_search_highlight, utterance_timeline
from utterances.services import utterance_delete


class UtterancePage(CursorPage):
    """Newest first; with `q`, the search's order and a `count` of every result."""

    ordering = ("-start_ts", "-id")
    count: int | None = None

    def get_paginated_response(self, data) -> Response:
        response = super().get_paginated_response(data)
        if self.count is not None:
            response.data = {"count": self.count, **response.data}
        return response

    def get_paginated_response_schema(self, schema: dict) -> dict:
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"] = {
            "count": {
                "type": "integer",
                "description": "With `q` only: how many utterances match, on every page.",
                "example": 123,
            },
            **paginated["properties"],
        }
        return paginated


class UtteranceSearchPage(SearchCursorPagination, UtterancePage):
    """Search results by rank, then newest first (utterances.pagination)."""

    def search_cursor(self, request):
        try:
            return super().search_cursor(request)
        except NotFound as exc:
            raise invalid_cursor() from exc


@extend_schema_serializer(component_name="UtteranceDuplicate")
class UtteranceDuplicateSerializer(serializers.Serializer):
    """Another of the owner's devices' take of the same words."""

    id = serializers.IntegerField()
    device_id = serializers.CharField()


class UtteranceListApi(APIView):
    pagination_class = UtterancePage

    class FilterSerializer(serializers.Serializer):
        since = AwareDateTimeField(required=False, help_text="Utterances starting at or after this time.")
        until = AwareDateTimeField(required=False, help_text="Utterances starting before this time.")
        device_id = serializers.CharField(max_length=64, validators=[device_id_validator], required=False)
        q = serializers.CharField(
            max_length=200,
            required=False,
            help_text=(
                "Utterances that contain every word, in any order, whatever the case and punctuation. "
                "On PostgreSQL words match by their stem (“runs” finds “running”), common words "
                "(“the”, “and”) are ignored unless there is no other, and results come best match first; "
                "elsewhere each word must occur in the text and results come newest first. "
                "The response then has `count`, and each result a `highlight`."
            ),
        )
        order = serializers.ChoiceField(
            choices=SEARCH_ORDERS,
            default="relevance",
            help_text="With `q`: `relevance` (best match first, then newest) or `newest`.",
        )
        include_duplicates = serializers.BooleanField(
            default=False,
            help_text=(
                "When two of your devices heard the same words, only the better take is listed "
                "(with the others in its `duplicates`); `true` lists every take. With `device_id`, "
                "that device's takes are all listed either way."
            ),
        )

        def validate(self, attrs: dict) -> dict:
            since, until = attrs.get("since"), attrs.get("until")
            if since is not None and until is not None and until <= since:
                raise serializers.ValidationError({"until": "until must be after since."})
            return attrs

    @extend_schema_serializer(component_name="Utterance")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        chunk_id = serializers.IntegerField()
        text = serializers.CharField()
        start_ts = serializers.DateTimeField()
        end_ts = serializers.DateTimeField()
        device_id = serializers.CharField()
        address = serializers.CharField(source="chunk.location.address", allow_null=True, default=None)
        gps_lat = serializers.FloatField(source="chunk.gps_lat", allow_null=True)
        gps_lon = serializers.FloatField(source="chunk.gps_lon", allow_null=True)
        confidence = serializers.FloatField()
        uncertain = serializers.BooleanField(help_text="Kept although the owner match was uncertain.")
        duplicate_of = serializers.IntegerField(
            source="duplicate_of_id",
            allow_null=True,
            help_text=(
                "Another device's take of the same words, listed instead of this one (the better "
                "take: surer owner match, then higher confidence); null for a listed utterance."
            ),
        )
        duplicates = UtteranceDuplicateSerializer(
            many=True,
            help_text="The other devices' takes of the same words, not listed (see `include_duplicates`).",
        )
        highlight = serializers.SerializerMethodField(
            help_text=(
                "With `q`: `text` as HTML — escaped, with the words that matched in <mark>…</mark> — "
                "safe to insert into a page as it is. null without `q`."
            )
        )

        def get_highlight(self, utterance) -> str | None:
            q = self.context.get("q")
            return str(utterance_search_highlight(utterance, q=q)) if q else None

        def to_representation(self, utterance) -> dict:
            """What DRF would write from the fields above (the schema), without its per-field
            machinery: a page of 200 bubbles serializes in a third of the time."""
            chunk, to_time = utterance.chunk, self.fields["start_ts"].to_representation
            location = chunk.location
            return {
                "id": utterance.id,
                "chunk_id": utterance.chunk_id,
                "text": utterance.text,
                "start_ts": to_time(utterance.start_ts),
                "end_ts": to_time(utterance.end_ts),
                "device_id": utterance.device_id,
                "address": None if location is None else location.address,
                "gps_lat": chunk.gps_lat,
                "gps_lon": chunk.gps_lon,
                "confidence": float(utterance.confidence),
                "uncertain": bool(utterance.uncertain),
                "duplicate_of": utterance.duplicate_of_id,
                "duplicates": [{"id": take.id, "device_id": take.device_id} for take in utterance_duplicate_takes(utterance)],
                "highlight": self.get_highlight(utterance),
            }

    @extend_schema(
        operation_id="utterances_list",
        parameters=[FilterSerializer],
        responses={200: OutputSerializer(many=True), 400: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        q = filters.validated_data.get("q")
        utterances = utterance_timeline(user=request.user, **filters.validated_data)
        paginator = UtteranceSearchPage() if q else self.pagination_class()  # the search page counts
        page = paginator.paginate_queryset(utterances, request, view=self)
        data = self.OutputSerializer(page, many=True, context={"q": q}).data
        return paginator.get_paginated_response(data)


class UtteranceDetailApi(APIView):
    @extend_schema(
        operation_id="utterances_destroy",
        description=(
            "Delete one utterance for good; reprocessing its chunk never brings it back. "
            "Its `duplicates` (other devices' takes of the same words) go with it; deleting a "
            "duplicate deletes that take only. "
            "The chunk's audio is not touched (delete the chunk for that)."
        ),
        responses={204: None, 404: ErrorSerializer},
    )
    def delete(self, request: Request, utterance_id: int) -> Response:
        utterance = utterance_get(user=request.user, utterance_id=utterance_id)
        if utterance is None:
            raise NotFound()
        utterance_delete(utterance=utterance)
        return Response(status=status.HTTP_204_NO_CONTENT)
