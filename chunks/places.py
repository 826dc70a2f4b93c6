"""Writes of places: the reverse-geocoded place of a chunk's GPS position."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from chunks.geocoders import geocoder_from_settings, geocoder_name
from chunks.models import Chunk, Location
from chunks.selectors import location_cached
from chunks.services import chunk_enqueue_geocoding
from selective_speaker.json_values import json_safe


def chunk_geocode(*, chunk: Chunk) -> Location | None:
    """Attach the place of the chunk's GPS position (None without a position)."""
    if chunk.gps_lat is None or chunk.gps_lon is None:
        return None
    location = location_for(lat=chunk.gps_lat, lon=chunk.gps_lon)
    chunk.location = location
    chunk.save(update_fields=["location"])
    return location


def chunk_regeocode(*, chunks: Iterable[Chunk]) -> int:
    """Queue geocoding again for chunks with a position (staff action); returns how many."""
    ids = [chunk.id for chunk in chunks if chunk.gps_lat is not None and chunk.gps_lon is not None]
    chunk_enqueue_geocoding(chunk_ids=ids)
    return len(ids)


def location_for(*, lat: float, lon: float) -> Location:
    """The place at (lat, lon), from the cache keyed by coordinates rounded to
    GEOCODER_ROUND_DECIMALS, or from the geocoder (asked for the rounded point, so it learns
    no more than the cache keeps). A place not found is cached too, with an empty address."""
    lat_round, lon_round = _rounded(lat), _rounded(lon)
    cached = location_cached(lat_round=lat_round, lon_round=lon_round)
    if cached is not None:
        return cached
    found = geocoder_from_settings()((float(lat_round), float(lon_round)), exactly_one=True)
    raw = json_safe(found.raw) if found is not None else {}
    city, country = _place_parts(raw)
    # get_or_create settles a race between two workers on the unique (lat_round, lon_round).
    location, _ = Location.objects.get_or_create(
        lat_round=lat_round,
        lon_round=lon_round,
        defaults={
            "address": (found.address if found is not None else "")[:512],
            "city": city[:255],
            "country": country[:255],
            "raw": raw,
            "provider": geocoder_name(),
        },
    )
    return location


def _rounded(value: float) -> Decimal:
    step = Decimal(1).scaleb(-settings.GEOCODER_ROUND_DECIMALS)
    return Decimal(str(value)).quantize(step, rounding=ROUND_HALF_UP)


def _place_parts(raw: dict) -> tuple[str, str]:
    """(city, country) from the offline record or a Nominatim-style `address` block."""
    address = raw.get("address") if isinstance(raw.get("address"), dict) else raw
    city = next((address[key] for key in ("city", "town", "village", "hamlet", "municipality") if address.get(key)), "")
    return str(city), str(address.get("country") or "")
