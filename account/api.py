"""/api/v1/me/ and /api/v1/auth/token/: the owner's account as a whole — API token, export, erase."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from account.lockout import LockedOut
from account.selectors import EXPORT_FORMAT, account_export_stream
from account.services import account_erase, account_token_issue, account_token_revoke
from selective_speaker.api.errors import ErrorSerializer

TokenSerializer = inline_serializer("Token", fields={"token": serializers.CharField()})


class AuthTokenApi(APIView):
    """POST username + password → the user's API token; DELETE revokes the token in use.

    A failed POST counts toward the login lockout as a failed login form does (account/lockout.py);
    once its account or address is locked, every POST answers 429 locked_out, right password or not.
    """

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    @extend_schema(
        operation_id="auth_token_create",
        request=AuthTokenSerializer,
        responses={200: TokenSerializer, 400: ErrorSerializer, 429: ErrorSerializer},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid() and getattr(request, "axes_locked_out", False):  # set by django-axes
            raise LockedOut(request)
        serializer.is_valid(raise_exception=True)
        token = account_token_issue(user=serializer.validated_data["user"])
        return Response({"token": token.key})

    @extend_schema(
        operation_id="auth_token_revoke",
        request=None,
        responses={204: OpenApiResponse(description="Revoked; the key no longer authenticates.")},
    )
    def delete(self, request: Request) -> Response:
        account_token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeExportApi(APIView):
    @extend_schema(
        operation_id="me_export",
        description=(
            f"All of the owner's data as one JSON document (`format`: {EXPORT_FORMAT}): enrollments "
            "(with the voiceprint), chunks (with the owner-decision audit records), segments with "
            "word timings, places, and any other rows that belong to the owner. Audio files are "
            "not included; `audio_retained` says which are still stored."
        ),
        responses={200: OpenApiResponse(description="The export, as a JSON attachment.")},
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        response = StreamingHttpResponse(account_export_stream(user=request.user), content_type="application/json")
        filename = f"selective-speaker-{request.user.get_username()}-{timezone.now():%Y%m%d-%H%M%S}.json"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "private, no-store"
        return response


class MeDataApi(APIView):
    @extend_schema(
        operation_id="me_data_erase",
        description=(
            "Erase all of the owner's data: audio files, enrollments and voiceprints, chunks, "
            "segments, review records, and places no one else's chunks refer to. The account and "
            "its API token stay. Answers how many of each were erased. 503 (retry) when the file "
            "store fails part way; calling it again finishes."
        ),
        request=None,
        responses={
            200: inline_serializer("Erased", fields={"erased": serializers.DictField(child=serializers.IntegerField())}),
            503: ErrorSerializer,
        },
    )
    def delete(self, request: Request) -> Response:
        return Response({"erased": account_erase(user=request.user)})
