"""Django settings of the product: geocoding, the speech engine, voiceprints, review, the owner's pages."""

from __future__ import annotations

import os

from selective_speaker.env import env_bool, env_float, env_int, env_str
from selective_speaker.speech.config import EngineConfig

from .base import ENROLLMENT_AUDIO_RETENTION, MAX_CHUNK_SECONDS, MAX_ENROLL_SECONDS, VAR_DIR

# --- geocoding ----------------------------------------------------------------------------

GEOCODER = env_str("GEOCODER", "offline")  # offline | nominatim | any geopy service name
GEOCODER_USER_AGENT = env_str("GEOCODER_USER_AGENT", "selective-speaker")
GEOCODER_API_KEY = env_str("GEOCODER_API_KEY")
GEOCODER_DOMAIN = env_str("GEOCODER_DOMAIN")  # e.g. a self-hosted Nominatim
GEOCODER_MIN_DELAY_S = env_float("GEOCODER_MIN_DELAY_S", 1.0)
GEOCODER_TIMEOUT_S = env_float("GEOCODER_TIMEOUT_S", 10.0)
GEOCODER_LANGUAGE = env_str("GEOCODER_LANGUAGE", "en")
GEOCODER_ROUND_DECIMALS = env_int("GEOCODER_ROUND_DECIMALS", 3)  # 3 ≈ 110 m
GEOCODER_OFFLINE_MAX_KM = env_float("GEOCODER_OFFLINE_MAX_KM", 100.0)

# --- speech engine --------------------------------------------------------------------------

# Every SPEECH_* variable (and HF_TOKEN, SPEECH_MODEL_DIR), read by the engine's own config:
# EngineConfig.from_env is the one list of them (.env.example shows each with its default).
# The length limits are the upload limits above, so the API and the engine never disagree.
SPEECH = EngineConfig.from_env(
    os.environ,
    defaults={"model_cache_dir": VAR_DIR / "models"},  # when SPEECH_MODEL_DIR is unset
    max_duration_ms=MAX_CHUNK_SECONDS * 1000,
    enroll_max_duration_ms=MAX_ENROLL_SECONDS * 1000,
)
if SPEECH.strategy == "anchored" and ENROLLMENT_AUDIO_RETENTION == "drop":
    raise ValueError("SPEECH_STRATEGY=anchored needs the enrollment recordings: set ENROLLMENT_AUDIO_RETENTION=keep")
# How many of the newest ready enrollments form the active voiceprint (weighted by speech).
VOICEPRINT_COMBINE_LAST = env_int("VOICEPRINT_COMBINE_LAST", 1)
# Owner-confirmed review samples join the active voiceprint with at most this share of its
# weight (the enrollments keep the rest); 0 turns learning from reviews off.
VOICEPRINT_SAMPLES_MAX_SHARE = env_float("VOICEPRINT_SAMPLES_MAX_SHARE", 0.3)
if not 0.0 <= VOICEPRINT_SAMPLES_MAX_SHARE < 1.0:
    raise ValueError("VOICEPRINT_SAMPLES_MAX_SHARE must lie in [0, 1)")
# The newest owner samples that join the voiceprint, and the newest negatives passed on.
VOICEPRINT_SAMPLES_MAX = env_int("VOICEPRINT_SAMPLES_MAX", 200)
VOICEPRINT_NEGATIVES_MAX = env_int("VOICEPRINT_NEGATIVES_MAX", 100)

# --- review of uncertain owner decisions ----------------------------------------------------

# A shorter uncertain region is too short to judge by ear or to embed reliably.
REVIEW_MIN_MS = env_int("REVIEW_MIN_MS", 500)
# A new uncertain region that overlaps regions already judged by at least this share of its own
# length is not asked about again.
REVIEW_COVERED_SHARE = env_float("REVIEW_COVERED_SHARE", 0.5)
# One staff action reads and embeds the audio of at most this many regions (one list page).
REVIEW_ACTION_MAX = env_int("REVIEW_ACTION_MAX", 50)

# --- one voice across devices (utterances/merge.py) -------------------------------------------

# Two devices' utterances are takes of the same words when their times overlap once widened by
# this many seconds (the devices' clocks disagree) and their word sequences are at least this
# alike (0–1); the better take is shown, the other linked to it.
MERGE_CLOCK_TOLERANCE_S = env_float("MERGE_CLOCK_TOLERANCE_S", 5.0)
MERGE_MIN_TEXT_SIMILARITY = env_float("MERGE_MIN_TEXT_SIMILARITY", 0.6)
if MERGE_CLOCK_TOLERANCE_S < 0:
    raise ValueError("MERGE_CLOCK_TOLERANCE_S must be 0 or more")
if not 0.0 < MERGE_MIN_TEXT_SIMILARITY <= 1.0:
    raise ValueError("MERGE_MIN_TEXT_SIMILARITY must lie in (0, 1]")

# --- the owner's pages ----------------------------------------------------------------------

# The length of an enrollment recording the pages advise, in seconds (the engine's own minimum of
# speech is SPEECH_ENROLL_MIN_SPEECH_MS; the longest upload taken is MAX_ENROLL_SECONDS).
ENROLL_ADVISED_MIN_S = env_int("ENROLL_ADVISED_MIN_S", 10)
ENROLL_ADVISED_MAX_S = env_int("ENROLL_ADVISED_MAX_S", 30)
# A transcript this far from the passage read (word edits per passage word) gets a "the words we
# heard differ" note on the enrollment page (a hint: the voiceprint does not depend on the words).
ENROLL_PHRASE_MISMATCH_RATIO = env_float("ENROLL_PHRASE_MISMATCH_RATIO", 0.35)

# The timeline's processing panel: at most this many chunks; failed and indeterminate ones stay
# listed this many days after their upload.
TIMELINE_PANEL_MAX_CHUNKS = env_int("TIMELINE_PANEL_MAX_CHUNKS", 20)
TIMELINE_PANEL_UNSUCCESSFUL_DAYS = env_int("TIMELINE_PANEL_UNSUCCESSFUL_DAYS", 7)
# A day of the timeline shows this many utterances per page ("Earlier"/"Later" links and the day
# strip's hours lead to the others), and at most this many rows of recordings unless asked for all.
TIMELINE_DAY_PAGE_SIZE = env_int("TIMELINE_DAY_PAGE_SIZE", 50)
TIMELINE_RECORDING_ROWS_MAX = env_int("TIMELINE_RECORDING_ROWS_MAX", 40)
# "Was this you?" questions shown on a day of the timeline, at most.
TIMELINE_VOICE_CHECKS_MAX = env_int("TIMELINE_VOICE_CHECKS_MAX", 10)
# Conversations (utterances/conversations.py): consecutive utterances at most this many seconds
# apart, at one place (a change of place splits, unless CONVERSATION_SPLIT_ON_PLACE is false),
# make one conversation; one conversation page or export holds at most CONVERSATION_MAX_UTTERANCES.
CONVERSATION_GAP_S = env_float("CONVERSATION_GAP_S", 120.0)
CONVERSATION_SPLIT_ON_PLACE = env_bool("CONVERSATION_SPLIT_ON_PLACE", True)
CONVERSATION_MAX_UTTERANCES = env_int("CONVERSATION_MAX_UTTERANCES", 2000)
