"""WSGI entry point (gunicorn selective_speaker.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "selective_speaker.settings")

application = get_wsgi_application()
