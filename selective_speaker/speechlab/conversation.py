"""Conversations for the realistic-conditions suite: real voices from the shared data, re-timed.

The voice pool (`voice_pool`): the ten LibriSpeech speakers (utterances -0000..-0006 speak in
conversations, -0007..-0009 are held out for enrollment, as in the shared conversations), the two
VoxCeleb speakers (clips 00001-00002 / 00003) and the Picovoice voices (bystanders and babble
only: no held-out audio). A turn is one or more consecutive phrases of one utterance (phrases are
split at pauses of 250 ms or more below -35 dB of the loudest 10 ms frame, and a phrase longer than
6 s at its quietest 10 ms in the middle half), levelled to -23 dBFS ± a per-speaker offset of up to 2 dB.

Timing (`place_turns`): turns follow each other after a gap drawn from ``gap_s``; with
``overlap`` = s, chosen transitions overlap so that overlapped speech is s of all speech time
(each overlap at most 45 % of the shorter turn, so never three voices at once); with
``backchannels`` = k, k short phrases (0.25–0.8 s: "yeah", "right") of another speaker land inside
long turns, alternately inside the owner's and a bystander's. The reference turns are exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np

from selective_speaker.speech.types import FRAME_MS, SAMPLE_RATE, ms_to_samples
from selective_speaker.speech.windows import intervals_ms, merge_intervals

from .manifest import AudioRef, load_audio
from .rttm import SpeakerTurn

LIBRISPEECH = {"1688": "M", "1998": "F", "2033": "M", "2414": "M", "2609": "M", "3005": "M", "3080": "F", "3331": "F", "367": "F", "533": "F"}
VOXCELEB = {"id10001": ("1zcIwhmdeo4", "M"), "id10002": ("xTV-jFAUKcw", "M")}  # VoxCeleb1 metadata
SILENCE_DB = -35.0
PAUSE_MS = 250
LEVEL_DBFS = -23.0
OFFSET_DB = 2.0
LEAD_MS = 500
BACKCHANNEL_S = (0.25, 0.8)
MAX_OVERLAP_SHARE = 0.45
MAX_PHRASE_S = 6.0


@dataclass(frozen=True)
class Voice:
    id: str
    gender: str | None  # "F", "M", or None where the source does not say
    conversation: tuple[AudioRef, ...]  # audio it may speak in a conversation
    enroll: tuple[AudioRef, ...] = ()  # held-out audio: only voices with some can be owners


def voice_pool(data_root: Path) -> dict[str, Voice]:
    pool: dict[str, Voice] = {}
    for speaker, gender in LIBRISPEECH.items():
        files = sorted((data_root / "librispeech-test-other" / speaker).glob("*.flac"))
        refs = tuple(AudioRef(f) for f in files)
        pool[f"ls{speaker}"] = Voice(f"ls{speaker}", gender, refs[:7], refs[7:10])
    for speaker, (video, gender) in VOXCELEB.items():
        folder = data_root / "speechbrain-voxceleb-samples" / "wav" / speaker / video
        refs = tuple(AudioRef(folder / f"0000{i}.wav") for i in (1, 2, 3))
        pool[speaker] = Voice(speaker, gender, refs[:2], refs[2:])
    pico = data_root / "picovoice"
    pool["eagle1"] = Voice(
        "eagle1", None, tuple(AudioRef(pico / f"eagle_speaker_1_{n}.wav") for n in ("utt_1", "utt_2", "test_utt"))
    )
    pool["eagle2"] = Voice("eagle2", None, (AudioRef(pico / "eagle_speaker_2_test_utt.wav"),))
    for i, (lo, hi) in enumerate(((1700, 3900), (6200, 11100), (12800, 18000)), 1):
        pool[f"falcon{i}"] = Voice(f"falcon{i}", None, (AudioRef(pico / "falcon_test.wav", lo, hi),))
    return pool


def owners(pool: dict[str, Voice]) -> list[str]:
    return [v.id for v in pool.values() if v.enroll and v.gender]


# --- phrases and turns --------------------------------------------------------------------------


def phrases(audio: np.ndarray, *, db: float = SILENCE_DB, pause_ms: int = PAUSE_MS) -> list[tuple[int, int]]:
    """Sample spans of the stretches louder than `db` below the loudest frame, split at long pauses."""
    frame = ms_to_samples(FRAME_MS)
    n = audio.size // frame
    if n == 0:
        return []
    energy = np.sqrt(np.mean(audio[: n * frame].reshape(n, frame).astype(np.float64) ** 2, axis=1)) + 1e-12
    loud = 20 * np.log10(energy / energy.max()) > db
    spans, start, quiet = [], None, 0
    for i, is_loud in enumerate(loud):
        if is_loud:
            if start is None:
                start = i
            quiet, last = 0, i
        elif start is not None:
            quiet += 1
            if quiet * FRAME_MS >= pause_ms:
                spans.append((start * frame, (last + 1) * frame))
                start = None
    if start is not None:
        spans.append((start * frame, (last + 1) * frame))
    return [piece for span in spans for piece in _split_long(energy, span, frame)]


def _split_long(energy: np.ndarray, span: tuple[int, int], frame: int) -> list[tuple[int, int]]:
    """A phrase longer than MAX_PHRASE_S cut at its quietest frame in the middle half, recursively."""
    lo, hi = span
    if hi - lo <= MAX_PHRASE_S * SAMPLE_RATE:
        return [span]
    a, b = (lo + (hi - lo) // 4) // frame, (lo + 3 * (hi - lo) // 4) // frame
    cut = (a + int(np.argmin(energy[a:b]))) * frame
    return _split_long(energy, (lo, cut), frame) + _split_long(energy, (cut, hi), frame)


def quietest_frame(audio: np.ndarray, lo: int, hi: int) -> int:
    """The start of the quietest 10 ms frame in audio[lo:hi] (hi when the range is too short)."""
    frame = ms_to_samples(FRAME_MS)
    n = (hi - lo) // frame
    if n < 1:
        return hi
    energy = np.mean(audio[lo : lo + n * frame].reshape(n, frame).astype(np.float64) ** 2, axis=1)
    return lo + int(np.argmin(energy)) * frame


def level(audio: np.ndarray, dbfs: float) -> np.ndarray:
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))
    return audio if rms == 0 else np.clip(audio * (10 ** (dbfs / 20) / rms), -1, 1).astype(np.float32)


@dataclass
class TurnSource:
    """One voice's turns: consecutive phrases of its utterances, in order, from a random start."""

    utterances: list[np.ndarray]
    spans: list[list[tuple[int, int]]]
    position: tuple[int, int] = (0, 0)  # (utterance, phrase)

    @classmethod
    def of(cls, voice: Voice, rng: np.random.Generator) -> TurnSource:
        utterances = [load_audio(ref) for ref in voice.conversation]
        spans = [phrases(u) for u in utterances]
        keep = [i for i, s in enumerate(spans) if s]
        source = cls([utterances[i] for i in keep], [spans[i] for i in keep])
        source.position = (int(rng.integers(0, len(source.utterances))), 0)
        return source

    def next_turn(self, seconds: float, max_s: float | None = None) -> np.ndarray:
        """Phrases from the current one until `seconds` are reached, the utterance ends, or the next
        phrase would pass `max_s`; a first phrase longer than `max_s` is cut at its quietest frame
        after `seconds` (the rest starts the voice's next turn)."""
        u, p = self.position
        spans = self.spans[u]
        want, limit = int(seconds * SAMPLE_RATE), None if max_s is None else int(max_s * SAMPLE_RATE)
        if limit is not None and spans[p][1] - spans[p][0] > limit:
            lo, hi = spans[p]
            cut = quietest_frame(self.utterances[u], lo + min(want, limit), lo + limit)
            spans[p : p + 1] = [(lo, cut), (cut, hi)]
        end = p
        while (
            end + 1 < len(spans)
            and spans[end][1] - spans[p][0] < want
            and (limit is None or spans[end + 1][1] - spans[p][0] <= limit)
        ):
            end += 1
        turn = self.utterances[u][spans[p][0] : spans[end][1]]
        self.position = (u, end + 1) if end + 1 < len(spans) else ((u + 1) % len(self.utterances), 0)
        return turn

    def short_phrase(self, rng: np.random.Generator) -> np.ndarray:
        lo, hi = (int(s * SAMPLE_RATE) for s in BACKCHANNEL_S)
        short = [(u, s) for u, spans in enumerate(self.spans) for s in spans if lo <= s[1] - s[0] <= hi]
        if not short:  # no short phrase: the first 0.5 s of one
            u = int(rng.integers(0, len(self.utterances)))
            start = self.spans[u][0][0]
            return self.utterances[u][start : start + SAMPLE_RATE // 2]
        u, (start, end) = short[int(rng.integers(0, len(short)))]
        return self.utterances[u][start:end]


# --- timing -------------------------------------------------------------------------------------


@dataclass
class Conversation:
    tracks: dict[str, np.ndarray]  # each speaker's dry signal, full length
    turns: list[SpeakerTurn]
    details: dict = field(default_factory=dict)

    @property
    def samples(self) -> int:
        return next(iter(self.tracks.values())).size

    def mix(self) -> np.ndarray:
        return np.sum(list(self.tracks.values()), axis=0).astype(np.float32)

    def speech_mask(self) -> np.ndarray:
        mask = np.zeros(self.samples, dtype=bool)
        for t in self.turns:
            mask[ms_to_samples(t.start_ms) : ms_to_samples(t.end_ms)] = True
        return mask


def overlap_amounts(durations: Sequence[int], share: float, rng: np.random.Generator) -> list[int]:
    """Samples of overlap at each transition so that overlap / union of speech = `share`."""
    transitions = len(durations) - 1
    if share <= 0 or transitions < 1:
        return [0] * max(0, transitions)
    wanted = share * sum(durations) / (1 + share)
    caps = np.array([MAX_OVERLAP_SHARE * min(a, b) for a, b in pairwise(durations)], dtype=float)
    if caps.sum() < wanted:
        raise ValueError(f"turns too short for {share:.0%} overlap")
    weights = rng.uniform(0.3, 1.0, transitions)
    chosen = rng.random(transitions) < min(1.0, 0.35 + 2 * share)
    if caps[chosen].sum() < wanted:  # the chosen transitions cannot carry it all: every one overlaps
        chosen[:] = True
    weights = np.where(chosen, weights, 0.0)
    lo, hi = 0.0, float((caps[chosen] / weights[chosen]).max())
    for _ in range(100):  # water-filling: λ with Σ min(cap, λ·w) = wanted
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if np.minimum(caps, mid * weights).sum() < wanted else (lo, mid)
    return [round(float(x)) for x in np.minimum(caps, hi * weights)]


def overlap_share(turns: Sequence[SpeakerTurn]) -> float:
    """Overlapped speech time / speech time (union of all turns)."""
    union = intervals_ms(merge_intervals((t.start_ms, t.end_ms) for t in turns))
    marks = sorted([(t.start_ms, 1) for t in turns] + [(t.end_ms, -1) for t in turns])
    overlapped, active, last = 0, 0, None
    for time, step in marks:
        if active >= 2 and last is not None:
            overlapped += time - last
        active, last = active + step, time
    return overlapped / union if union else 0.0


def _order(speakers: Sequence[str], owner: str | None, count: int, rng: np.random.Generator) -> list[str]:
    order = [speakers[int(rng.integers(0, len(speakers)))]]
    while len(order) < count:
        choices = [s for s in speakers if s != order[-1]]
        weights = np.array([(len(speakers) - 1 if s == owner else 1.0) for s in choices], dtype=float)
        order.append(choices[int(rng.choice(len(choices), p=weights / weights.sum()))])
    return order


def place_turns(spec: dict, sources: dict[str, TurnSource], owner: str | None, rng: np.random.Generator) -> Conversation:
    """Turns of the recipe's speakers until `seconds`, re-timed as the recipe asks."""
    speakers = list(spec["speakers"])
    turn_lo, turn_hi = spec.get("turn_s", (2.0, 7.0))
    gap_lo, gap_hi = spec.get("gap_s", (0.3, 1.0))
    offsets = {s: float(rng.uniform(-OFFSET_DB, OFFSET_DB)) for s in speakers}
    order = _order(speakers, owner if owner in speakers else None, 200, rng)
    pieces: list[tuple[str, np.ndarray]] = []
    total = 0
    while total < spec["seconds"] * SAMPLE_RATE or len(pieces) < 3:
        speaker = order[len(pieces)]
        turn = sources[speaker].next_turn(float(rng.uniform(turn_lo, turn_hi)), max_s=turn_hi + 1.0)
        audio = level(turn, LEVEL_DBFS + offsets[speaker])
        pieces.append((speaker, audio))
        total += audio.size + int(SAMPLE_RATE * (gap_lo + gap_hi) / 2)
    overlaps = overlap_amounts([a.size for _, a in pieces], float(spec.get("overlap", 0.0)), rng)
    placed, cursor = [], ms_to_samples(LEAD_MS)
    for i, (speaker, audio) in enumerate(pieces):
        placed.append((speaker, cursor, audio))
        if i < len(overlaps):
            step = -overlaps[i] if overlaps[i] > 0 else int(SAMPLE_RATE * rng.uniform(gap_lo, gap_hi))
            cursor += audio.size + step
    placed += _backchannels(int(spec.get("backchannels", 0)), placed, sources, owner, rng, offsets)
    end = max(start + audio.size for _, start, audio in placed) + ms_to_samples(LEAD_MS)
    tracks = {s: np.zeros(end, dtype=np.float32) for s in speakers}
    turns = []
    for speaker, start, audio in placed:
        tracks[speaker][start : start + audio.size] += audio
        turns.append(SpeakerTurn(start * 1000 // SAMPLE_RATE, (start + audio.size) * 1000 // SAMPLE_RATE, speaker))
    turns.sort(key=lambda t: (t.start_ms, t.end_ms, t.speaker))
    details = {"overlap_share": round(overlap_share(turns), 4), "turns": len(turns), "seconds": round(end / SAMPLE_RATE, 3)}
    return Conversation(tracks, turns, details)


def _backchannels(count, placed, sources, owner, rng, offsets) -> list[tuple[str, int, np.ndarray]]:
    """Short phrases of another speaker inside long turns, alternately inside the owner's and others'."""
    hosts = [p for p in placed if p[2].size >= 2.5 * SAMPLE_RATE]
    mine = [p for p in hosts if p[0] == owner]
    theirs = [p for p in hosts if p[0] != owner]
    out = []
    for i in range(count):
        pool = (mine if i % 2 == 0 else theirs) or mine or theirs
        if not pool:
            break
        host = pool.pop(int(rng.integers(0, len(pool))))
        others = [s for s in sources if s != host[0]]
        speaker = others[int(rng.integers(0, len(others)))]
        audio = level(sources[speaker].short_phrase(rng), LEVEL_DBFS - 3 + offsets[speaker])
        margin = int(0.6 * SAMPLE_RATE)
        room = host[2].size - 2 * margin - audio.size
        if room <= 0:
            continue
        out.append((speaker, host[1] + margin + int(rng.integers(0, room)), audio))
    return out


def build_conversation(spec: dict, pool: dict[str, Voice], owner: str | None, rng: np.random.Generator) -> Conversation:
    sources = {s: TurnSource.of(pool[s], rng) for s in spec["speakers"]}
    return place_turns(spec, sources, owner, rng)
