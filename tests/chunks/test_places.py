"""Places of chunks (chunks/places.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.core.files.uploadedfile import SimpleUploadedFile

from chunks.models import Location
from chunks.places import chunk_geocode, location_for
from chunks.services import chunk_ingest
from tests.audio_samples import wav_bytes
from tests.factories import ChunkFactory

START = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)


def ingest(user, audio=None, **fields):
    data = {"device_id": "phone-1", "start_ts": START, **fields}
    audio = audio or SimpleUploadedFile("clip.wav", wav_bytes(1.0))
    return chunk_ingest(user=user, audio_file=audio, **data)


# --- places -------------------------------------------------------------------------------


class CountingGeocoder:
    def __init__(self):
        self.queries = []

    def __call__(self, query, exactly_one=True):
        from geopy.location import Location as GeoLocation
        from geopy.point import Point

        self.queries.append(query)
        raw = {"address": {"town": "Sainte-Mère", "country": "France"}}
        return GeoLocation("Sainte-Mère, France", Point(*query), raw)


def test_it_caches_locations_by_rounded_coordinates(db, monkeypatch):
    geocoder = CountingGeocoder()
    monkeypatch.setattr("chunks.places.geocoder_from_settings", lambda: geocoder)
    first = location_for(lat=48.85661, lon=2.35222)
    second = location_for(lat=48.8568, lon=2.3524)  # the same point at 3 decimals
    assert first.id == second.id
    assert geocoder.queries == [(48.857, 2.352)]  # the rounded point, once
    assert (first.city, first.country) == ("Sainte-Mère", "France")
    third = location_for(lat=48.8606, lon=2.3376)
    assert third.id != first.id
    assert Location.objects.count() == 2


def test_it_settles_a_race_on_the_same_place(db, monkeypatch):
    geocoder = CountingGeocoder()
    monkeypatch.setattr("chunks.places.geocoder_from_settings", lambda: geocoder)
    monkeypatch.setattr("chunks.places.location_cached", lambda **kwargs: None)  # both missed the cache
    assert location_for(lat=1.0, lon=1.0).id == location_for(lat=1.0, lon=1.0).id
    assert Location.objects.count() == 1


def test_it_geocodes_a_chunk_offline(user, settings):
    settings.GEOCODER = "offline"
    chunk = ChunkFactory(user=user, gps_lat=48.8566, gps_lon=2.3522)
    location = chunk_geocode(chunk=chunk)
    chunk.refresh_from_db()
    assert chunk.location == location
    assert location.address == "Paris, France"
    assert (location.city, location.country, location.provider) == ("Paris", "France", "offline")


def test_it_skips_geocoding_without_a_position(user):
    chunk = ChunkFactory(user=user)
    assert chunk_geocode(chunk=chunk) is None
