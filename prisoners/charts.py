"""Server-rendered SVG charts: no JavaScript, scaled to the width of the screen.

Every chart is an `<svg role="img">` named by its `<title>` and described by its `<desc>`; the
page puts the same figures in a table next to it, for screen readers and for anyone who cannot
tell the colours apart. All text passes through `format_html`, so
labels are escaped; numbers are formatted here, never taken as markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

# Paul Tol's "muted" scheme: sober, and distinct for the common kinds of colour blindness.
PALETTE = ("#332288", "#117733", "#882255", "#44aa99", "#999933", "#aa4499", "#cc6677", "#88ccee")
INK, MUTED, GRID, ACCENT = "#1a1a1a", "#555555", "#d0d0d0", "#0b4f8a"
# A narrow canvas keeps 14px text legible (~12px) when a phone scales the chart to ~340px;
# the page caps the width on wide screens so the text does not grow past ~18px.
WIDTH = 400
FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', sans-serif\""


@dataclass(frozen=True)
class Series:
    """One coloured series of a bar chart: its label and one value per column."""

    label: str
    values: Sequence[int]
    colour: str = ACCENT


def _ticks(top: int, count: int = 4) -> list[int]:
    """Round, evenly spaced whole numbers from 0 up to at least `top`: about `count` steps."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    steps = (m * magnitude for m in (1, 2, 2.5, 5, 10))
    step = int(next(s for s in steps if s >= raw and s >= 1 and float(s).is_integer()))
    return list(range(0, math.ceil(top / step) * step + 1, step))


def _fmt(template: str, *args, **kwargs) -> SafeString:
    """format_html, with coordinates rounded to tenths (format_html escapes before formatting)."""

    def tidy(value):
        return f"{value:.1f}" if isinstance(value, float) else value

    return format_html(template, *map(tidy, args), **{key: tidy(value) for key, value in kwargs.items()})


def _svg(chart_id: str, height: int, title: str, desc: str, body: SafeString) -> SafeString:
    return format_html(
        '<svg class="chart" id="{id}" role="img" aria-labelledby="{id}-title {id}-desc" viewBox="0 0 {w} {h}" '
        'width="100%" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg" {font} font-size="14">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        id=chart_id,
        w=WIDTH,
        h=height,
        font=mark_safe(FONT),  # noqa: S308 a constant of this module
        title=title,
        desc=desc,
        body=body,
    )


def _join(parts: Sequence[SafeString]) -> SafeString:
    # Each part was built by format_html, so every label in it is already escaped.
    return mark_safe("".join(parts))  # noqa: S308 parts are format_html output


def _y_axis(ticks: list[int], y_of, left: int, right: int) -> SafeString:
    return _join(
        [
            _fmt(
                '<line x1="{l}" x2="{r}" y1="{y}" y2="{y}" stroke="{grid}" stroke-width="1"/>'
                '<text x="{tx}" y="{y}" dy="0.35em" text-anchor="end" fill="{muted}">{label}</text>',
                l=left,
                r=right,
                y=y_of(tick),
                grid=GRID,
                tx=left - 6,
                muted=MUTED,
                label=_number(tick),
            )
            for tick in ticks
        ]
    )


def _number(value: int) -> str:
    # A narrow no-break space groups thousands in every language the site speaks.
    return f"{value:,}".replace(",", "\u202f")


def _x_labels(x_labels: dict[int, str], x_of, baseline: float) -> SafeString:
    return _join(
        [
            _fmt(
                '<line x1="{x}" x2="{x}" y1="{y0}" y2="{y1}" stroke="{muted}"/>'
                '<text x="{x}" y="{ty}" text-anchor="middle" fill="{muted}">{label}</text>',
                x=x_of(index),
                y0=baseline,
                y1=baseline + 5,
                ty=baseline + 20,
                muted=MUTED,
                label=label,
            )
            for index, label in sorted(x_labels.items())
        ]
    )


def line_chart(
    values: Sequence[int],
    *,
    chart_id: str,
    title: str,
    desc: str,
    x_labels: dict[int, str],
    height: int = 220,
    upper: Sequence[int] | None = None,
) -> SafeString:
    """A line over `values` (one per column); `x_labels` maps column indexes to axis labels.

    With `upper` (one value per column, each at least the line's), a pale band reaches from the
    line up to it: what the figures may also be.
    """
    # The right margin holds the latest value, written beside the line's last point.
    left, right, top, bottom = 44, WIDTH - 36, 12, height - 30
    ticks = _ticks(max([*values, *(upper or [])], default=0))
    span = len(values) - 1 or 1

    def x_of(index: int) -> float:
        return left + (right - left) * index / span

    def y_of(value: int) -> float:
        return bottom - (bottom - top) * value / ticks[-1]

    points = " ".join(f"{x_of(i)},{y_of(v)}" for i, v in enumerate(values))
    parts = [_y_axis(ticks, y_of, left, right), _x_labels(x_labels, x_of, bottom)]
    if upper and len(values) > 1 and any(high > low for high, low in zip(upper, values, strict=True)):
        band = [f"{x_of(i)},{y_of(v)}" for i, v in enumerate(upper)]
        band += [f"{x_of(i)},{y_of(v)}" for i, v in reversed(list(enumerate(values)))]
        parts.append(_fmt('<polygon points="{}" fill="{}" fill-opacity="0.18" stroke="none"/>', " ".join(band), ACCENT))
    if len(values) > 1:
        parts.append(
            _fmt(
                '<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5" stroke-linejoin="round"/>',
                points,
                ACCENT,
            )
        )
    if values:
        last_x, last_y = x_of(len(values) - 1), y_of(values[-1])
        parts.append(
            _fmt(
                '<circle cx="{x}" cy="{y}" r="4" fill="{c}"/>'
                '<text x="{tx}" y="{y}" dy="0.35em" fill="{ink}" font-weight="600">{label}</text>',
                x=last_x,
                y=last_y,
                tx=last_x + 8,
                c=ACCENT,
                ink=INK,
                label=_number(values[-1]),
            )
        )
    return _svg(chart_id, height, title, desc, _join(parts))


def bar_chart(
    columns: Sequence[str],
    series: Sequence[Series],
    *,
    chart_id: str,
    title: str,
    desc: str,
    x_labels: dict[int, str],
    height: int = 200,
) -> SafeString:
    """Vertical bars, one per column, stacked by series; each bar segment has a tooltip."""
    left, right, top, bottom = 44, WIDTH - 12, 12, height - 30
    totals = [sum(s.values[i] for s in series) for i in range(len(columns))]
    ticks = _ticks(max(totals, default=0))
    slot = (right - left) / (len(columns) or 1)
    bar = max(slot * 0.75, 1)

    def x_of(index: int) -> float:
        return left + slot * (index + 0.5)

    def y_of(value: float) -> float:
        return bottom - (bottom - top) * value / ticks[-1]

    parts = [_y_axis(ticks, y_of, left, right), _x_labels(x_labels, x_of, bottom)]
    for index, column in enumerate(columns):
        stacked = 0
        for one in series:
            value = one.values[index]
            if not value:
                continue
            parts.append(
                _fmt(
                    '<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{c}">'
                    "<title>{column}: {label} {value}</title></rect>",
                    x=x_of(index) - bar / 2,
                    y=y_of(stacked + value),
                    w=bar,
                    h=y_of(stacked) - y_of(stacked + value),
                    c=one.colour,
                    column=column,
                    label=one.label,
                    value=_number(value),
                )
            )
            stacked += value
    return _svg(chart_id, height, title, desc, _join(parts))


def horizontal_bar_chart(items: Sequence[tuple[str, int]], *, chart_id: str, title: str, desc: str) -> SafeString:
    """One labelled bar per item, the label above its bar so long names fit on a phone."""
    row, left, right = 44, 4, WIDTH - 56
    height = max(len(items), 1) * row + 8
    top_value = max((value for _label, value in items), default=0) or 1
    parts = []
    for index, (label, value) in enumerate(items):
        y = 8 + index * row
        parts.append(
            _fmt(
                '<text x="{x}" y="{ty}" fill="{ink}">{label}</text>'
                '<rect x="{x}" y="{by}" width="{w}" height="16" fill="{c}"/>'
                '<text x="{vx}" y="{vy}" fill="{ink}" font-weight="600">{value}</text>',
                x=left,
                ty=y + 12,
                ink=INK,
                label=label,
                by=y + 18,
                w=max((right - left) * value / top_value, 1),
                c=ACCENT,
                vx=left + max((right - left) * value / top_value, 1) + 6,
                vy=y + 31,
                value=_number(value),
            )
        )
    return _svg(chart_id, height, title, desc, _join(parts))


def legend(series: Sequence[Series]) -> SafeString:
    """An HTML key for a stacked bar chart: it wraps on a phone where an SVG key would not."""
    return format_html(
        '<ul class="chart-legend">{}</ul>',
        format_html_join(
            "",
            '<li><svg width="12" height="12" aria-hidden="true" focusable="false"><rect width="12" height="12" '
            'fill="{}"/></svg> {}</li>',
            ((one.colour, one.label) for one in series),
        ),
    )
