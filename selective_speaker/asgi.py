"""ASGI entry point (uvicorn selective_speaker.asgi:application)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "selective_speaker.settings")

application = get_asgi_application()
