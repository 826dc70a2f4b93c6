from django.urls import path

from enrollment.api import EnrollmentDetailApi, EnrollmentListCreateApi

app_name = "enrollment"

urlpatterns = [
    path("", EnrollmentListCreateApi.as_view(), name="list"),
    path("<int:enrollment_id>/", EnrollmentDetailApi.as_view(), name="detail"),
]
