"""Measurement of the speech engine: scoring against reference turns, manifests, eval, calibration
and the speed benchmark. Plain Python, no Django.

It imports `selective_speaker.speech`; the engine never imports it (tests/speech checks), so the
runtime — the web process and the worker — carries none of this.

    python -m selective_speaker.speechlab eval|calibrate|bench ...      (cli.py)
    python -m selective_speaker.speechlab.chunk_length_bench            (cost by chunk length, batched; peak memory)
    python -m selective_speaker.speechlab.manifests.build_shared        (manifests/)
    python -m selective_speaker.speechlab.manifests.build_realistic     (the realistic-conditions suite)

Modules: rttm (reference turns), scoring (recall, leak, region errors, totals by tag and by
condition group), der, wer, manifest (cases and their audio), runner (one case through the
engine), report and plots (the eval output), calibration, benchmark, chunk_length_bench; for the realistic suite,
conversation (real voices re-timed), channel, noise and rooms (the transforms).
"""
