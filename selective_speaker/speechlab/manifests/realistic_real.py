"""The ``real`` cases of the realistic-conditions manifest: the two real recordings of the shared data.

Nobody in them has a second, independent recording, so enrollment comes from the same session,
by fixed rules over the RTTM (no hand-picked times):

* AMI meeting ES2004a, 60 s, 4 people (MEE014 says 1.2 s: never an owner):
  - ``ami-headset-enroll``: each owner enrolls from their own headset channel, on the stretches
    where only they speak (up to 30 s), and the whole meeting mix is the chunk. Optimistic: the
    headset channel holds the same words as the mix.
  - ``ami-other-part``: each owner enrolls from their solo stretches in one part of the mix
    (from their longest solo stretch onwards until 10 s), and the chunk is the larger other side
    of the meeting (0.5 s away from it). Independent words, the same room and day.
* AWS service call, 245 s, telephone band (8 kHz source), agent and caller: each voice enrolls
  from its own turns from the start of the call until it has 10 s; scoring starts 0.5 s after
  the later of the two enrollment ends (about 51 s in).
  - ``aws-call``: the whole call is the chunk, scored from there (``score_from_ms``). Optimistic:
    the chunk also holds the enrollment speech, which helps the clustering.
  - ``aws-call-rest``: the chunk is only the rest of the call.
* Owner absent, real: every meeting enrollment (headset and solo) against a minute of the call,
  the call's voices against the meeting, and two LibriSpeech owners against the meeting.
"""

from __future__ import annotations

from pathlib import Path

from selective_speaker.speech.windows import intersect_intervals, intervals_ms, merge_intervals, subtract_intervals

from ..rttm import read_rttm, speaker_intervals

AMI = "real-conversations/ami_ES2004a_750-810s"
AMI_AUDIO = f"{AMI}/ami_ES2004a_750-810s.wav"
AMI_RTTM = f"{AMI}/ami_ES2004a_750-810s.rttm"
AMI_MS = 60_000
CALL = "real-conversations/aws_lca_AutoRepairs40_call"
CALL_AUDIO = f"{CALL}/aws_lca_AutoRepairs40_call.wav"
CALL_RTTM = f"{CALL}/aws_lca_AutoRepairs40_call.rttm"
SOLO_MIN_MS = 1000
ENROLL_MS = 10_000
HEADSET_ENROLL_MS = 30_000
MARGIN_MS = 500
OWNER_MIN_MS = 8000  # solo speech a meeting owner needs
ABSENT_SLICE_MS = 60_000


def _data(path: str) -> str:
    return f"data:{path}"


def solo_stretches(turns, speaker: str) -> list[tuple[int, int]]:
    """The speaker's stretches where nobody else speaks, at least 1 s long."""
    mine = speaker_intervals(turns, speaker)
    others = merge_intervals((t.start_ms, t.end_ms) for t in turns if t.speaker != speaker)
    return [(lo, hi) for lo, hi in subtract_intervals(mine, others) if hi - lo >= SOLO_MIN_MS]


def _take(stretches, limit_ms: int) -> list[tuple[int, int]]:
    out, total = [], 0
    for lo, hi in stretches:
        if total >= limit_ms:
            break
        hi = min(hi, lo + limit_ms - total)
        out.append((lo, hi))
        total += hi - lo
    return out


def _refs(path: str, stretches) -> list[dict]:
    return [{"path": _data(path), "start_ms": lo, "end_ms": hi} for lo, hi in stretches]


def meeting_owners(turns) -> list[str]:
    return [s for s in sorted({t.speaker for t in turns}) if intervals_ms(solo_stretches(turns, s)) >= OWNER_MIN_MS]


def other_part(turns, speaker: str, duration_ms: int) -> tuple[list[tuple[int, int]], tuple[int, int]]:
    """(enrollment stretches, test slice): solo stretches from the longest one on until 10 s, and the
    side of the recording outside them with more of the speaker's speech."""
    solo = solo_stretches(turns, speaker)
    first = max(range(len(solo)), key=lambda i: solo[i][1] - solo[i][0])
    chosen = _take(solo[first:], ENROLL_MS)
    if sum(hi - lo for lo, hi in chosen) < ENROLL_MS:
        chosen = _take(solo[: first + 1][::-1] + solo[first + 1 :], ENROLL_MS)
        chosen.sort()
    lo, hi = chosen[0][0], chosen[-1][1]
    sides = [(0, lo - MARGIN_MS), (hi + MARGIN_MS, duration_ms)]
    mine = speaker_intervals(turns, speaker)
    side = max(sides, key=lambda s: intervals_ms(intersect_intervals(mine, [s])) if s[1] > s[0] else -1)
    return chosen, side


def call_enrollment(turns) -> tuple[dict[str, list[tuple[int, int]]], int]:
    """Each voice's first solo turns up to 10 s, and where scoring starts (after both)."""
    enroll, ends = {}, []
    for speaker in sorted({t.speaker for t in turns}):
        stretches = _take(solo_stretches(turns, speaker), ENROLL_MS)
        enroll[speaker] = stretches
        ends.append(stretches[-1][1])
    score_from = -(-(max(ends) + MARGIN_MS) // 100) * 100
    return enroll, score_from


def _case(case_id, owner, audio, rttm, enroll, tags, group="real", **extra) -> dict:
    return {"id": case_id, "owner": owner, "group": group, "tags": [group, *tags], "audio": audio, "rttm": rttm, "enroll": enroll, **extra}


def real_cases(data_root: Path, absent_owners: list[tuple[str, list[str]]]) -> list[dict]:
    """The real cases, then the real owner-absent ones (`absent_owners`: LibriSpeech owners and
    their enrollment paths, enrolled against the meeting)."""
    ami, call = read_rttm(data_root / AMI_RTTM), read_rttm(data_root / CALL_RTTM)
    cases, absent = [], []
    headset, solo = {}, {}
    for owner in meeting_owners(ami):
        channel = f"{AMI}/headset_channels_same_session/headset_{owner}.wav"
        headset[owner] = _refs(channel, _take(solo_stretches(ami, owner), HEADSET_ENROLL_MS))
        cases.append(
            _case(f"real/ami-headset-enroll/{owner}", owner, _data(AMI_AUDIO), _data(AMI_RTTM), headset[owner], ["meeting", "headset_enroll"])
        )
    for owner in meeting_owners(ami):
        stretches, (lo, hi) = other_part(ami, owner, AMI_MS)
        audio = {"path": _data(AMI_AUDIO), "start_ms": lo, "end_ms": hi}
        solo[owner] = _refs(AMI_AUDIO, stretches)
        cases.append(_case(f"real/ami-other-part/{owner}", owner, audio, _data(AMI_RTTM), solo[owner], ["meeting", "solo_enroll"]))
    enroll, score_from = call_enrollment(call)
    for owner in sorted(enroll):
        refs = _refs(CALL_AUDIO, enroll[owner])
        tags = ["telephone", "call"]
        cases.append(_case(f"real/aws-call/{owner}", owner, _data(CALL_AUDIO), _data(CALL_RTTM), refs, tags, score_from_ms=score_from))
        rest = {"path": _data(CALL_AUDIO), "start_ms": score_from}
        cases.append(_case(f"real/aws-call-rest/{owner}", owner, rest, _data(CALL_RTTM), refs, [*tags, "rest_only"]))
    call_slice = {"path": _data(CALL_AUDIO), "start_ms": score_from, "end_ms": score_from + ABSENT_SLICE_MS}
    for kind, enrollments in (("headset", headset), ("solo", solo)):  # every meeting enrollment against the call
        for owner, refs in enrollments.items():
            absent.append(
                _case(f"owner_absent/ami-{kind}-{owner}-vs-call", owner, call_slice, _data(CALL_RTTM), refs,
                      ["real", "telephone", "call", f"{kind}_enroll"], group="owner_absent", owner_absent=True)
            )
    for owner in sorted(enroll):
        absent.append(
            _case(f"owner_absent/call-{owner}-vs-ami", owner, _data(AMI_AUDIO), _data(AMI_RTTM), _refs(CALL_AUDIO, enroll[owner]),
                  ["real", "meeting"], group="owner_absent", owner_absent=True)
        )
    for owner, refs in absent_owners:
        absent.append(
            _case(f"owner_absent/{owner}-vs-ami", owner, _data(AMI_AUDIO), _data(AMI_RTTM), refs, ["real", "meeting"],
                  group="owner_absent", owner_absent=True)
        )
    return cases + absent
