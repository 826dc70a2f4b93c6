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
from selective_speaker.api.pagination import CursorPage, paginated_response
from selective_speaker.validators import device_id_validator
from utterances.selectors import utterance_get, utterance_timeline
from utterances.services import utterance_delete


class UtterancePage(CursorPage):
    ordering = ("-start_ts", "-id")


class UtteranceListApi(APIView):
    pagination_class = UtterancePage

    class FilterSerializer(serializers.Serializer):
        since = AwareDateTimeField(required=False, help_text="Utterances starting at or after this time.")
        until = AwareDateTimeField(required=False, help_text="Utterances starting before this time.")
        device_id = serializers.CharField(max_length=64, validators=[device_id_validator], required=False)
        q = serializers.CharField(max_length=200, required=False, help_text="Text contains (case-insensitive).")

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

    @extend_schema(
        operation_id="utterances_list",
        parameters=[FilterSerializer],
        responses={200: OutputSerializer(many=True), 400: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return paginated_response(
            pagination_class=self.pagination_class,
            serializer_class=self.OutputSerializer,
            queryset=utterance_timeline(user=request.user, **filters.validated_data),
            request=request,
            view=self,
        )


class UtteranceDetailApi(APIView):
    @extend_schema(
        operation_id="utterances_destroy",
        description=(
            "Delete one utterance for good; reprocessing its chunk never brings it back. "
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
