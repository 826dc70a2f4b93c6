"""The plots of the measurement reports (matplotlib, from the eval extra)."""

from __future__ import annotations

from pathlib import Path

from selective_speaker.speech.cli import CommandError

from .scoring import LEAK_GOAL, RECALL_GOAL


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise CommandError("plots need matplotlib: pip install -e .[eval]") from exc
    return plt


def plot_similarities(samples, threshold: float | None, path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for truth, colour in (("owner", "tab:green"), ("other", "tab:red")):
        chosen = [s for s in samples if s.truth == truth and s.similarity is not None]
        if chosen:
            ax.hist(
                [s.similarity for s in chosen],
                bins=40,
                range=(-0.2, 1.0),
                weights=[s.duration_ms / 1000 for s in chosen],
                alpha=0.6,
                color=colour,
                label=f"{truth} ({len(chosen)} regions)",
            )
    if threshold is not None:
        ax.axvline(threshold, color="black", linestyle="--", label=f"threshold {threshold:.2f}")
    ax.set_xlabel("region similarity to the owner's voiceprint")
    ax.set_ylabel("seconds of speech")
    ax.set_title("Owner vs others: similarity of decided regions")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_cases(cases: list[dict], path: Path) -> None:
    plt = _pyplot()
    scored = [c for c in cases if "error" not in c]
    fig, ax = plt.subplots(figsize=(max(8, 0.35 * len(scored)), 5))
    xs = range(len(scored))
    recall = [c["coverage"]["recall"] or 0 for c in scored]
    leak = [c["coverage"]["leak"] or 0 for c in scored]
    ax.bar([x - 0.2 for x in xs], recall, width=0.4, color="tab:green", label="owner recall")
    ax.bar([x + 0.2 for x in xs], leak, width=0.4, color="tab:red", label="bystander leak")
    ax.axhline(RECALL_GOAL, color="tab:green", linestyle=":", linewidth=1)
    ax.axhline(LEAK_GOAL, color="tab:red", linestyle=":", linewidth=1)
    ax.set_xticks(list(xs), [c["id"] for c in scored], rotation=75, ha="right", fontsize=7)
    ax.set_ylim(0, 1.05)
    ax.set_title("Per case: owner recall and bystander leak (dotted: goals)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_tradeoff(curve: list[dict], threshold: float | None, path: Path, *, title: str) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    xs = [p["threshold"] for p in curve]
    for key, colour, label in (
        ("false_accept_rate", "tab:red", "false accept (time)"),
        ("false_reject_rate", "tab:green", "false reject (time)"),
        ("leak", "tab:orange", "leak"),
    ):
        ax.plot(xs, [p.get(key) if p.get(key) is not None else float("nan") for p in curve], color=colour, label=label)
    if threshold is not None:
        ax.axvline(threshold, color="black", linestyle="--", label=f"configured {threshold:.2f}")
    ax.axhline(LEAK_GOAL, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("accept threshold")
    ax.set_ylabel("rate")
    ax.set_title(title)
    ax.legend(loc="center right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_calibration(curve: list[dict], threshold: float, path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    xs = [p["threshold"] for p in curve]
    nan = float("nan")
    ax.plot(xs, [p["recall"] if p["recall"] is not None else nan for p in curve], color="tab:green", label="recall (all)")
    ax.plot(xs, [p["min_recall"] if p["min_recall"] is not None else nan for p in curve], "--", color="tab:green", label="worst case recall")
    ax.plot(xs, [p["leak"] if p["leak"] is not None else nan for p in curve], color="tab:red", label="leak (all)")
    ax.plot(xs, [p["max_leak"] if p["max_leak"] is not None else nan for p in curve], "--", color="tab:red", label="worst case leak")
    ax.axvline(threshold, color="black", linestyle=":", label=f"configured {threshold:.2f}")
    ax.axhline(RECALL_GOAL, color="tab:green", linestyle=":", linewidth=1)
    ax.axhline(LEAK_GOAL, color="tab:red", linestyle=":", linewidth=1)
    ax.set_xlabel("accept threshold")
    ax.set_title("Owner attribution vs threshold (before ASR and segment rules)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
