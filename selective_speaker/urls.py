from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from account.api import AuthTokenApi, MeDataApi, MeExportApi
from review.api import UtteranceNotMeApi
from operations.metrics import metrics
from selective_speaker.health import health, live

api_v1 = [
    path("enrollments/", include("enrollment.urls")),
    path("chunks/", include("chunks.urls")),
    path("utterances/", include("utterances.urls")),
    path("utterances/<int:utterance_id>/not-me/", UtteranceNotMeApi.as_view(), name="utterance-not-me"),
    path("conversations/", include("utterances.urls_conversations")),
    path("voice-checks/", include("review.urls")),
    path("auth/token/", AuthTokenApi.as_view(), name="api-token"),
    path("me/export", MeExportApi.as_view(), name="me-export"),
    path("me/data", MeDataApi.as_view(), name="me-data"),
    path("webhooks/", include("webhooks.urls")),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="timeline:index"), name="home"),
    path("timeline/", include("pages.urls_timeline")),
    path("enroll/", include("pages.urls_enroll")),
    path("account/", include("pages.urls_account")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("health", health, name="health"),
    path("health/live", live, name="health_live"),
    path("metrics", metrics, name="metrics"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
