"""The building blocks of the offline report's page: sections, figures, tables, the CSS.

Everything that goes into the page passes ``escape`` here, except ``Html`` made by this package.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

from copyctl.html_charts import number, ratio_bar


@dataclass(frozen=True, slots=True)
class Html:
    """Markup made by this package (a chart), not to be escaped again."""

    markup: str
    css_class: str = ""


Cell = str | int | float | Html | None


def page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def section(anchor: str, title: str, guidance: Sequence[str], content: str) -> str:
    return (
        f'<section id="{escape(anchor)}"><h2>{escape(title)}</h2>'
        f"{what_good_looks_like(guidance)}{content}</section>"
    )


def what_good_looks_like(texts: Iterable[str]) -> str:
    """The dashboard's words (``**bold**`` its only markdown)."""
    paragraphs = "".join(f"<p>{markdown(text)}</p>" for text in texts)
    return f'<div class="good">{paragraphs}</div>'


def markdown(text: str) -> str:
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escape(text))


def figure(anchor: str, label: str, value: str, detail: str) -> str:
    return (
        f'<div class="figure"><span class="figure-label">{escape(label)}</span>'
        f'<span class="figure-value" id="{escape(anchor)}">{escape(value)}</span>'
        f'<span class="figure-detail">{escape(detail)}</span></div>'
    )


def chart(title: str, svg: str) -> str:
    return f'<figure class="chart-box"><figcaption>{escape(title)}</figcaption>{svg}</figure>'


def table(
    headers: Sequence[str], rows: Sequence[Sequence[Cell]], total: Sequence[Cell] = ()
) -> str:
    head = "".join(f"<th>{escape(header)}</th>" for header in headers)
    body = "".join(f"<tr>{''.join(cell(value) for value in row)}</tr>" for row in rows)
    foot = f"<tfoot><tr>{''.join(cell(v) for v in total)}</tr></tfoot>" if total else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>{foot}</table>"


def cell(value: Cell) -> str:
    if isinstance(value, Html):
        return f'<td class="{escape(value.css_class)}">{value.markup}</td>'
    if isinstance(value, int | float):
        return f'<td class="num">{escape(number(value))}</td>'
    text = value or ""
    return f'<td class="long">{escape(text)}</td>' if len(text) > 40 else f"<td>{escape(text)}</td>"


def ratio(part: int, whole: int) -> Html:
    return Html(f"{ratio_bar(part, whole)} {escape(percent(part, whole))}", "ratio-cell")


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "n/a"


def duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    return f"{hours}h{minutes % 60:02d}m" if hours < 48 else f"{hours // 24}d{hours % 24:02d}h"


CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;
max-width:1200px;padding:0 16px;color:#1d2733;background:#fff}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d5dbe1}
.source{color:#5f6b7a;margin:2px 0}.notes{color:#8a4b00}
.good{background:#f1f7ff;border-left:4px solid #1565c0;padding:4px 12px;margin:8px 0}
.good p{margin:6px 0}
.figure{display:inline-flex;flex-direction:column;border:1px solid #d5dbe1;border-radius:6px;
padding:8px 16px;margin:8px 0}
.figure-label{color:#5f6b7a;font-size:12px}.figure-value{font-size:32px;font-weight:600}
.figure-detail{color:#5f6b7a;font-size:12px}
.chart-box{margin:12px 0;overflow-x:auto}
.chart text{font-size:12px;fill:#1d2733}.chart .group{font-weight:600}
.chart .marker{stroke:#c62828;stroke-dasharray:4 3;stroke-width:1.5}
.chart .marker-label{fill:#c62828}
.tone-good{fill:#2e7d32}.tone-bad{fill:#c62828}.tone-dependent{fill:#6a1b9a}
.tone-warn{fill:#ef6c00}
.tone-info{fill:#1565c0}.tone-neutral{fill:#8a949e}.tone-track{fill:#e3e7eb}
table{border-collapse:collapse;margin:8px 0;font-size:13px}
th,td{border:1px solid #d5dbe1;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f6f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
tfoot td{font-weight:600}td.long{overflow-wrap:anywhere;min-width:160px;max-width:420px}
td.ratio-cell{white-space:nowrap}figure{margin:12px 0}figcaption{font-weight:600;margin:4px 0}
.empty,.more{color:#5f6b7a}footer{margin-top:32px;color:#5f6b7a;font-size:12px}
"""
