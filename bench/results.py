"""One measurement, and how the run prints and stores them."""

from __future__ import annotations

import json
import platform
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass
class Result:
    name: str
    value: float
    unit: str
    baseline: float | None = None  # measured in the same run
    baseline_name: str = ""
    target: float | None = None  # the ratio (or, without a baseline, the value) must not exceed it
    detail: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline  # type: ignore[operator]

    @property
    def verdict(self) -> str:
        if self.target is None:
            return "-"
        measured = self.ratio if self.ratio is not None else self.value
        return "PASS" if measured <= self.target else "MISS"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio, "verdict": self.verdict}


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def table(results: list[Result]) -> str:
    header = ("measurement", "value", "baseline", "ratio", "target", "verdict")
    rows = [
        (
            r.name,
            f"{_number(r.value)} {r.unit}",
            f"{_number(r.baseline)} ({r.baseline_name})" if r.baseline is not None else "-",
            _number(r.ratio),
            f"<= {_number(r.target)}" if r.target is not None else "-",
            r.verdict,
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    rule = "  ".join("-" * w for w in widths)
    head = "  ".join(cell.ljust(w) for cell, w in zip(header, widths, strict=True))
    notes = [f"  * {r.name}: {r.note}" for r in results if r.note]
    return "\n".join([head, rule, *lines, *(["", "notes:", *notes] if notes else [])])


def write(results: list[Result], path: Path, command: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "command": command,
        "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "results": [r.as_dict() for r in results],
    }
    path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
