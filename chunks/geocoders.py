"""Reverse geocoders: an offline one (GeoNames cities shipped in `reverse_geocode`) and any
geopy service, rate limited. `geocoder_from_settings()` picks one from GEOCODER."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

from django.conf import settings
from geopy.distance import distance
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import get_geocoder_for_service
from geopy.geocoders.base import Geocoder
from geopy.location import Location as GeoLocation
from geopy.point import Point

ReverseGeocode = Callable[..., "GeoLocation | list[GeoLocation] | None"]


class OfflineGeocoder(Geocoder):
    """The nearest GeoNames place with more than 1,000 inhabitants, without any network.

    The address is "City, Country"; `raw` holds the GeoNames record (city, state, country,
    country_code, latitude, longitude, population) and the distance to it. Farther than
    `max_distance_km` from any such place (at sea, in a desert) there is no answer (None),
    as with online services.
    """

    provider = "offline"

    def __init__(self, *, max_distance_km: float = 100.0, user_agent: str | None = None):
        super().__init__(user_agent=user_agent)
        self.max_distance_km = max_distance_km

    def reverse(self, query, *, exactly_one: bool = True, **_ignored):
        import reverse_geocode

        point = Point(query)
        place = dict(reverse_geocode.get((point.latitude, point.longitude)))
        km = distance((point.latitude, point.longitude), (place["latitude"], place["longitude"])).km
        if km > self.max_distance_km:
            return None if exactly_one else []
        place["distance_km"] = round(km, 3)
        address = ", ".join(part for part in (place.get("city"), place.get("country")) if part)
        location = GeoLocation(address, Point(place["latitude"], place["longitude"]), place)
        return location if exactly_one else [location]


@functools.cache
def _geocoder(
    name: str,
    user_agent: str,
    api_key: str,
    domain: str,
    language: str,
    timeout: float,
    min_delay: float,
    max_km: float,
):
    if name == "offline":
        return OfflineGeocoder(max_distance_km=max_km, user_agent=user_agent).reverse
    options: dict = {"user_agent": user_agent, "timeout": timeout}
    if api_key:
        options["api_key"] = api_key
    if domain:
        options["domain"] = domain
    service = get_geocoder_for_service(name)(**options)
    reverse = service.reverse
    if language and "language" in inspect.signature(reverse).parameters:
        reverse = functools.partial(reverse, language=language)
    # Per process: the worker count times this is the request rate the service sees.
    return RateLimiter(reverse, min_delay_seconds=min_delay, max_retries=2, swallow_exceptions=False)


def geocoder_from_settings() -> ReverseGeocode:
    """`reverse(query, exactly_one=True)` of the configured service, one per process."""
    return _geocoder(
        geocoder_name(),
        settings.GEOCODER_USER_AGENT,
        settings.GEOCODER_API_KEY,
        settings.GEOCODER_DOMAIN,
        settings.GEOCODER_LANGUAGE,
        settings.GEOCODER_TIMEOUT_S,
        settings.GEOCODER_MIN_DELAY_S,
        settings.GEOCODER_OFFLINE_MAX_KM,
    )


def geocoder_name() -> str:
    return settings.GEOCODER.strip().lower()
