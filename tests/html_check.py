"""Reading an HTML page back in tests: is it well formed, what does it say, what would it fetch;
and the headless browser that renders it for real."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

BROWSERS = ("chromium", "chromium-browser", "/usr/bin/chromium")

# Elements without an end tag (HTML Living Standard, "void elements").
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


@dataclass
class Page:
    tags: list[str] = field(default_factory=list)
    attributes: list[tuple[str, str, str | None]] = field(default_factory=list)  # tag, name, value
    problems: list[str] = field(default_factory=list)  # unbalanced or misnested tags
    text_by_id: dict[str, str] = field(default_factory=dict)
    sections: dict[str, str] = field(default_factory=dict)  # section id -> its text
    text: str = ""


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.open: list[tuple[str, str | None]] = []  # tag, id
        self.texts: list[str] = []
        self.by_id: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs)
        if tag not in VOID:
            self.open.append((tag, dict(attrs).get("id")))
            if (anchor := dict(attrs).get("id")) is not None:
                self.by_id[anchor] = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs)  # <rect .../>: opened and closed at once

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            self.page.problems.append(f"end tag of void element {tag}")
            return
        if not self.open or self.open[-1][0] != tag:
            expected = self.open[-1][0] if self.open else "nothing"
            self.page.problems.append(f"</{tag}> closes {expected}")
            return
        _, anchor = self.open.pop()
        if anchor is not None:
            self.page.text_by_id[anchor] = _words(self.by_id[anchor])

    def handle_data(self, data: str) -> None:
        if self.open and self.open[-1][0] in {"style", "script"}:
            return
        self.texts.append(data)
        for _, anchor in self.open:
            if anchor is not None:
                self.by_id[anchor].append(data)

    def _element(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.page.tags.append(tag)
        self.page.attributes.extend((tag, name, value) for name, value in attrs)


def read_page(html: str) -> Page:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    page = reader.page
    page.problems.extend(f"<{tag}> never closed" for tag, _ in reader.open)
    page.text = _words(reader.texts)
    page.sections = {
        anchor: text
        for anchor, text in page.text_by_id.items()
        if ("section", "id", anchor) in page.attributes
    }
    return page


def _words(chunks: list[str]) -> str:
    """The text, one space between words (and between elements: ``<td>1</td><td>2</td>``)."""
    return " ".join(" ".join(chunks).split())


def fetches(page: Page) -> list[str]:
    """Whatever the page would load from elsewhere: src/href attributes, CSS url() and @import."""
    found = [f"{tag} {name}={value}" for tag, name, value in page.attributes if name in _LINKS]
    found += [tag for tag in page.tags if tag in {"script", "iframe", "object", "embed", "link"}]
    return found


_LINKS = frozenset({"src", "href", "srcset", "xlink:href", "data", "action", "poster"})


def find_chromium() -> str:
    """Debian's chromium. Without one: a skip on a developer's machine, a failure in CI (the
    variable ``CI`` set: .ci/run installs the browser, so its absence is a broken pipeline)."""
    for name in BROWSERS:
        if found := shutil.which(name):
            return found
    if os.environ.get("CI"):
        pytest.fail("CI is set and no chromium was found (.ci/run installs it as root)")
    pytest.skip("no chromium installed (Debian: apt-get install chromium)")


# A hung browser must not hold the suite: a guard, not a measurement.
GUARD_SECONDS = 120


def headless(browser: str, profile: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """Run headless chromium with a throw-away profile; fails on a non-zero exit."""
    return subprocess.run(
        [
            browser,
            "--headless",
            "--disable-gpu",
            "--no-sandbox",  # root in containers and CI
            "--no-first-run",
            f"--user-data-dir={profile}",
            *arguments,
        ],
        capture_output=True,
        text=True,
        timeout=GUARD_SECONDS,
        check=True,
    )
