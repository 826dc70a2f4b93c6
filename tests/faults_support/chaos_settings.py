"""Settings of the chaos suite's web and worker subprocesses: production's, with a local file
store that the test can cut (tests/faults_support/outage_store.py)."""

from selective_speaker.settings import *

STORAGES = {**STORAGES, "default": {"BACKEND": "tests.faults_support.outage_store.OutageFileSystemStorage"}}
