from django.contrib import admin

from chunks.models import Chunk, Location


@admin.register(Chunk)
class ChunkAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "device_id", "start_ts", "status", "segments_count"]
    list_filter = ["status"]
    list_select_related = ["user"]
    raw_id_fields = ["user", "enrollment", "location"]


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["id", "address", "lat_round", "lon_round", "provider"]
