"""Django settings: every value from the environment with a sane default, in four parts.

The embedded default needs no services: SQLite in var/, the django-q2 ORM broker, files under
var/media, the bundled CPU models in var/models and an offline geocoder. Production sets
DATABASE_URL, REDIS_URL, S3_BUCKET, GEOCODER and the SECURE_* values (.env.example lists all).

base (core, database, cache, auth, security, files, retention) · jobs (django-q2 and the job
lifecycle) · product (geocoding, speech engine, voiceprints, review, the owner's pages) · api
(DRF, OpenAPI, logging). A part imports what it needs from `base` by name.
"""

from .api import *
from .base import *
from .jobs import *
from .product import *
