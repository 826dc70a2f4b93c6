"""/api/v1/enrollments/: record the owner's voice, follow the voiceprint job."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from enrollment.models import Enrollment
from enrollment.selectors import enrollment_active_ids, enrollment_get, enrollment_list
from enrollment.services import enrollment_create, enrollment_delete
from selective_speaker.api.errors import ErrorSerializer
from selective_speaker.api.pagination import CursorPage, paginated_response
from selective_speaker.validators import device_id_validator


@extend_schema_serializer(component_name="Enrollment")
class EnrollmentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Enrollment.Status.choices)
    device_id = serializers.CharField(help_text="The device whose chunks it judges; empty = any device without its own.")
    status_display = serializers.CharField(source="get_status_display")
    error = serializers.CharField()
    error_code = serializers.CharField(
        help_text="Why it was rejected, for apps: too_short, too_quiet, several_voices, inconsistent_voice, "
        "too_long, unreadable_audio, audio_missing, gave_up (empty unless rejected; new codes may appear)."
    )
    active = serializers.SerializerMethodField(
        help_text="Part of an active voiceprint: its device's (or, without a device, the owner's default one)."
    )
    phrase_text = serializers.CharField()
    transcript = serializers.CharField()
    edit_distance = serializers.IntegerField(allow_null=True, help_text="Word edits from phrase_text.")
    duration_ms = serializers.IntegerField(allow_null=True)
    speech_ms = serializers.IntegerField(allow_null=True)
    window_count = serializers.IntegerField(allow_null=True)
    consistency = serializers.FloatField(allow_null=True)
    model_id = serializers.CharField()
    created_at = serializers.DateTimeField()
    processed_at = serializers.DateTimeField(allow_null=True)

    def get_active(self, enrollment: Enrollment) -> bool:
        return enrollment.id in self.context.get("active_ids", set())


class EnrollmentPage(CursorPage):
    ordering = ("-created_at", "-id")


class EnrollmentListCreateApi(APIView):
    parser_classes = [MultiPartParser, FormParser]
    pagination_class = EnrollmentPage

    @extend_schema_serializer(component_name="EnrollmentUpload")
    class InputSerializer(serializers.Serializer):
        audio = serializers.FileField(help_text="10–30 s of the owner alone; wav, flac, ogg/opus, m4a, mp3, webm.")
        device_id = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=64,
            validators=[device_id_validator],
            help_text=(
                "Record with the device you will wear and name it here: chunks from that device are then "
                "judged against this voiceprint (the owner's voice as that microphone hears it). Without "
                "it, the voiceprint serves every device that has none of its own."
            ),
        )
        phrase_text = serializers.CharField(
            required=False, allow_blank=True, max_length=2000, help_text="The prompted phrase, if one was read."
        )

    @extend_schema(
        operation_id="enrollments_list",
        responses=EnrollmentOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        return paginated_response(
            pagination_class=self.pagination_class,
            serializer_class=EnrollmentOutputSerializer,
            queryset=enrollment_list(user=request.user),
            request=request,
            view=self,
            context={"active_ids": enrollment_active_ids(user=request.user)},
        )

    @extend_schema(
        operation_id="enrollments_create",
        request={"multipart/form-data": InputSerializer},
        responses={
            202: EnrollmentOutputSerializer,
            400: ErrorSerializer,
            413: OpenApiResponse(ErrorSerializer, description="The upload is bigger than MAX_UPLOAD_MB."),
            503: OpenApiResponse(ErrorSerializer, description="Storage unavailable; nothing kept, retry later."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        enrollment = enrollment_create(
            user=request.user,
            audio_file=serializer.validated_data["audio"],
            phrase_text=serializer.validated_data.get("phrase_text", ""),
            device_id=serializer.validated_data.get("device_id", ""),
        )
        return Response(EnrollmentOutputSerializer(enrollment).data, status=status.HTTP_202_ACCEPTED)


class EnrollmentDetailApi(APIView):
    @extend_schema(
        operation_id="enrollments_retrieve", responses={200: EnrollmentOutputSerializer, 404: ErrorSerializer}
    )
    def get(self, request: Request, enrollment_id: int) -> Response:
        enrollment = enrollment_get(user=request.user, enrollment_id=enrollment_id)
        if enrollment is None:
            raise NotFound()
        context = {"active_ids": enrollment_active_ids(user=request.user)}
        return Response(EnrollmentOutputSerializer(enrollment, context=context).data)

    @extend_schema(
        operation_id="enrollments_destroy",
        description=(
            "Delete an enrollment, its recording and its voiceprint. The next newest ready "
            "enrollment becomes active; with none left, new chunks wait for one."
        ),
        responses={204: None, 404: ErrorSerializer, 503: ErrorSerializer},
    )
    def delete(self, request: Request, enrollment_id: int) -> Response:
        enrollment = enrollment_get(user=request.user, enrollment_id=enrollment_id)
        if enrollment is None:
            raise NotFound()
        enrollment_delete(enrollment=enrollment)
        return Response(status=status.HTTP_204_NO_CONTENT)
