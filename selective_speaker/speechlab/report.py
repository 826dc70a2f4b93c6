"""The eval report: per-case table, totals by tag, threshold trade-off; results.json and plots."""

from __future__ import annotations

import json
import os
import platform
import re
import time
from pathlib import Path

from selective_speaker.speech.config import EngineConfig

from .plots import plot_cases, plot_similarities, plot_tradeoff
from .runner import peak_rss_mb
from .scoring import (
    LEAK_GOAL,
    RECALL_GOAL,
    all_samples,
    equal_error_point,
    meets_goals,
    owner_absent_summary,
    summarise,
    summarise_by_group,
    summarise_by_tag,
    threshold_meeting_goals,
    tradeoff_curve,
)

THRESHOLD_GRID = [round(0.30 + 0.01 * i, 2) for i in range(56)]  # 0.30 .. 0.85


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def num(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


COLUMNS = ("case", "audio s", "recall", "leak", "unowned", "FA", "FR", "DER", "WER", "RTF", "goals")


def case_row(case: dict) -> list[str]:
    if "error" in case:
        return [case["id"], "—", "—", "—", "—", "—", "—", "—", "—", "—", "ERROR"]
    cov, reg = case["coverage"], case["regions"]
    return [
        case["id"],
        f"{case['audio_s']:.1f}",
        pct(cov["recall"]),
        pct(cov["leak"]),
        pct(cov["unowned"]),
        pct(reg["false_accept_rate"]),
        pct(reg["false_reject_rate"]),
        pct(case["der"]["der"]) if case["der"] else "—",
        pct(case["wer"]["wer"]) if case["wer"] else "—",
        num(case["rtf"].get("total")),
        "ok" if meets_goals(case) else "MISS",
    ]


def progress_line(case: dict) -> str:
    if "error" in case:
        return f"{case['id']}: ERROR {case['error']}"
    return "  ".join(f"{name} {value}" for name, value in zip(COLUMNS, case_row(case)) if name != "case").join(
        (f"{case['id']}: ", "")
    )


def summary_row(name: str, summary: dict) -> list[str]:
    return [
        f"{name} ({summary['cases']})",
        f"{summary['audio_s']:.1f}",
        pct(summary["recall"]),
        pct(summary["leak"]),
        pct(summary["unowned"]),
        pct(summary["false_accept_rate"]),
        pct(summary["false_reject_rate"]),
        pct(summary["der"]),
        pct(summary["wer"]),
        num(summary["rtf"].get("total")),
        f"{summary['cases_meeting_goals']}/{summary['cases']}",
    ]


GROUP_COLUMNS = (
    "group", "audio s", "recall", "owner alone", "worst recall", "leak", "worst leak", "bystander words", "goals",
    "absent kept s", "worst absent", "VAD found", "decided owner",
)


def group_row(name: str, summary: dict) -> list[str]:
    absent = summary.get("owner_absent")
    return [
        f"{name} ({summary['cases']})",
        f"{summary['audio_s']:.0f}",
        pct(summary["recall"]),
        pct(summary.get("recall_alone")),
        pct(summary["min_recall"]),
        pct(summary["leak"]),
        pct(summary["max_leak"]),
        words_cell(summary),
        f"{summary['cases_meeting_goals']}/{summary['cases']}",
        "—" if absent is None else f"{absent['kept_s']:.1f}",
        "—" if absent is None else f"{absent['worst_kept_s']:.1f}",
        pct(summary["recall_by_stage"]["speech"]),
        pct(summary["recall_by_stage"]["owner_regions"]),
    ]


def words_cell(summary: dict) -> str:
    """"2/3232": kept words said where only another speaker speaks, of all kept words."""
    bystander, words = summary.get("bystander_words") or (0, 0)
    return f"{bystander}/{words}" if words else "—"


def print_groups(report: dict) -> None:
    """Per condition group: pooled recall and leak, worst case, cases meeting both goals, owner-absent kept s,
    and where owner speech is lost (share found by the VAD, share decided owner)."""
    if not report.get("by_group"):
        return
    rows = [group_row(group, s) for group, s in report["by_group"].items()]
    print()
    print(format_table([*rows, group_row("TOTAL", {**report["summary"], "owner_absent": report["owner_absent"]})], header=GROUP_COLUMNS))
    absent = report["owner_absent"]
    if absent:
        print(
            f"owner absent (goal 0 s each): {absent['cases_keeping_nothing']}/{absent['cases']} cases keep nothing; "
            f"{absent['kept_s']:.1f} s kept in all ({absent['bystander_kept_s']:.1f} s of it bystander speech), "
            f"worst {absent['worst_kept_s']:.1f} s ({absent['worst_case']})"
        )


def format_table(rows: list[list[str]], header=COLUMNS) -> str:
    widths = [max(len(str(r[i])) for r in [list(header), *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
    return "\n".join([line(list(header)), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])


def machine() -> dict:
    return {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count()}


def build_report(manifest, data_root: Path, config: EngineConfig, scored: list[dict], results: list[dict], started: float) -> dict:
    samples = all_samples(scored)
    curve = tradeoff_curve(samples, THRESHOLD_GRID)
    return {
        "manifest": str(manifest.path),
        "data_root": str(data_root),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
        "seconds": round(time.time() - started, 1),
        "machine": machine(),
        "config": config.public(),
        "goals": {"recall": RECALL_GOAL, "leak": LEAK_GOAL},
        "summary": summarise(scored) if scored else None,
        "by_tag": summarise_by_tag(scored),
        "by_group": summarise_by_group(scored),
        "owner_absent": owner_absent_summary(scored),
        "indeterminate": indeterminate_summary(scored),
        "tradeoff": {
            "note": "re-deciding regions at other thresholds (estimate; `calibrate` is exact for attribution)",
            "curve": curve,
            "meets_goals": threshold_meeting_goals(curve, max_false_accept=LEAK_GOAL, max_leak=LEAK_GOAL),
            "equal_error": equal_error_point(curve),
        },
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "cases": results,
    }


def indeterminate_summary(scored: list[dict]) -> dict:
    """How many cases' chunks the engine called indeterminate (nothing kept, and it says why), per
    reason, owner-absent ones apart: {"cases", "owner_absent", "reasons": {reason: cases}}."""
    marked = [c for c in scored if c.get("status") == "indeterminate"]
    reasons: dict[str, int] = {}
    for case in marked:
        # the measured figure inside a reason ("speech 4 dB above the noise") varies per case
        key = re.sub(r" \(.*\)$", "", case.get("reason") or "")
        reasons[key] = reasons.get(key, 0) + 1
    return {"cases": len(marked), "owner_absent": sum(bool(c.get("owner_absent")) for c in marked), "reasons": reasons}


def write_report(report: dict, scored: list[dict], config: EngineConfig, out: Path) -> None:
    (out / "results.json").write_text(json.dumps(report, indent=1, default=str) + "\n")
    if not scored:
        return
    samples = all_samples(scored)
    if any(s.similarity is not None for s in samples):
        plot_similarities(samples, config.accept_threshold, out / "similarity.png")
    plot_cases(scored, out / "cases.png")
    if report["tradeoff"]["curve"]:
        plot_tradeoff(
            report["tradeoff"]["curve"], config.accept_threshold, out / "tradeoff.png", title="Region decisions vs threshold"
        )


def print_report(report: dict, results: list[dict]) -> None:
    print()
    print(format_table([case_row(c) for c in results]))
    for case in results:
        if "error" in case:
            print(f"ERROR in {case['id']}: {case['error']}")
    summary = report["summary"]
    if summary is None:
        print("no case could be scored")
        return
    rows = [summary_row(tag, s) for tag, s in report["by_tag"].items()] + [summary_row("TOTAL", summary)]
    print()
    print(format_table(rows, header=("group", *COLUMNS[1:])))
    stages = ", ".join(f"{stage} {rtf:.4f}" for stage, rtf in summary["rtf"].items())
    print(
        "\nrecall: owner speech kept (owner alone: of the owner's speech nobody talks over) · leak: kept time that"
        " is another speaker's speech · bystander words: kept words whose middle only another speaker speaks at,"
        " of all kept words · unowned: kept time that is not owner speech (leak + pauses/padding) ·"
        " FA/FR: region decisions, time-weighted · RTF: chunk job"
    )
    print(f"RTF per stage (seconds per second of audio): {stages}")
    print(f"worst case: recall {pct(summary['min_recall'])}, leak {pct(summary['max_leak'])}")
    print(f"bystander words (kept words said where only another speaker speaks / all kept words): {words_cell(summary)}")
    stage = summary["recall_by_stage"]
    print(
        f"owner speech found by the VAD {pct(stage['speech'])}, decided owner {pct(stage['owner_regions'])}, "
        f"inside kept segments {pct(stage['kept'])}"
    )
    print(f"peak memory (max RSS): {report['peak_rss_mb']:.0f} MiB")
    marked = report.get("indeterminate")
    if marked and marked["cases"]:
        why = "; ".join(f"{reason} ×{n}" for reason, n in sorted(marked["reasons"].items()))
        print(f"indeterminate (nothing kept, and why): {marked['cases']} cases, {marked['owner_absent']} of them owner-absent — {why}")
    goal, eer = report["tradeoff"]["meets_goals"], report["tradeoff"]["equal_error"]
    if not report["tradeoff"]["curve"]:
        print("this strategy records no similarity per region: no threshold trade-off")
    elif goal:
        print(
            f"threshold meeting false accept ≤ {pct(LEAK_GOAL)} and leak ≤ {pct(LEAK_GOAL)} (region estimate): "
            f"{goal['threshold']:.2f} (false reject there {pct(goal['false_reject_rate'])})"
        )
    else:
        print("no threshold on the grid meets the false-accept/leak goals on these regions")
    if eer:
        print(f"equal error point: threshold {eer['threshold']:.2f}, FA {pct(eer['false_accept_rate'])}, FR {pct(eer['false_reject_rate'])}")
    print_groups(report)


ANSWER_COLUMNS = (
    "group", "answers", "recall", "owner alone", "worst recall", "leak", "worst leak", "bystander words", "goals",
    "absent kept s", "me / not me",
)


def answers_line(entry: dict) -> str:
    """One case's simulated answers, for the progress output."""
    runs = "; ".join(
        f"k={k}: recall {pct(r['recall'])} leak {pct(r['leak'])} ({r['me']} me, {r['not_me']} not me)"
        for k, r in entry["by_k"].items()
    )
    return f"{entry['cards']} cards ({entry['cards_s']:.1f} s): {runs}"


def print_answers(answers: dict | None) -> None:
    """Per condition group, recall and leak after the simulated owner answered k cards (answers.py)."""
    if not answers:
        return
    rows = []
    for group, runs in [*answers["by_group"].items(), ("ALL", answers["all"])]:
        for name, s in runs.items():
            rows.append([
                f"{group} ({s['cases']})",
                name,
                pct(s["recall"]),
                pct(s.get("recall_alone")),
                pct(s["min_recall"]),
                pct(s["leak"]),
                pct(s["max_leak"]),
                words_cell(s),
                f"{s['cases_meeting_goals']}/{s['cases']}",
                "—" if s["owner_absent_kept_s"] is None else f"{s['owner_absent_kept_s']:.1f}",
                f"{s['me']} / {s['not_me']}",
            ])
    rule = answers["rule"]
    print(
        f"\n\"Was this you?\" answered from the ground truth: cards = uncertain regions ≥ {rule['card_min_ms']} ms, "
        f"{rule['order']}; \"me\" when the owner speaks ≥ {100 * rule['me_share']:.0f} % of the card; owner samples "
        f"≤ {100 * rule['samples_max_share']:.0f} % of the voiceprint; transfer = other cases' answers, none of its own"
    )
    print(format_table(rows, header=ANSWER_COLUMNS))
