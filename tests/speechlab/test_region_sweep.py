"""speechlab/region_sweep.py: variants parse like --set, figures are the decision's own."""

import pytest

from selective_speaker.speech.cli import CommandError
from selective_speaker.speechlab.region_sweep import format_totals, parse_variant, region_figures


def test_a_variant_reads_its_settings_as_set_does():
    assert parse_variant("chunk:intrusion_reference=chunk,intrusion_margin=0.05") == (
        "chunk",
        {"intrusion_reference": "chunk", "intrusion_margin": 0.05},
    )
    assert parse_variant("off:intrusion_scan=false") == ("off", {"intrusion_scan": False})
    assert parse_variant("default") == ("default", {})
    with pytest.raises(CommandError):
        parse_variant("bad:intrusion_margin")


def test_leak_is_kept_time_only_another_voice_covers():
    owner = [(0, 1000), (2000, 3000)]
    others = [(900, 2100)]  # overlaps the owner's edges: only 1000–2000 is the other's alone
    assert region_figures(owner, others, [(500, 2500)]) == (2000, 1000, 2000, 1000)
    assert region_figures(owner, others, []) == (2000, 0, 0, 0)


def test_it_prints_recall_and_leak_per_group():
    text = format_totals({"off": {"overlap": [2000, 1000, 2000, 50]}})
    assert text.split() == ["off", "overlap", "50.0/2.50"]


def test_owner_absent_recordings_report_the_seconds_kept():
    text = format_totals({"t54": {"owner_absent": [0, 0, 1500, 1500], "noise": [1000, 900, 1000, 0]}})
    assert text.split() == ["t54", "noise", "90.0/0.00", "owner_absent", "1.5", "s", "kept"]
