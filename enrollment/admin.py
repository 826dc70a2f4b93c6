from django.contrib import admin

from enrollment.models import Enrollment


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "status", "speech_ms", "consistency", "created_at"]
    list_filter = ["status"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    exclude = ["voiceprint"]
