"""Support for the fault tests: a real `manage.py qcluster` in a subprocess with a stand-in
speech engine (worker.py), and helpers that start it, kill it and wait on the database
(cluster.py)."""
