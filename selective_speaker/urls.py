from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from selective_speaker.api.me import AuthTokenApi, MeDataApi, MeExportApi
from selective_speaker.health import health

api_v1 = [
    path("enrollments/", include("enrollment.urls")),
    path("chunks/", include("chunks.urls")),
    path("utterances/", include("utterances.urls")),
    path("auth/token/", AuthTokenApi.as_view(), name="api-token"),
    path("me/export", MeExportApi.as_view(), name="me-export"),
    path("me/data", MeDataApi.as_view(), name="me-data"),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="timeline:index"), name="home"),
    path("timeline/", include("utterances.urls_html")),
    path("enroll/", include("utterances.urls_enroll")),
    path("account/", include("utterances.urls_account")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("health", health, name="health"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
