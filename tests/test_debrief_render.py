"""The debrief's render functions without an app: every line fits its width at 30 to 160
columns, words wrap instead of being cut (paths break after a `/`), quoted strings are inert,
times are drill time, the timeline marks the journal lines inside a lost stretch."""

from __future__ import annotations

from dataclasses import replace

import pytest
from debrief_cards import HOSTILE, at, bad_play, good_play, hostile_play
from hypothesis import given
from hypothesis import strategies as st

from tui.domain.drill_scorecard import Moment
from tui.domain.timeline import EventCategory, EventSeverity, Symbol, TimelineEntry
from widgets.debrief_render import (
    anti_pattern_lines,
    anti_pattern_summary,
    drill_offset,
    headline_lines,
    measure_lines,
    practise_lines,
    timeline_lines,
    truth_lines,
    warning_lines,
)
from widgets.text import line_text, line_width
from widgets.wrapping import wrap

RENDERS = (headline_lines, measure_lines, anti_pattern_lines, truth_lines, practise_lines,
           warning_lines, timeline_lines)
CARDS = {"good": good_play, "bad": bad_play, "hostile": hostile_play}


def _entry(clock: str, text: str) -> TimelineEntry:
    return TimelineEntry(1, at(clock), clock, "alice", EventCategory.STEP, Symbol.OK, text,
                         EventSeverity.OK)


@pytest.mark.parametrize("card", CARDS)
@pytest.mark.parametrize("width", (30, 48, 77, 118, 160))
def test_every_line_fits_and_nothing_is_lost(card: str, width: int) -> None:
    scorecard = CARDS[card]()
    for render in RENDERS:
        lines = render(scorecard, width)
        assert lines or render is warning_lines, render.__name__
        too_wide = [line_text(line) for line in lines if line_width(line) > width]
        assert not too_wide, (render.__name__, too_wide)
    # Wide enough, every word of the evidence is shown whole, in order.
    if width >= 77:
        shown = " ".join(line_text(line) for line in anti_pattern_lines(scorecard, width))
        for pattern in scorecard.anti_patterns:
            for item in pattern.evidence:
                words = [w for w in item.text.split() if "/" not in w]
                if card != "hostile":
                    assert all(w in shown for w in words), item.text


def test_hostile_strings_are_inert_everywhere() -> None:
    card = hostile_play()
    text = "\n".join(line_text(line) for render in RENDERS for line in render(card, 200))
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "^[[2J" in text and "[bold red]boom[/]" in text and "<U+202E>" in text
    assert HOSTILE not in text


def test_a_path_wider_than_the_line_breaks_after_a_slash() -> None:
    path = "/apis/apps/v1/namespaces/production/deployments/checkout"
    lines = wrap(f"PATCH {path} by kubectl", 40)
    assert all(len(line) <= 40 for line in lines)
    assert "".join(lines).replace(" ", "") == f"PATCH{path}bykubectl"
    assert lines[0].endswith("/") and not any(line.startswith("ckout") for line in lines)


@given(st.lists(st.text(alphabet="abc/.-_ ", min_size=1, max_size=30), min_size=1,
                max_size=8), st.integers(min_value=4, max_value=40))
def test_wrap_keeps_every_character_within_the_width(words: list[str], width: int) -> None:
    text = " ".join(words)
    lines = wrap(text, width)
    assert all(len(line) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_times_are_drill_time_since_the_start() -> None:
    card = good_play()
    assert drill_offset(card, at("04:19:43")) == "+7:36"
    fast = replace(card, speed=20.0)
    assert drill_offset(fast, at("04:12:37")) == "+10:00"  # 30 s of wall time at ×20
    # Before the drill started is history at wall speed, as the scorer counts it.
    assert drill_offset(fast, at("04:11:07")) == "-1:00"
    assert drill_offset(card, None) == ""
    assert "×20 speed, times in drill time" in " ".join(
        line_text(line) for line in headline_lines(fast, 80))


def test_headline_says_grade_decision_times_and_anti_patterns() -> None:
    text = [line_text(line) for line in headline_lines(bad_play(), 66)]
    assert text[0] == "of 100  POOR  by bob@laptop"
    assert text[1] == "Decision ROLLBACK ✓ ground truth ROLLBACK"
    assert "Decided in 24m 10s ◐ target ≤ 15m" in text[2]
    assert "Restored in 31m 5s ◐ target ≤ 15m" in " ".join(text[2:4])
    assert text[-1] == "Anti-patterns ✗ Hesitate Too Long · Improvise · +3 more (a)"
    assert line_text(anti_pattern_summary(good_play(), 66)) == "Anti-patterns ✓ none"
    provisional = replace(good_play(), ended_at=None)
    assert "PROVISIONAL: the drill is still open" in line_text(
        headline_lines(provisional, 120)[0])


def test_measures_show_evidence_only_where_points_were_lost() -> None:
    text = [line_text(line) for line in measure_lines(good_play(), 118)]
    assert text[0] == "Measures  95 of 100 points"
    assert text[2].startswith("✓ Time to decision 6m 3s ") and text[2].endswith("20/20")
    evidence = [line for line in text if "↳" in line]
    assert evidence == ["    ↳        —  journal   “Customer reports stopped” left open"]


def test_whole_timeline_marks_journal_lines_inside_a_lost_stretch() -> None:
    card = replace(good_play(), moments=(Moment(at("04:14:00"), 120.0, "waited"),))
    entries = [_entry("04:13:00", "before"), _entry("04:15:00", "inside"),
               _entry("04:17:00", "after")]
    lines = [line_text(line) for line in timeline_lines(card, 80, entries, whole=True)]
    assert "   +1:53 ⧗ 2:00 lost  waited" in lines
    assert "   +2:53 ▌✓ inside" in lines
    assert "   +0:53  ✓ before" in lines and "   +4:53  ✓ after" in lines
    moments_only = [line_text(line) for line in timeline_lines(card, 80, entries)]
    assert not any("inside" in line for line in moments_only)
    assert moments_only[-1] == "  +19:53 ■ drill ended"


def test_truth_and_practise() -> None:
    text = [line_text(line) for line in truth_lines(bad_play(), 80)]
    assert "Target     production/checkout → revision 2 (2.3.1)" in text
    assert "Untouched  production/payments" in text
    assert [line_text(line) for line in truth_lines(replace(good_play(), truth={}), 80)][1] \
        .startswith("◌ this scenario has no ground truth")
    practise = [line_text(line) for line in practise_lines(bad_play(), 80)]
    assert practise[1:] == ["• decide within 15 minutes: assess, then call it",
                            "• roll back through the runbook, not kubectl in another pane",
                            "• post the first status update within 15 minutes"]
