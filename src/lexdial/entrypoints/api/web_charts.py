"""Charts for the dashboard, drawn on the server as inline SVG.

Rule 1: no chart library and no script: the page is complete as sent (it works offline,
under a CSP that forbids scripts, and in a screenshot taken the instant it loads).
Rule 2: every chart is an image with a title and a description that state its numbers, and
the page prints the same numbers as a table, so a screen reader loses nothing. Colours
come from CSS classes (the CSP forbids inline styles).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import count

from markupsafe import Markup, escape

_ids = count(1)


def _frame(width: int, height: int, title: str, desc: str, body: list[str]) -> Markup:
    n = next(_ids)
    head = (
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" aria-labelledby="chart{n}-t chart{n}-d" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="chart{n}-t">{escape(title)}</title>'
        f'<desc id="chart{n}-d">{escape(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")


def columns(
    title: str, items: Sequence[tuple[str, int]], width: int = 560, height: int = 190
) -> Markup:
    """A column chart (calls per hour): one column per label, the count above it."""
    desc = "; ".join(f"{label}: {n}" for label, n in items) or "no data yet"
    if not items:
        body = [
            f'<text class="empty" x="{width // 2}" y="{height // 2}" '
            'text-anchor="middle">No calls yet</text>'
        ]
        return _frame(width, height, title, desc, body)
    top, base, left = 18, height - 28, 8
    peak = max(n for _, n in items) or 1
    step = (width - 2 * left) / len(items)
    bar = max(2.0, step * 0.7)
    body = [f'<line class="axis" x1="{left}" y1="{base}" x2="{width - left}" y2="{base}"/>']
    every = max(1, len(items) // 12)  # keep the hour labels legible
    for i, (label, n) in enumerate(items):
        h = (base - top) * n / peak
        x = left + i * step + (step - bar) / 2
        cx = x + bar / 2
        body.append(
            f'<rect class="bar" x="{x:.1f}" y="{base - h:.1f}" width="{bar:.1f}" '
            f'height="{h:.1f}"><title>{escape(label)}: {n}</title></rect>'
        )
        body.append(
            f'<text class="value" x="{cx:.1f}" y="{base - h - 4:.1f}" '
            f'text-anchor="middle">{n}</text>'
        )
        if i % every == 0:
            body.append(
                f'<text class="label" x="{cx:.1f}" y="{height - 10}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    return _frame(width, height, title, desc, body)


#: width of a label character in the charts' font (12 px sans-serif), rounded up
LABEL_PX = 7


def bars(title: str, items: Sequence[tuple[str, int]], width: int = 560) -> Markup:
    """A horizontal bar chart (outcomes): one labelled bar per item, the count at its end."""
    desc = "; ".join(f"{label}: {n}" for label, n in items) or "no data yet"
    # the label column fits the longest label (about 7 px a character at the chart's size)
    row = 26
    label_w = max(150, max((len(label) for label, _ in items), default=0) * LABEL_PX + 16)
    height = max(row * len(items) + 8, 40)
    if not items:
        body = [
            f'<text class="empty" x="{width // 2}" y="24" text-anchor="middle">'
            "No outcomes yet</text>"
        ]
        return _frame(width, height, title, desc, body)
    peak = max(n for _, n in items) or 1
    room = width - label_w - 50
    body = []
    for i, (label, n) in enumerate(items):
        y = 4 + i * row
        w = max(1.0, room * n / peak)
        body.append(
            f'<text class="label" x="{label_w - 8}" y="{y + 17}" '
            f'text-anchor="end">{escape(label)}</text>'
        )
        body.append(
            f'<rect class="bar" x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}"/>'
        )
        body.append(f'<text class="value" x="{label_w + w + 6:.1f}" y="{y + 17}">{n}</text>')
    return _frame(width, height, title, desc, body)


def _pct(share: float) -> str:
    """0.03 -> '3 %', 0.05 -> '5 %', 0.0125 -> '1.3 %' (the style of the page's text)."""
    value = round(share * 100, 1)
    return f"{value:g} %"


def gauge(rate: float, limit: float, width: int = 560) -> Markup:
    """The 30-day abandonment rate as a bar against the legal limit's line (3 %)."""
    scale = max(limit * 5 / 3, rate * 1.25)
    left, right, y, h = 10, width - 10, 26, 22
    span = right - left
    fill = span * min(rate, scale) / scale
    mark = left + span * limit / scale
    state = "over" if rate > limit else "ok"
    desc = f"Abandonment rate over 30 days: {_pct(rate)}; the limit is {_pct(limit)}; " + (
        "over the limit" if rate > limit else "within the limit"
    )
    body = [
        f'<rect class="track" x="{left}" y="{y}" width="{span}" height="{h}"/>',
        f'<rect class="fill {state}" x="{left}" y="{y}" width="{fill:.1f}" height="{h}"/>',
        f'<line class="limit" x1="{mark:.1f}" y1="{y - 8}" x2="{mark:.1f}" y2="{y + h + 8}"/>',
        f'<text class="limit-label" x="{mark:.1f}" y="{y - 12}" text-anchor="middle">'
        f"{_pct(limit)} limit</text>",
        f'<text class="label" x="{left}" y="{y + h + 20}">0 %</text>',
        f'<text class="label" x="{right}" y="{y + h + 20}" text-anchor="end">{_pct(scale)}</text>',
    ]
    return _frame(width, y + h + 28, "Abandonment rate, last 30 days", desc, body)
