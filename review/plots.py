"""The owner-similarity histogram as an inline SVG, drawn here on the server (no JavaScript, no
plotting library at run time). Only numbers and fixed labels go into it, every one escaped."""

from __future__ import annotations

import math

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from review.selectors import SimilarityHistogram

WIDTH, HEIGHT = 760, 270
LEFT, RIGHT, TOP, BOTTOM = 58, 18, 38, 44
COLOURS = {"owner": "#2e7d32", "uncertain": "#f2a900", "other": "#9e9e9e"}
VERDICT_COLOURS = {"owner": "#1b5e20", "not_owner": "#8e24aa"}
THRESHOLD_COLOUR = "#c62828"


def _nice_ceiling(value: float) -> float:
    """1, 2 or 5 × a power of ten, at least `value`."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def _duration(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def similarity_histogram_svg(histogram: SimilarityHistogram) -> SafeString:
    """Stacked bars of speech seconds per similarity bin (other, uncertain, owner), the
    accept threshold and the lower edge of the uncertain band as vertical lines, and a tick
    under the bars for each region staff judged (owner / not the owner)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    lo, hi = histogram.lo, histogram.hi

    def x(similarity: float) -> float:
        return LEFT + (similarity - lo) / (hi - lo) * plot_w

    totals = [sum(histogram.seconds[d][i] for d in histogram.seconds) for i in range(histogram.bins)]
    y_max = _nice_ceiling(max(totals) if totals else 0)

    def y(seconds: float) -> float:
        return TOP + plot_h - seconds / y_max * plot_h

    parts: list[str] = []
    add = parts.append
    add(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" role="img" aria-labelledby="sim-title sim-desc" class="similarity-histogram" '
        'style="max-width: 100%; height: auto; font: 11px sans-serif">'
    )
    add('<title id="sim-title">Owner similarity of recorded speech regions</title>')
    desc = (
        f"{histogram.regions} regions from {histogram.chunks} chunks, seconds of speech per "
        f"similarity bin of {histogram.width:g}"
    )
    if histogram.threshold is not None:
        desc += f"; accept threshold {histogram.threshold:g}"
    add(f'<desc id="sim-desc">{escape(desc)}</desc>')
    add(f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="#fafafa" stroke="#ddd"/>')
    # y axis: gridlines at 0, half and full scale
    for fraction in (0, 0.5, 1):
        value = y_max * fraction
        ty = y(value)
        add(f'<line x1="{LEFT}" y1="{ty:.1f}" x2="{LEFT + plot_w}" y2="{ty:.1f}" stroke="#e4e4e4"/>')
        add(f'<text x="{LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end" fill="#555">{escape(_duration(value))}</text>')
    add(
        f'<text x="14" y="{TOP + plot_h / 2:.1f}" transform="rotate(-90 14 {TOP + plot_h / 2:.1f})" '
        'text-anchor="middle" fill="#555">speech</text>'
    )
    # bars, stacked other → uncertain → owner
    bar_w = plot_w / histogram.bins
    for i in range(histogram.bins):
        base = 0.0
        for decision in ("other", "uncertain", "owner"):
            seconds = histogram.seconds[decision][i]
            if seconds <= 0:
                continue
            top, bottom = y(base + seconds), y(base)
            add(
                f'<rect x="{LEFT + i * bar_w + 0.5:.1f}" y="{top:.1f}" width="{max(bar_w - 1, 0.5):.1f}" '
                f'height="{max(bottom - top, 0.5):.1f}" fill="{COLOURS[decision]}">'
                f"<title>{escape(decision)}: {seconds:.1f} s at similarity "
                f"{lo + i * histogram.width:.2f}–{lo + (i + 1) * histogram.width:.2f}</title></rect>"
            )
            base += seconds
    # x axis ticks every 0.1
    first_tick = math.ceil(round(lo * 10, 6)) / 10
    tick = first_tick
    while tick <= hi + 1e-9:
        tx = x(tick)
        add(f'<line x1="{tx:.1f}" y1="{TOP + plot_h}" x2="{tx:.1f}" y2="{TOP + plot_h + 5}" stroke="#777"/>')
        add(f'<text x="{tx:.1f}" y="{TOP + plot_h + 17}" text-anchor="middle" fill="#555">{tick:.1f}</text>')
        tick = round(tick + 0.1, 6)
    add(
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle" fill="#555">'
        "cosine similarity to the owner's voiceprint</text>"
    )
    # judged regions: a tick each, just above the axis
    for verdict, values in histogram.reviewed.items():
        offset = 0 if verdict == "owner" else 11
        for value in values:
            if lo <= value <= hi:
                tx = x(value)
                add(
                    f'<line x1="{tx:.1f}" y1="{TOP + plot_h - 1 - offset}" x2="{tx:.1f}" '
                    f'y2="{TOP + plot_h - 10 - offset}" stroke="{VERDICT_COLOURS[verdict]}" stroke-width="2"/>'
                )
    # threshold and the uncertain band's lower edge
    if histogram.threshold is not None and lo <= histogram.threshold <= hi:
        tx = x(histogram.threshold)
        add(
            f'<line x1="{tx:.1f}" y1="{TOP - 4}" x2="{tx:.1f}" y2="{TOP + plot_h}" '
            f'stroke="{THRESHOLD_COLOUR}" stroke-width="2"/>'
        )
        add(
            f'<text x="{tx + 4:.1f}" y="{TOP + 10}" fill="{THRESHOLD_COLOUR}">'
            f"threshold {histogram.threshold:.2f}</text>"
        )
        if histogram.margin:
            band = histogram.threshold - histogram.margin
            if lo <= band <= hi:
                bx = x(band)
                add(
                    f'<line x1="{bx:.1f}" y1="{TOP}" x2="{bx:.1f}" y2="{TOP + plot_h}" '
                    f'stroke="{THRESHOLD_COLOUR}" stroke-width="1" stroke-dasharray="4 3"/>'
                )
                add(
                    f'<text x="{bx - 4:.1f}" y="{TOP + 10}" text-anchor="end" fill="{THRESHOLD_COLOUR}">'
                    f"uncertain from {band:.2f}</text>"
                )
    # legend
    lx = LEFT
    for label, colour, kind in [
        ("owner", COLOURS["owner"], "box"),
        ("uncertain", COLOURS["uncertain"], "box"),
        ("other", COLOURS["other"], "box"),
        ("judged: the owner", VERDICT_COLOURS["owner"], "tick"),
        ("judged: not the owner", VERDICT_COLOURS["not_owner"], "tick"),
    ]:
        if kind == "box":
            add(f'<rect x="{lx}" y="10" width="10" height="10" fill="{colour}"/>')
        else:
            add(f'<line x1="{lx + 5}" y1="9" x2="{lx + 5}" y2="21" stroke="{colour}" stroke-width="2"/>')
        add(f'<text x="{lx + 14}" y="19" fill="#333">{escape(label)}</text>')
        lx += 14 + round(6.2 * len(label)) + 22
    add("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — numbers and escaped fixed labels only
