from django.urls import path

from chunks.api import ChunkDetailApi, ChunkListCreateApi

app_name = "chunks"

urlpatterns = [
    path("", ChunkListCreateApi.as_view(), name="list"),
    path("<int:chunk_id>/", ChunkDetailApi.as_view(), name="detail"),
]
