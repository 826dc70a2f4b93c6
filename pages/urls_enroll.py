"""The voice enrollment pages (session login): /enroll/…"""

from django.urls import path

from pages import views_enroll

app_name = "enroll"

urlpatterns = [
    path("", views_enroll.enroll, name="index"),
    path("<int:enrollment_id>/", views_enroll.enrollment_detail, name="detail"),
    path("<int:enrollment_id>/status/", views_enroll.enrollment_status, name="status"),
    path("reprocess/", views_enroll.reprocess_chunks, name="reprocess"),
]
