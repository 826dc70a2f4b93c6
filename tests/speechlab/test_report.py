"""The eval report's table (selective_speaker/speechlab/report.py)."""

from __future__ import annotations

from selective_speaker.speechlab.report import format_table


def test_it_lines_up_table_columns():
    table = format_table([["a", "1.0"], ["long name", "10.5"]], header=("case", "x"))
    lines = table.splitlines()
    assert lines[0].startswith("case     ") and lines[2].endswith(" 1.0") and lines[3].endswith("10.5")


def test_it_prints_condition_groups_with_owner_absent_kept_seconds(capsys):
    from selective_speaker.speechlab.report import print_groups

    def summary(cases, recall, kept=None):
        absent = None if kept is None else {
            "cases": cases, "cases_keeping_nothing": 0, "kept_s": kept, "worst_kept_s": kept, "worst_case": "x", "bystander_kept_s": kept
        }
        return {
            "cases": cases, "audio_s": 60.0, "recall": recall, "min_recall": recall, "leak": 0.01, "max_leak": 0.02,
            "cases_meeting_goals": 1, "bystander_words": (1, 250), "recall_by_stage": {"speech": 0.9, "owner_regions": 0.8, "kept": recall},
            "owner_absent": absent,
        }

    report = {
        "by_group": {"noise": summary(2, 0.75), "owner_absent": summary(1, None, kept=3.5)},
        "summary": summary(3, 0.75),
        "owner_absent": summary(1, None, kept=3.5)["owner_absent"],
    }
    print_groups(report)
    out = capsys.readouterr().out
    assert "absent kept s" in out and "noise (2)" in out and "75.0%" in out
    assert "bystander words" in out and "1/250" in out
    assert "owner absent (goal 0 s each): 0/1 cases keep nothing; 3.5 s kept in all" in out
    print_groups({"by_group": {}})  # manifests without groups print nothing more
    assert capsys.readouterr().out == ""


def test_it_counts_indeterminate_cases_by_reason_without_their_measured_figures():
    from selective_speaker.speechlab.report import indeterminate_summary

    cases = [
        {"status": "indeterminate", "reason": "too noisy to tell voices apart (speech 5 dB above the noise)", "owner_absent": True},
        {"status": "indeterminate", "reason": "too noisy to tell voices apart (speech 7 dB above the noise)", "owner_absent": False},
        {"status": "indeterminate", "reason": "the owner match is uncertain", "owner_absent": False},
        {"status": "done", "reason": "", "owner_absent": True},
    ]
    assert indeterminate_summary(cases) == {
        "cases": 3,
        "owner_absent": 1,
        "reasons": {"too noisy to tell voices apart": 2, "the owner match is uncertain": 1},
    }
    assert indeterminate_summary(cases[3:]) == {"cases": 0, "owner_absent": 0, "reasons": {}}
