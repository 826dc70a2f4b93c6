"""/api/v1/utterances/: the owner's timeline as bubbles, newest first."""

from __future__ import annotations

from datetime import datetime, tzinfo

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
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
from utterances.selectors import (
    utterance_get,
    utterance_rows,
    utterance_rows_duplicates,
    utterance_search_highlight,
    utterance_timeline,
)
from utterances.services import utterance_delete


def _iso(value: datetime, zone: tzinfo) -> str:
    """A time as DRF's DateTimeField writes it: ISO 8601 in the current time zone (the API's is
    UTC: account.middleware sets the owner's for pages only), "Z" for UTC."""
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


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
    """Search results by rank, then newest first (utterances.pagination), as utterance_rows."""

    def page_rows(self, queryset):
        return utterance_rows(queryset)

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
        address = serializers.CharField(allow_null=True)
        gps_lat = serializers.FloatField(allow_null=True)
        gps_lon = serializers.FloatField(allow_null=True)
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
        duplicates = serializers.SerializerMethodField(
            help_text="The other devices' takes of the same words, not listed (see `include_duplicates`)."
        )
        highlight = serializers.SerializerMethodField(
            help_text=(
                "With `q`: `text` as HTML — escaped, with the words that matched in <mark>…</mark> — "
                "safe to insert into a page as it is. null without `q`."
            )
        )

        @extend_schema_field(UtteranceDuplicateSerializer(many=True))
        def get_duplicates(self, row) -> list[dict]:
            takes = self.context["duplicates"].get(row.id, ()) if row.has_duplicates else ()
            return [{"id": take_id, "device_id": device_id} for take_id, device_id in takes]

        def get_highlight(self, utterance) -> str | None:
            q = self.context.get("q")
            return str(utterance_search_highlight(utterance, q=q)) if q else None

        def to_representation(self, row) -> dict:
            """What DRF would write from the fields above (the schema), without its per-field
            machinery, from a row of utterances.selectors.utterance_rows (the view passes the
            page's `duplicates` in the context): a page of 200 bubbles serializes in a third of
            the time."""
            zone = self.context["zone"]
            return {
                "id": row.id,
                "chunk_id": row.chunk_id,
                "text": row.text,
                "start_ts": _iso(row.start_ts, zone),
                "end_ts": _iso(row.end_ts, zone),
                "device_id": row.device_id,
                "address": row.address,
                "gps_lat": row.gps_lat,
                "gps_lon": row.gps_lon,
                "confidence": float(row.confidence),
                "uncertain": bool(row.uncertain),
                "duplicate_of": row.duplicate_of_id,
                "duplicates": self.get_duplicates(row),
                "highlight": self.get_highlight(row),
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
        if q:  # the search page counts, and finds a page's rows by their keys alone
            paginator, page_of = UtteranceSearchPage(), utterances
        else:
            paginator, page_of = self.pagination_class(), utterance_rows(utterances)
        page = paginator.paginate_queryset(page_of, request, view=self)
        context = {"q": q, "duplicates": utterance_rows_duplicates(page), "zone": timezone.get_current_timezone()}
        data = self.OutputSerializer(page, many=True, context=context).data
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
