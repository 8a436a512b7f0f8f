"""The phase strip: results of done phases, progress of the current one, narrow forms."""

from __future__ import annotations

import pytest
from widgets_scenario import (
    SIZES,
    THEMES,
    Harness,
    executing_state,
    runbook,
    screen_lines,
    verifying_state,
)

from tui.domain.incident import IncidentState
from tui.domain.status import Phase
from widgets.phase_strip import PhaseProgress, PhaseStrip, phase_progress, strip_line
from widgets.text import line_text, line_width


def test_progress_from_the_bad_release_incident_while_executing() -> None:
    data = phase_progress(executing_state(), runbook(), Phase.EXECUTE)
    assert data.results[Phase.ASSESS] == "P1 · score 72 → ROLLBACK"
    assert data.results[Phase.DECIDE] == "ROLLBACK → rev 2 (2.3.1)"
    assert data.progress[Phase.EXECUTE] == "7/13"
    assert line_text(strip_line(data, 120)) == (
        "① Assess ✓ P1 · score 72 → ROLLBACK  ② Decide ✓ ROLLBACK → rev 2 (2.3.1)   "
        "③ Execute 7/13  ④ Verify")


def test_at_80_the_decision_outlives_the_assessment() -> None:
    data = phase_progress(executing_state(), runbook(), Phase.EXECUTE)
    assert line_text(strip_line(data, 80)) == (
        "① Assess ✓  ② Decide ✓ ROLLBACK → rev 2 (2.3.1)   ③ Execute 7/13  ④ Verify")


def test_a_failed_check_marks_verify_and_closed_shows_the_status() -> None:
    data = phase_progress(verifying_state(), runbook(), Phase.CLOSED)
    text = line_text(strip_line(data, 120))
    assert "④ Verify ✗ FAILED" in text
    assert text.endswith("■ CLOSED ")
    assert ("✗", "failed") in strip_line(data, 120)


def test_a_fresh_incident_shows_only_names() -> None:
    data = phase_progress(IncidentState(), runbook(), Phase.ASSESS)
    assert line_text(strip_line(data, 80)) == " ① Assess   ② Decide  ③ Execute  ④ Verify"
    assert strip_line(data, 80)[0] == (" ① Assess ", "current")


@pytest.mark.parametrize("width", [120, 80, 60, 40, 20, 5])
def test_never_wider_than_its_width(width: int) -> None:
    data = PhaseProgress(Phase.VERIFY, {p: "x" * 90 for p in Phase}, {Phase.VERIFY: "y" * 40})
    assert line_width(strip_line(data, width)) <= width


async def test_the_screen_sets_new_progress() -> None:
    strip = PhaseStrip(PhaseProgress(Phase.ASSESS))
    app = Harness(lambda: [strip])
    async with app.run_test(size=(80, 3)) as pilot:
        strip.progress = PhaseProgress(Phase.DECIDE, {Phase.ASSESS: "P1"})
        await pilot.pause()
        assert screen_lines(app)[0].startswith("① Assess ✓ P1   ② Decide ")


def strips() -> list[PhaseStrip]:
    """The strip through the incident: assessing, executing, verifying, closed."""
    book = runbook()
    return [
        PhaseStrip(phase_progress(IncidentState(), book, Phase.ASSESS)),
        PhaseStrip(phase_progress(executing_state(), book, Phase.EXECUTE)),
        PhaseStrip(phase_progress(verifying_state(), book, Phase.VERIFY)),
        PhaseStrip(phase_progress(verifying_state(), book, Phase.CLOSED)),
    ]


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot(snap_compare, size: tuple[int, int], theme: str) -> None:
    """Four strips: assessing; executing 7/13; verifying (a check failed); closed FAILED."""
    assert snap_compare(Harness(strips, theme), terminal_size=size)
