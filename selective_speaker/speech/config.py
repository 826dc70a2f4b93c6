"""Every knob of the speech engine, in one frozen dataclass, and how it is read from text.

The one configuration source of the engine. `EngineConfig.from_env(os.environ, ...)` reads it
from the environment — the Django settings (`SPEECH = EngineConfig.from_env(...)`, handed over by
`selective_speaker.speech_config`) and both command lines (`python -m selective_speaker.speech`,
`python -m selective_speaker.speechlab`) all build it that way, so an environment variable means
the same everywhere; the command lines' `--set name=value` goes through the same `parse_field`.
Engine code never reads settings or the environment itself.

Field `name` is read from `SPEECH_<NAME>` (e.g. `accept_threshold` from SPEECH_ACCEPT_THRESHOLD),
except for the few in `ENV_NAMES`. An empty value means None for an optional field (so
`SPEECH_ASR_LANGUAGE=` detects the language per chunk) and the default for any other. .env.example
lists every variable with its default (tests/speech/test_config.py keeps it so).
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path

STRATEGIES = ("voiceprint", "anchored")
ASR_BACKENDS = ("faster-whisper", "whisperx")
DIARIZATION_BACKENDS = ("builtin", "pyannote")
UNCERTAIN_POLICIES = ("drop", "flag")
INTRUSION_REFERENCES = ("voiceprint", "chunk")

# Fields read from a variable not named SPEECH_<FIELD>.
ENV_NAMES = {
    "hf_token": "HF_TOKEN",  # the Hugging Face convention, shared with other tools
    "model_cache_dir": "SPEECH_MODEL_DIR",
    # The length limits are the upload limits of the Django layer, in whole seconds there: one
    # variable each, so that what the API accepts and what the engine decodes never disagree.
    "max_duration_ms": "MAX_CHUNK_SECONDS",
    "enroll_max_duration_ms": "MAX_ENROLL_SECONDS",
}
# Fields whose variable holds seconds (the field holds ms).
ENV_SECONDS = frozenset({"max_duration_ms", "enroll_max_duration_ms"})

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})
NONE_WORDS = frozenset({"", "none", "null"})


@dataclass(frozen=True)
class EngineConfig:
    # --- attribution -------------------------------------------------------------------
    strategy: str = "voiceprint"
    # cosine similarity of a speech window to the voiceprint; >= threshold means owner.
    # Calibrated on the shared conversations (README, "Accuracy"): 0.60 keeps bystander
    # leak under 2 % on every one of them; CAM++ impostor scores reach about 0.58.
    accept_threshold: float = 0.60
    # windows in [threshold - margin, threshold) are "uncertain"
    uncertain_margin: float = 0.06
    uncertain_policy: str = "drop"  # drop (privacy first) or flag (kept, marked for review)
    # moving average over this many neighbouring window scores (odd; 1 = off)
    smoothing_windows: int = 3
    # blend of a window's own score with its cluster's mean score (0 = window only)
    cluster_weight: float = 0.5
    # cosine distance at which agglomerative clustering stops merging. 0.55 merged similar
    # voices in crowded chunks (bench: 7.3 % leak on one 11-minute, 13-voice chunk; 7.8 % on
    # short hand-over chunks); 0.40 leaks 0.0 % there at equal or better recall.
    cluster_distance: float = 0.40
    # place owner/other hand-overs inside continuous speech with short windows
    refine_boundaries: bool = True
    # Negatives (voices staff confirmed are not the owner's; used only when the caller passes
    # some): a window whose best cosine to a negative exceeds its cosine to the voiceprint by
    # more than this (blended with its cluster and smoothed like the owner score) is somebody
    # else's. Measured on tests/fixtures' conversation: with a negative cut from the
    # bystander's own turn, the bystander's windows score +0.13 (5th pct) to +0.51 above the
    # voiceprint; with a negative cut by mistake from the owner's turn, the owner's windows
    # score at most +0.11 (95th pct +0.09). At 0.05 that mistake halved owner recall; at 0.10
    # it changed nothing, so one wrong click cannot silence the owner.
    negative_margin: float = 0.10
    # In-chunk doubt (speech/doubt.py; None: off): a window accepted by less than doubt_margin
    # above the threshold becomes uncertain (a "Was this you?" card) when it sounds more like this
    # chunk's windows below the threshold than like its windows accepted by at least the margin,
    # by more than doubt_gap (mean cosine of the nearest three) — the same room and microphone on
    # both sides, so a channel that lifts every voice toward a voiceprint made elsewhere cancels
    # out. Only ever turns owner into uncertain. Measured (eval realistic, k = 0, against off):
    # the AMI meeting with a headset enrollment 6.2 → 1.3 % leak (FEE013 14.9 → 0.8 %) at the
    # same recall, noise 90.7 → 91.5 % recall, overlap 88.0 → 86.8 % (ls367, whose bystander
    # is its closest voice: 75 → 65 %, to cards); gap 0.05 and 0.10 decide alike there, gap 0
    # costs noise 2.8 points.
    doubt_margin: float | None = 0.08
    doubt_gap: float = 0.10
    # Band matching (speech/band.py; used only when the caller passes a narrow-band voiceprint):
    # a chunk whose energy above the telephone band (4–7.6 kHz) is more than this many dB below
    # the energy in it (300–3400 Hz) is scored against the enrollment's telephone-band voiceprint.
    # None: off. Measured on the realistic suite's audio: telephone, AMR and phone-chain chunks
    # lie at -53 to -67 dB, every other chunk (clean, far field, noise, Opus 6–12 kbit/s,
    # muffled microphone) at -29 dB or above; on the shared suites one VoxCeleb recording (a
    # band-limited source, not a phone line) lies at -42 dB, the others at -37 dB or above.
    # -48 lies between the two: only audio that went through a telephone band is band-matched.
    narrowband_max_ratio_db: float | None = -48.0
    # accept_threshold for a band-matched (narrow) chunk: in the telephone band every voice
    # sounds more alike. Measured (eval realistic, narrow chunks scored against the narrow-band
    # voiceprint): owners' region scores 0.64–0.80 (medians 0.69–0.77), bystanders' up to 0.65
    # (95th pct; the closest voice of the similar_voices group), up from ≤ 0.59 wide-band.
    narrowband_accept_threshold: float = 0.67
    # vad_threshold for a band-matched (narrow) chunk: Silero misses telephone-band speech.
    # Owner speech the VAD found on the suite's six narrow channel cases, at 0.5 / 0.35 / 0.25:
    # worst 59 % / 92 % / 92 %, the speech found never more than 1 s above the truth; wide-band
    # chunks (noise group) gain at most 2 points below 0.5, so they keep vad_threshold.
    narrowband_vad_threshold: float = 0.35
    embed_window_ms: int = 1500
    embed_hop_ms: int = 750

    # The owner decision is taken on a 10 ms frame grid; an owner run shorter than this is too
    # short to hold a word and is decided uncertain instead. Set by hand with the first engine
    # (about the shortest English word), never swept; it only touches runs that short.
    min_owner_run_ms: int = 200
    # A chunk with speech but no owner stretch is indeterminate (not done-and-empty) when at
    # least this share of its speech is uncertain. Set by hand: "most of it could be the owner".
    indeterminate_uncertain_share: float = 0.5
    # Noisy chunks (speech/noise_level.py says how 8 was chosen; None: off): a chunk with nothing
    # accepted whose speech stands less than this many dB above its noise is indeterminate, not done.
    noisy_snr_db: float | None = 8.0

    # --- boundary refinement (refine_boundaries) ------------------------------------------
    # The embed_window_ms windows blur a hand-over over about one window; short windows (600 ms,
    # about the shortest CAM++ still tells voices apart on, every 100 ms, centred within the
    # blur of one 1.5 s window) compared with the voiceprint and with the other voice's centroid
    # (regular windows at least refine_centroid_inside inside its region) place it. Hand-set.
    refine_radius_ms: int = 1000
    refine_window_ms: int = 600
    refine_hop_ms: int = 100
    refine_centroid_inside: float = 0.8
    # Then each hand-over moves onto the longest pause within pause_snap_ms (0: off): pause_min_ms or
    # more within pause_floor_db of the chunk's quiet level (speech/pauses.py; README says why).
    pause_snap_ms: int = 300
    pause_min_ms: int = 50
    pause_floor_db: float = 6.0

    # --- another voice inside an owner region (speech/intrusions.py) -------------------------
    # Where a regular window inside an owner region scores below the threshold or intrusion_dip
    # below the region's level (its 75th percentile), short windows (refine_window_ms every
    # refine_hop_ms) are compared with the owner (intrusion_reference: the voiceprint, or the
    # chunk's own owner windows) and with the other voices of the chunk; a run of at least
    # intrusion_min_ms that sounds more like another voice by more than intrusion_margin becomes
    # other. Measured (owner-region recall / leak, realistic suite, 79 cases; README "Another voice
    # inside the owner's turn"): off 88.1/0.00 channel, 93.6/0.13 noise, 88.2/4.25 overlap, AMI
    # 80.4/7.38; voiceprint, margin 0: 85.9/0.00, 90.7/0.02, 86.7/0.32, 79.5/5.82; chunk, margin
    # 0: 87.6/0.00, 91.8/0.05, 87.1/0.50, 79.7/6.25; chunk, margin 0.05: overlap leak 1.49 %,
    # noise 92.5. The chunk's own owner windows share its channel and noise with the voices they
    # are weighed against, so they cost least recall for the leak removed. Runs of 400 ms instead
    # of 300: the same leak, overlap recall 87.3, and on the shared conversations (region recall /
    # leak; off 94.1/0.13) 94.0/0.13 instead of 93.8/0.10.
    intrusion_scan: bool = True
    intrusion_dip: float = 0.12
    intrusion_margin: float = 0.0
    intrusion_min_ms: int = 400
    intrusion_reference: str = "chunk"
    # The same scan, same margin and run length, over whole uncertain regions when the chunk has
    # owner windows of its own: another voice's run there becomes other, so "Was this you?" cards
    # are cut where the voice changes. Measured (eval realistic --tag overlap --answers 0,3; k = 0
    # is unchanged by construction): off 89.9 % recall / 1.2 % leak (worst 6.4: a card answered
    # "me" held the bystander's sentence too) at k = 3; on 89.8 / 0.5 (worst 2.1); with a margin
    # of 0.10 for uncertain runs instead of 0, 89.9 / 1.1 (worst 6.0): that card stays whole. Whole
    # suite (README "Where the defaults stand"): cards 159 → 62, worst leak at k = 3 6.4 → 3.8 %,
    # noise 94.8 → 94.1 % at k = 3 (café noise makes short windows less sure).
    intrusion_uncertain: bool = True

    # --- voice activity ------------------------------------------------------------------
    vad_threshold: float = 0.5
    vad_min_speech_ms: int = 250
    vad_min_silence_ms: int = 500
    # Speech onsets and word tails are quieter than the VAD's threshold. Measured on the shared
    # conversations (eval shared-conversations --set vad_pad_ms=N): 200 → recall 92.5 %, worst
    # case 84.5 %, 10/13 cases meet the goals; 300 → 95.2 %, worst 91.6 %, leak ≤ 0.7 %, 13/13;
    # 400 → 95.9 % but 2.3 % leak on one case (the padding reaches into the next voice).
    vad_pad_ms: int = 300
    # Quiet chunks (vad.vad_input): where the loud parts of the high-passed chunk (99.5th percentile
    # of |sample|) stay below vad_quiet_dbfs, the VAD hears it high-passed at vad_highpass_hz and
    # raised to that level, by at most vad_max_gain_db (None: off). LibriSpeech speech at -65 dBFS
    # under 50 Hz hum (+ harmonics) 10 dB louder: Silero finds 34 % of it as it is, 73 % high-passed,
    # 100 % high-passed and raised; 120 s of hum and noise alone at -40/-55/-65 dBFS: 0 s found
    # either way. Set so that chunks at ordinary levels are heard as before (the suites' quietest
    # chunk, the AMI meeting's far microphone, is at -20 dBFS; README "Quiet chunks").
    vad_quiet_dbfs: float | None = -30.0
    vad_highpass_hz: int = 100
    vad_max_gain_db: float = 40.0

    # --- segments (the original design's rules) ------------------------------------------
    segment_gap_ms: int = 500
    segment_min_ms: int = 1000
    segment_min_chars: int = 6

    # --- anchored strategy ---------------------------------------------------------------
    pad_ms: int = 1000
    enroll_dominance: float = 0.8

    # --- enrollment checks ---------------------------------------------------------------
    enroll_min_speech_ms: int = 5000
    enroll_max_duration_ms: int = 120_000
    enroll_min_consistency: float = 0.45  # mean window-to-voiceprint cosine; below = >1 voice
    # A second voice: the enrollment's windows are clustered (cluster_distance); when the second
    # largest cluster holds at least enroll_second_voice_share of them and its centroid's cosine to
    # the largest one's is below enroll_second_voice_max_cosine, the recording is refused as
    # "more than one voice". Fewer than enroll_second_voice_min_windows windows are not judged.
    # Set by hand with the first engine: a quarter of the speech is more than a cough or a word
    # in the background; CAM++ centroids of one voice stay well above 0.5 cosine (the owner's
    # windows score 0.7+ against the voiceprint), those of two voices well below it.
    enroll_second_voice_share: float = 0.25
    enroll_second_voice_max_cosine: float = 0.5
    enroll_second_voice_min_windows: int = 4

    # --- audio limits --------------------------------------------------------------------
    max_duration_ms: int = 15 * 60 * 1000
    # Below this RMS a chunk is silent (not even the VAD runs) and an enrollment too quiet. -60 until
    # quiet chunks were raised for the VAD (vad_quiet_dbfs): a talker across the room under hum sits
    # at -62/-63 dBFS in all (realistic suite, far_field/quiet-*), and was skipped as silence.
    min_rms_dbfs: float = -70.0

    # --- ASR -----------------------------------------------------------------------------
    asr_backend: str = "faster-whisper"
    # "bundled:base", "bundled:tiny.en", a faster-whisper hub name ("small", "large-v3") or a local CTranslate2 dir
    asr_model: str = "bundled:base"
    asr_device: str = "cpu"
    asr_compute_type: str = "int8"
    asr_beam_size: int = 5
    # Whisper's fallback, a doubtful decoding redone by random sampling (asr.py: off, same audio → same words)
    asr_temperature_fallback: bool = False
    asr_language: str | None = "en"
    asr_batch_size: int = 8  # whisperx only
    # whisperx only: the wav2vec2 alignment model (hub name or local dir); None: the language's default, from its hub
    asr_align_model: str | None = None
    asr_pack_gap_ms: int = 300  # silence between packed owner stretches

    # --- embeddings / diarization --------------------------------------------------------
    embedding_model: str = "bundled:campplus"  # or a path to an ONNX speaker model
    diarization_backend: str = "builtin"
    pyannote_pipeline: str = "pyannote/speaker-diarization-3.1"  # hub name or local dir
    hf_token: str | None = field(default=None, repr=False)  # a secret: never in a repr or a log
    min_speakers: int | None = None
    max_speakers: int | None = None

    # --- runtime -------------------------------------------------------------------------
    cpu_threads: int = 2
    model_cache_dir: Path = Path.home() / ".cache" / "selective-speaker"

    def __post_init__(self) -> None:
        problems = []
        if self.strategy not in STRATEGIES:
            problems.append(f"strategy must be one of {STRATEGIES}, not {self.strategy!r}")
        if self.asr_backend not in ASR_BACKENDS:
            problems.append(f"asr_backend must be one of {ASR_BACKENDS}, not {self.asr_backend!r}")
        if self.diarization_backend not in DIARIZATION_BACKENDS:
            problems.append(
                f"diarization_backend must be one of {DIARIZATION_BACKENDS}, "
                f"not {self.diarization_backend!r}"
            )
        if self.uncertain_policy not in UNCERTAIN_POLICIES:
            problems.append(f"uncertain_policy must be one of {UNCERTAIN_POLICIES}")
        if self.intrusion_reference not in INTRUSION_REFERENCES:
            problems.append(f"intrusion_reference must be one of {INTRUSION_REFERENCES}")
        for name in ("accept_threshold", "narrowband_accept_threshold"):
            if not -1.0 <= getattr(self, name) <= 1.0:
                problems.append(f"{name} must lie in [-1, 1]")
        for name in ("uncertain_margin", "negative_margin", "doubt_gap"):
            if getattr(self, name) < 0:
                problems.append(f"{name} must not be negative")
        if not 0.0 < self.narrowband_vad_threshold < 1.0:
            problems.append("narrowband_vad_threshold must lie in (0, 1)")
        if self.vad_quiet_dbfs is not None and not -90.0 <= self.vad_quiet_dbfs <= 0.0:
            problems.append("vad_quiet_dbfs must lie in [-90, 0] dBFS (or None: off)")
        if not 0 <= self.vad_highpass_hz < 8000 or self.vad_max_gain_db < 0:  # 16 kHz audio
            problems.append("vad_highpass_hz must lie in [0, 8000) Hz and vad_max_gain_db must not be negative")
        if self.doubt_margin is not None and self.doubt_margin <= 0:
            problems.append("doubt_margin must be positive (or None: off)")
        if not 0.5 <= self.enroll_dominance <= 1.0:
            problems.append("enroll_dominance must lie in [0.5, 1]")
        if self.smoothing_windows < 1 or self.smoothing_windows % 2 == 0:
            problems.append("smoothing_windows must be a positive odd number")
        if self.embed_hop_ms <= 0 or self.embed_window_ms < self.embed_hop_ms:
            problems.append("embed_hop_ms must be positive and at most embed_window_ms")
        if self.refine_hop_ms <= 0 or self.refine_window_ms < self.refine_hop_ms:
            problems.append("refine_hop_ms must be positive and at most refine_window_ms")
        if self.pause_snap_ms < 0 or self.pause_min_ms <= 0 or self.pause_floor_db <= 0:
            problems.append("pause_snap_ms must not be negative, pause_min_ms and pause_floor_db must be positive")
        for name in ("indeterminate_uncertain_share", "enroll_second_voice_share", "refine_centroid_inside"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                problems.append(f"{name} must lie in [0, 1]")
        if problems:
            raise ValueError("; ".join(problems))

    def with_(self, **changes) -> EngineConfig:
        return replace(self, **changes)

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str],
        *,
        prefix: str = "SPEECH_",
        defaults: Mapping[str, object] | None = None,
        **overrides,
    ) -> EngineConfig:
        """The configuration the environment describes.

        Each field comes from `overrides` if given there, else from its variable (`env_name`)
        when that is set, else from `defaults`, else the field's own default. A bad value raises
        ValueError naming the variable.
        """
        defaults = dict(defaults or {})
        unknown = sorted((set(defaults) | set(overrides)) - set(field_types()))
        if unknown:
            raise ValueError(f"no such setting: {', '.join(unknown)}")
        values: dict[str, object] = {}
        for f in fields(cls):
            if f.name in overrides:
                values[f.name] = overrides[f.name]
                continue
            name = env_name(f.name, prefix)
            text = environ.get(name)
            if text is not None and (text.strip() or is_optional(f.name)):
                value = parse_field(f.name, text, source=name)
                values[f.name] = value * 1000 if f.name in ENV_SECONDS and value is not None else value
            elif f.name in defaults:
                values[f.name] = defaults[f.name]
        return cls(**values)

    def public(self) -> dict:
        """The knobs worth recording in an audit record (no secrets, no paths)."""
        hidden = {"hf_token", "model_cache_dir"}
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in hidden}


# --- text to field values --------------------------------------------------------------------


@functools.cache
def field_types() -> dict[str, object]:
    """Each EngineConfig field's type (resolved annotations)."""
    return {name: kind for name, kind in typing.get_type_hints(EngineConfig).items() if name in _FIELD_NAMES}


_FIELD_NAMES = frozenset(f.name for f in fields(EngineConfig))


def env_name(name: str, prefix: str = "SPEECH_") -> str:
    """The environment variable field `name` is read from."""
    return ENV_NAMES.get(name) or f"{prefix}{name.upper()}"


def _choices(kind) -> tuple[list, bool]:
    """(the non-None types of `kind`, whether None is one of them)."""
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        args = typing.get_args(kind)
        return [a for a in args if a is not type(None)], type(None) in args
    return [kind], False


def is_optional(name: str) -> bool:
    return _choices(field_types()[name])[1]


def field_default(name: str):
    f = next(f for f in fields(EngineConfig) if f.name == name)
    return f.default if f.default is not MISSING else f.default_factory()


def parse_field(name: str, text: str, *, source: str | None = None):
    """`text` as the type of EngineConfig field `name`: bool, int, float, str, Path or optional.

    For an optional field, "", "none" and "null" mean None. `source` names where the text came
    from in errors (default: the field's environment variable). Units are the field's own (ms for
    max_duration_ms even though its variable holds seconds: `from_env` converts those).
    """
    kinds = field_types()
    if name not in kinds:
        raise ValueError(f"{source or name}: no such setting; known: {', '.join(sorted(kinds))}")
    source = source or env_name(name)
    choices, optional = _choices(kinds[name])
    if optional and text.strip().lower() in NONE_WORDS:
        return None
    base = choices[0]
    try:
        if base is bool:
            word = text.strip().lower()
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
            raise ValueError(f"expected one of {', '.join(sorted(TRUE_WORDS | FALSE_WORDS))}")
        if base is int:
            return int(text.strip())
        if base is float:
            return float(text.strip())
        if base is Path:
            if not text.strip():
                raise ValueError("empty path")
            return Path(text.strip()).expanduser()
        return str(text)
    except ValueError as exc:
        kind = getattr(base, "__name__", str(base))
        raise ValueError(f"{source}={text!r}: not a valid {kind} ({exc})") from exc
