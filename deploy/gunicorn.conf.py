"""gunicorn's settings for the web tier, read from the environment (.env.example, "operations").

    gunicorn -c deploy/gunicorn.conf.py selective_speaker.wsgi

Run from the repository root (the compose file, the Procfile and the systemd unit all do).
Workers are processes (sync): each takes one request at a time, so WEB_WORKERS is how many
uploads are decoded at once; a request past WEB_TIMEOUT_S is killed and its worker replaced.
Nothing a request leaves on this host outlives it (uploads past FILE_UPLOAD_MAX_MEMORY_SIZE are
spooled to a temporary file that is deleted with the request).
"""

import os

from selective_speaker.env import env_int, env_str

wsgi_app = "selective_speaker.wsgi:application"
bind = env_str("WEB_BIND", "127.0.0.1:8000")
workers = env_int("WEB_WORKERS", 2)
timeout = env_int("WEB_TIMEOUT_S", 120)
graceful_timeout = 30  # SIGTERM: requests in flight get this long to finish
keepalive = 5  # behind a proxy that reuses connections
# A worker is replaced after this many requests (bounded memory growth), not all at once.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"  # stdout: the journal, or docker logs
errorlog = "-"
# The heartbeat files of the workers: in memory where there is a /dev/shm (containers), so a slow
# disk never gets a busy worker killed as silent.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"
