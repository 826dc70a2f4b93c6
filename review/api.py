"""/api/v1/voice-checks/: "Was this you?" — the owner answers about stretches the engine could
not attribute, and says "not me" about a kept utterance. Text-free until the owner says "me"."""

from __future__ import annotations

from datetime import timedelta

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from chunks.clips import chunk_clip_response
from enrollment.models import DecisionReview
from review.selectors import voice_check_get, voice_checks_pending
from review.services import utterance_not_me, voice_check_answer
from selective_speaker.api.errors import ErrorSerializer
from selective_speaker.api.pagination import CursorPage, paginated_response
from utterances.selectors import utterance_get

VOICE_CHECK_HELP = (
    "A stretch of one of your recordings the server could not tell was you. Nothing of it is "
    "transcribed or stored as text until you answer: listen to `audio_url`, then answer "
    "`me` (it is transcribed, and your voiceprint for that device learns from it) or `not_me`."
)


@extend_schema_serializer(component_name="VoiceCheck")
class VoiceCheckOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    chunk_id = serializers.IntegerField()
    device_id = serializers.CharField(source="chunk.device_id")
    start_ts = serializers.SerializerMethodField()
    end_ts = serializers.SerializerMethodField()
    duration_ms = serializers.IntegerField()
    similarity = serializers.FloatField(allow_null=True, help_text="How much it sounded like you (cosine).")
    answer = serializers.SerializerMethodField(help_text="me, not_me, or null while unanswered.")
    audio_url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_start_ts(self, check: DecisionReview) -> str:
        return serializers.DateTimeField().to_representation(
            check.chunk.start_ts + timedelta(milliseconds=check.start_ms)
        )

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_end_ts(self, check: DecisionReview) -> str:
        return serializers.DateTimeField().to_representation(
            check.chunk.start_ts + timedelta(milliseconds=check.end_ms)
        )

    def get_answer(self, check: DecisionReview) -> str | None:
        return {DecisionReview.Verdict.OWNER: "me", DecisionReview.Verdict.NOT_OWNER: "not_me"}.get(check.verdict)

    def get_audio_url(self, check: DecisionReview) -> str:
        return reverse("voice-checks:audio", args=[check.id], request=self.context.get("request"))


class VoiceCheckPage(CursorPage):
    ordering = ("-created_at", "-id")


class VoiceCheckListApi(APIView):
    pagination_class = VoiceCheckPage

    @extend_schema(
        operation_id="voice_checks_list",
        description="Your unanswered voice checks whose audio is still kept, newest first. " + VOICE_CHECK_HELP,
        responses=VoiceCheckOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        return paginated_response(
            pagination_class=self.pagination_class,
            serializer_class=VoiceCheckOutputSerializer,
            queryset=voice_checks_pending(user=request.user),
            request=request,
            view=self,
            context={"request": request},
        )


class WavRenderer(BaseRenderer):
    media_type = "audio/wav"
    format = "wav"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class VoiceCheckAudioApi(APIView):
    renderer_classes = [JSONRenderer, WavRenderer]

    @extend_schema(
        operation_id="voice_checks_audio",
        description="The stretch itself, as WAV (16 kHz mono), with Range support; 410 once the audio is gone.",
        responses={(200, "audio/wav"): OpenApiResponse(description="WAV audio"), 404: ErrorSerializer, 410: None},
    )
    def get(self, request: Request, voice_check_id: int):
        check = voice_check_get(user=request.user, check_id=voice_check_id)
        if check is None:
            raise NotFound()
        return chunk_clip_response(
            request, check.chunk, start_ms=check.start_ms, end_ms=check.end_ms, name=f"voice-check-{check.id}"
        )


class VoiceCheckAnswerApi(APIView):
    @extend_schema_serializer(component_name="VoiceCheckAnswer")
    class InputSerializer(serializers.Serializer):
        answer = serializers.ChoiceField(choices=["me", "not_me"])

    @extend_schema_serializer(component_name="VoiceCheckAnswered")
    class OutputSerializer(serializers.Serializer):
        answer = serializers.CharField()
        voice_learned = serializers.BooleanField(help_text="The stretch's voice was stored as a sample.")
        chunk_queued = serializers.BooleanField(help_text="The recording is being processed again with your answer.")

    @extend_schema(
        operation_id="voice_checks_answer",
        description="Answer a voice check (again, to change your answer). " + VOICE_CHECK_HELP,
        request=InputSerializer,
        responses={200: OutputSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
    )
    def post(self, request: Request, voice_check_id: int) -> Response:
        check = voice_check_get(user=request.user, check_id=voice_check_id)
        if check is None:
            raise NotFound()
        answer = self.InputSerializer(data=request.data)
        answer.is_valid(raise_exception=True)
        me = answer.validated_data["answer"] == "me"
        outcome = voice_check_answer(check=check, me=me, user=request.user)
        data = {
            "answer": answer.validated_data["answer"],
            "voice_learned": outcome.samples > 0,
            "chunk_queued": outcome.chunks_queued > 0,
        }
        return Response(self.OutputSerializer(data).data)


class UtteranceNotMeApi(APIView):
    @extend_schema_serializer(component_name="UtteranceNotMe")
    class OutputSerializer(serializers.Serializer):
        deleted = serializers.BooleanField()
        voice_learned = serializers.BooleanField(help_text="The voice was kept as somebody else's (a negative).")

    @extend_schema(
        operation_id="utterances_not_me",
        description=(
            "This utterance was not you: it is deleted for good (a reprocess never brings it back) and its "
            "voice is kept as somebody else's, so that it is not taken for yours again."
        ),
        request=None,
        responses={200: OutputSerializer, 404: ErrorSerializer},
    )
    def post(self, request: Request, utterance_id: int) -> Response:
        utterance = utterance_get(user=request.user, utterance_id=utterance_id)
        if utterance is None:
            raise NotFound()
        learned = utterance_not_me(utterance=utterance)
        return Response(self.OutputSerializer({"deleted": True, "voice_learned": learned}).data)
