"""Inline SVG charts for the offline report: horizontal bars, every value written beside its bar.

Plain SVG styled by the page's own CSS (classes ``tone-*``): no script, nothing fetched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 960
_LABEL_WIDTH = 240  # the labels' column; the bars start after it
_BAR_SPACE = 380
_ROW = 22
_BAR = 14
_PAD = 8
_MAX_LABEL = 34


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float
    tone: str = "neutral"  # good, bad, dependent, warn, info, neutral
    shown: str | None = None  # the text beside the bar; default: the value

    @property
    def text(self) -> str:
        return self.shown if self.shown is not None else number(self.value)


@dataclass(frozen=True, slots=True)
class Marker:
    """A vertical line across the chart, e.g. an alarm threshold."""

    value: float
    label: str


def number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def bar_chart(title: str, bars: Sequence[Bar], *, marker: Marker | None = None) -> str:
    """One bar per row, its value beside it; ``marker``: a vertical line (a threshold)."""
    if not bars:
        return _nothing(title)
    scale = max([*(bar.value for bar in bars), marker.value if marker else 0.0, 1.0])
    rows = [_bar_row(bar, _PAD + i * _ROW, scale) for i, bar in enumerate(bars)]
    bottom = _PAD + len(bars) * _ROW
    if marker:
        rows.append(_marker(marker, bottom, scale))
        bottom += _ROW
    return _svg(title, rows, bottom + _PAD)


@dataclass(frozen=True, slots=True)
class StackedRow:
    """A track of length ``total`` with the segments laid over it from the left."""

    label: str
    total: float
    segments: Sequence[Bar]
    shown: str


def stacked_bar_chart(title: str, rows: Sequence[StackedRow], legend: Sequence[Bar]) -> str:
    if not rows:
        return _nothing(title)
    scale = max([*(max(row.total, sum(b.value for b in row.segments)) for row in rows), 1.0])
    parts = [_legend(legend)]
    for index, row in enumerate(rows, start=1):
        parts.append(_stacked_row(row, _PAD + index * _ROW, scale))
    return _svg(title, parts, _PAD * 2 + (len(rows) + 1) * _ROW)


def ratio_bar(part: int, whole: int) -> str:
    """A small bar for a table cell: ``part`` of ``whole`` filled."""
    width = 100
    filled = round(width * part / whole) if whole else 0
    tone = "good" if whole and part == whole else "warn"
    return (
        f'<svg class="ratio" xmlns="http://www.w3.org/2000/svg" width="{width}" height="10" '
        f'viewBox="0 0 {width} 10" aria-hidden="true">'
        f'<rect class="tone-track" x="0" y="0" width="{width}" height="10"/>'
        f'<rect class="tone-{tone}" x="0" y="0" width="{filled}" height="10"/></svg>'
    )


def _svg(title: str, parts: Sequence[str], height: int) -> str:
    return (
        f'<svg class="chart" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}"><title>{escape(title)}</title>' + "".join(parts) + "</svg>"
    )


def _nothing(title: str) -> str:
    return f'<p class="empty">{escape(title)}: nothing to show.</p>'


def _bar_row(bar: Bar, y: int, scale: float) -> str:
    length = _length(bar.value, scale)
    x = _LABEL_WIDTH
    return (
        _text("label", 0, y, _label(bar.label))
        + _rect(bar.tone, x, y, length)
        + _text("value", x + length + 6, y, escape(bar.text))
    )


def _stacked_row(row: StackedRow, y: int, scale: float) -> str:
    parts = [
        _text("label", 0, y, _label(row.label)),
        _rect("track", _LABEL_WIDTH, y, _length(row.total, scale)),
    ]
    x = _LABEL_WIDTH
    for segment in row.segments:
        length = _length(segment.value, scale)
        parts.append(_rect(segment.tone, x, y, length))
        x += length
    end = _LABEL_WIDTH + _length(max(row.total, sum(s.value for s in row.segments)), scale)
    parts.append(_text("value", end + 6, y, escape(row.shown)))
    return "".join(parts)


def _legend(entries: Sequence[Bar]) -> str:
    parts, x = [], _LABEL_WIDTH
    for entry in entries:
        parts.append(
            f'<rect class="tone-{escape(entry.tone)}" x="{x}" y="{_PAD + 3}" '
            f'width="10" height="10"/>'
        )
        parts.append(_text("legend", x + 14, _PAD, escape(entry.label)))
        x += 24 + 7 * len(entry.label)
    return "".join(parts)


def _rect(tone: str, x: int, y: int, width: int) -> str:
    return f'<rect class="tone-{escape(tone)}" x="{x}" y="{y}" width="{width}" height="{_BAR}"/>'


def _text(kind: str, x: int, y: int, content: str) -> str:
    return f'<text class="{kind}" x="{x}" y="{y + _BAR - 2}">{content}</text>'


def _length(value: float, scale: float) -> int:
    return round(_BAR_SPACE * value / scale) if value > 0 else 0


def _marker(marker: Marker, bottom: int, scale: float) -> str:
    x = _LABEL_WIDTH + round(_BAR_SPACE * marker.value / scale)
    return (
        f'<line class="marker" x1="{x}" y1="0" x2="{x}" y2="{bottom}"/>'
        f'<text class="marker-label" x="{x + 4}" y="{bottom + _BAR - 2}">'
        f"{escape(marker.label)}</text>"
    )


def _label(text: str) -> str:
    if len(text) <= _MAX_LABEL:
        return escape(text)
    return f"{escape(text[: _MAX_LABEL - 1])}…<title>{escape(text)}</title>"
