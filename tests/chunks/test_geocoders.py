from __future__ import annotations

from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim

from chunks import geocoders
from chunks.geocoders import OfflineGeocoder, geocoder_from_settings


def test_it_finds_paris_offline():
    location = OfflineGeocoder().reverse((48.8566, 2.3522))
    assert location.address == "Paris, France"
    assert (location.latitude, location.longitude) == (48.85341, 2.3488)
    assert location.raw["country_code"] == "FR"
    assert location.raw["distance_km"] < 1


def test_it_accepts_geopy_query_forms():
    assert OfflineGeocoder().reverse("51.5072, -0.1276").address == "London, United Kingdom"
    found = OfflineGeocoder().reverse((35.6762, 139.6503), exactly_one=False)
    assert len(found) == 1 and found[0].address.endswith(", Japan")


def test_it_answers_nothing_far_from_any_town():
    assert OfflineGeocoder(max_distance_km=100).reverse((0.0, -30.0)) is None  # mid-Atlantic
    assert OfflineGeocoder().reverse((0.0, -30.0), exactly_one=False) == []


def test_it_does_not_change_the_shared_place_data():
    first = OfflineGeocoder().reverse((48.8566, 2.3522))
    second = OfflineGeocoder().reverse((48.8566, 2.3522))
    assert first.raw == second.raw and first.raw is not second.raw


def test_it_builds_the_offline_geocoder_by_default(settings):
    settings.GEOCODER = "offline"
    assert geocoder_from_settings()((48.8566, 2.3522)).address == "Paris, France"


def test_it_builds_a_rate_limited_geopy_service(settings):
    geocoders._geocoder.cache_clear()
    settings.GEOCODER = "nominatim"
    settings.GEOCODER_USER_AGENT = "selective-speaker-tests"
    settings.GEOCODER_MIN_DELAY_S = 1.5
    reverse = geocoder_from_settings()
    assert isinstance(reverse, RateLimiter)
    assert reverse.min_delay_seconds == 1.5
    service = reverse.func.func.__self__  # RateLimiter → partial(language=...) → bound method
    assert isinstance(service, Nominatim)
    assert service.headers["User-Agent"] == "selective-speaker-tests"
    assert reverse.func.keywords == {"language": "en"}
    assert geocoder_from_settings() is reverse  # one per process: the rate limit holds
