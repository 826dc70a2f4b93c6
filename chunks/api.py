"""/api/v1/chunks/: upload audio chunks, follow their processing."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chunks.models import Chunk
from chunks.selectors import chunk_get, chunk_list
from chunks.services import chunk_delete, chunk_ingest
from selective_speaker.api.errors import ErrorSerializer
from selective_speaker.api.fields import AwareDateTimeField, FiniteFloatField
from selective_speaker.api.pagination import CursorPage, paginated_response
from selective_speaker.validators import device_id_validator


@extend_schema_serializer(component_name="Chunk")
class ChunkOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Chunk.Status.choices)
    status_display = serializers.CharField(source="get_status_display")
    error = serializers.CharField()
    device_id = serializers.CharField()
    start_ts = serializers.DateTimeField()
    end_ts = serializers.DateTimeField()
    duration_ms = serializers.IntegerField()
    codec = serializers.CharField()
    audio_bytes = serializers.IntegerField()
    gps_lat = serializers.FloatField(allow_null=True)
    gps_lon = serializers.FloatField(allow_null=True)
    address = serializers.CharField(source="location.address", allow_null=True, default=None)
    segments_count = serializers.IntegerField()
    owner_speech_ms = serializers.IntegerField()
    attempts = serializers.IntegerField()
    timings = serializers.DictField(child=serializers.FloatField(allow_null=True), help_text="Seconds per stage.")
    created_at = serializers.DateTimeField()
    processed_at = serializers.DateTimeField(allow_null=True)


class ChunkPage(CursorPage):
    ordering = ("-start_ts", "-id")


class ChunkListCreateApi(APIView):
    parser_classes = [MultiPartParser, FormParser]
    pagination_class = ChunkPage

    @extend_schema_serializer(component_name="ChunkUpload")
    class InputSerializer(serializers.Serializer):
        audio = serializers.FileField(help_text="wav, flac, ogg/opus, m4a/aac, mp3 or webm.")
        device_id = serializers.CharField(max_length=64, validators=[device_id_validator])
        start_ts = AwareDateTimeField(help_text="ISO 8601 with a UTC offset, e.g. 2024-05-01T09:30:00Z.")
        end_ts = AwareDateTimeField(
            required=False, allow_null=True, help_text="Defaults to start_ts + the audio's duration."
        )
        gps_lat = FiniteFloatField(required=False, allow_null=True, min_value=-90, max_value=90)
        gps_lon = FiniteFloatField(required=False, allow_null=True, min_value=-180, max_value=180)

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=Chunk.Status.choices, required=False)
        device_id = serializers.CharField(max_length=64, validators=[device_id_validator], required=False)

    @extend_schema(
        operation_id="chunks_list",
        parameters=[FilterSerializer],
        responses={200: ChunkOutputSerializer(many=True), 400: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return paginated_response(
            pagination_class=self.pagination_class,
            serializer_class=ChunkOutputSerializer,
            queryset=chunk_list(user=request.user, **filters.validated_data),
            request=request,
            view=self,
        )

    @extend_schema(
        operation_id="chunks_create",
        description=(
            "Upload one chunk. A new chunk answers 202 and is processed in the background (while the "
            "job queue is down too: it is stored, and its job is queued once the queue is back); "
            "repeating an upload (same device_id and start_ts, or the same audio bytes) answers 200 "
            "with the chunk stored the first time, and stores nothing."
        ),
        request={"multipart/form-data": InputSerializer},
        responses={
            202: OpenApiResponse(ChunkOutputSerializer, description="Stored and queued."),
            200: OpenApiResponse(ChunkOutputSerializer, description="Already uploaded: the existing chunk."),
            400: ErrorSerializer,
            413: OpenApiResponse(ErrorSerializer, description="The upload is bigger than MAX_UPLOAD_MB."),
            503: OpenApiResponse(ErrorSerializer, description="Storage unavailable; nothing kept, retry later."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        chunk, created = chunk_ingest(
            user=request.user,
            audio_file=data["audio"],
            device_id=data["device_id"],
            start_ts=data["start_ts"],
            end_ts=data.get("end_ts"),
            gps_lat=data.get("gps_lat"),
            gps_lon=data.get("gps_lon"),
        )
        return Response(
            ChunkOutputSerializer(chunk).data,
            status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK,
        )


class ChunkDetailApi(APIView):
    @extend_schema(operation_id="chunks_retrieve", responses={200: ChunkOutputSerializer, 404: ErrorSerializer})
    def get(self, request: Request, chunk_id: int) -> Response:
        return Response(ChunkOutputSerializer(self._chunk(request, chunk_id)).data)

    @extend_schema(
        operation_id="chunks_destroy",
        description="Delete the chunk, its segments and its audio file, at once and for good.",
        responses={204: None, 404: ErrorSerializer, 503: ErrorSerializer},
    )
    def delete(self, request: Request, chunk_id: int) -> Response:
        chunk_delete(chunk=self._chunk(request, chunk_id))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @staticmethod
    def _chunk(request: Request, chunk_id: int) -> Chunk:
        chunk = chunk_get(user=request.user, chunk_id=chunk_id)
        if chunk is None:
            raise NotFound()
        return chunk
