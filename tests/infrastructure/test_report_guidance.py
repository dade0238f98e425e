"""The offline report (copyctl status --html, the demo) says what good is as the dashboard does.

Every "what good looks like" text of copyctl.dashboard_guidance is a verbatim part of a text widget
of CopyStatusDashboard or of an alarm description, and every chart title it borrows is a widget's.
"""

from __future__ import annotations

from typing import Any

import pytest

from copyctl import dashboard_guidance as guidance
from tests.infrastructure.metric_references import dashboard_body
from tests.template_loader import RenderedStack

TEXTS = [
    *guidance.OVERVIEW,
    *guidance.COVERAGE,
    *guidance.OLDEST_UNPROTECTED,
    *guidance.COPIES,
    *guidance.FAILURES,
    *guidance.UNPROTECTED,
]


def _widgets(stack: RenderedStack) -> list[dict[str, Any]]:
    widgets: list[dict[str, Any]] = dashboard_body(stack, "CopyStatusDashboard")["widgets"]
    return widgets


def _said(stack: RenderedStack) -> list[str]:
    """The dashboard's markdown and the alarm descriptions, one space between words."""
    texts = [w["properties"]["markdown"] for w in _widgets(stack) if w["type"] == "text"]
    texts += [
        str(alarm["Properties"].get("AlarmDescription", ""))
        for alarm in stack.of_type("AWS::CloudWatch::Alarm").values()
    ]
    return [" ".join(text.split()) for text in texts]


@pytest.mark.parametrize("text", TEXTS, ids=lambda text: text[:40])
def test_each_guidance_text_is_said_by_the_dashboard_or_an_alarm(
    primary_stack: RenderedStack, text: str
) -> None:
    assert any(" ".join(text.split()) in said for said in _said(primary_stack))


def test_each_borrowed_chart_title_is_a_dashboard_widget_title(
    primary_stack: RenderedStack,
) -> None:
    titles = {w["properties"].get("title") for w in _widgets(primary_stack)}
    assert set(guidance.WIDGET_TITLES) <= titles
    assert guidance.FAILURES_TITLE in titles
