"""The chunk-length bench's cutting and grouping (the timed runs need the shared data: README)."""

from __future__ import annotations

import numpy as np

from selective_speaker.speech.audio import decode_audio
from selective_speaker.speechlab.chunk_length_bench import batches, cut, format_table


def test_it_cuts_a_recording_into_chunks_of_wav_bytes_dropping_a_tail_under_a_second():
    audio = np.linspace(-0.5, 0.5, 16000 * 25 + 8000, dtype=np.float32)
    chunks = cut(audio, 10)
    assert [lo for lo, _ in chunks] == [0, 160_000, 320_000]  # the last 5.5 s form a chunk ...
    assert [decode_audio(data)[0].size for _, data in chunks] == [160_000, 160_000, 88_000]
    assert len(cut(audio, 12.5)) == 2  # ... 0.5 s would not


def test_it_groups_chunks_as_the_worker_does():
    chunks = list(range(7))
    assert batches(chunks, 10, 30) == [[0, 1, 2], [3, 4, 5], [6]]
    assert batches(chunks, 60, 120) == [[0, 1], [2, 3], [4, 5], [6]]
    assert batches(chunks, 300, 120) == [[c] for c in chunks]  # not shorter than the budget: alone
    assert batches(chunks, 10, 0) == [[c] for c in chunks]  # batching off


def test_it_prints_each_length_relative_to_60_s_chunks():
    row = {"rtf": 0.1, "cpu_rtf": 0.2, "recall": 0.95, "vs_60s": 1.5, "cpu_vs_60s": 1.6}
    batched = {**row, "rtf": 0.07, "vs_60s": 1.05, "cpu_rtf": 0.13, "cpu_vs_60s": 1.04}
    table = format_table({"lengths": {"10": {"chunks": 6, "alone": row, "batched": batched}}})
    assert (
        table.splitlines()[1] == "10 | 6 | 0.1000 / 0.0700 | 1.5 / 1.05 | 0.2000 / 0.1300 | 1.6 / 1.04 | 0.950 / 0.950"
    )
