from django.contrib import admin

from utterances.models import Segment


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "device_id", "start_ts", "text"]
    list_select_related = ["user"]
    raw_id_fields = ["chunk", "user"]
