"""The context bar: what it says at each width, its clocks, PROD, and how it looks."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from widgets_scenario import (
    INCIDENT_ID,
    NOW,
    SIZES,
    THEMES,
    Harness,
    epoch_at,
    fixed_clock,
    screen_lines,
)

from tui.domain.drill_timing import ScenarioClock
from tui.domain.status import Phase
from widgets.context_bar import (
    ContextBar,
    ContextInfo,
    bar_line,
    clock_line,
    is_production,
    short_incident,
)
from widgets.text import line_text, line_width

DETECTED = epoch_at("04:12:07")
EXECUTING = ContextInfo("kind-prod", "production", "checkout", INCIDENT_ID, Phase.EXECUTE,
                        DETECTED, NOW + 192, drill=True)


def text_at(info: ContextInfo, width: int, now: float = NOW) -> str:
    return line_text(bar_line(info, now, width, is_production(info.context)))


def test_production_is_a_case_insensitive_search_and_configurable() -> None:
    assert is_production("kind-prod")
    assert is_production("EU-PROD-1")
    assert not is_production("staging")
    assert is_production("live-eu", r"^live-")
    assert not is_production("kind-prod", re.compile(r"^live-"))


def test_incident_ids_shorten_to_their_hour_and_minute() -> None:
    assert short_incident(INCIDENT_ID) == "…0412"
    assert short_incident("INC-7") == "INC-7"
    assert short_incident("a-very-long-incident-name") == "…t-name"


def test_wide_bar_has_every_label_and_value() -> None:
    text = text_at(EXECUTING, 140)
    assert text == (" DRILL   PROD  kind-prod ▸ production ▸ deploy/checkout · INC "
                    f"{INCIDENT_ID} · ③ EXECUTE · detected 14m · update in 3:12")


def test_at_120_the_incident_id_shortens_first() -> None:
    assert text_at(EXECUTING, 120) == (" DRILL   PROD  kind-prod ▸ production ▸ deploy/checkout"
                                        " · INC …0412 · ③ EXECUTE · detected 14m · update in 3:12")


def test_at_80_labels_go_and_values_stay() -> None:
    text = text_at(EXECUTING, 80)
    assert text == "DRILL PROD kind-prod▸production▸checkout INC…0412 ③ 14m upd 3:12"
    for value in ("kind-prod", "production", "checkout", "0412", "③", "14m", "3:12"):
        assert value in text


@pytest.mark.parametrize("width", [120, 100, 80, 60, 50, 40, 30, 12])
def test_the_bar_never_exceeds_its_width(width: int) -> None:
    info = ContextInfo("a-rather-long-production-context-name", "payments-production",
                       "checkout-frontend-canary", INCIDENT_ID, Phase.VERIFY, DETECTED,
                       NOW - 125, drill=True, dry_run=True, read_only=True,
                       held_by="alice@build-host-17")
    line = bar_line(info, NOW, width, True)
    assert line_width(line) <= width


def test_narrow_bar_cuts_the_path_before_the_phase_and_the_clock() -> None:
    text = text_at(EXECUTING, 60)
    assert text.endswith("INC…0412 ③ 14m upd 3:12")
    assert text.startswith("DRILL PROD kind-prod▸")


def test_update_clock_turns_warning_then_error_with_words() -> None:
    soon = ContextInfo("c", "n", "d", update_due_at=NOW + 42)
    late = ContextInfo("c", "n", "d", update_due_at=NOW - 125)
    assert clock_line(soon, NOW, True) == [("update in ", "muted"), ("0:42", "warning")]
    assert clock_line(late, NOW, True) == [("update ", "muted"), ("OVERDUE 2:05", "error")]
    assert line_text(clock_line(late, NOW, False)) == "upd OVERDUE 2:05"
    calm = ContextInfo("c", "n", "d", update_due_at=NOW + 192)
    assert clock_line(calm, NOW, True)[-1] == ("3:12", "")


def test_a_drill_at_speed_says_so_and_its_clocks_run_at_that_speed() -> None:
    """×10 from the drill's start: 84 wall seconds since detection are 14 of its minutes, and
    an update due in 19.2 wall seconds is 3:12 away on its clock."""
    pace = ScenarioClock(10.0, NOW - 600)
    fast = replace(EXECUTING, detected_at=NOW - 84, update_due_at=NOW + 19.2, pace=pace)
    assert text_at(fast, 150) == (" DRILL ×10   PROD  kind-prod ▸ production ▸ deploy/checkout"
                                  f" · INC {INCIDENT_ID} · ③ EXECUTE · detected 14m · update in "
                                  "3:12")
    assert line_text(clock_line(replace(fast, update_due_at=NOW - 12.5), NOW, False)) == \
        "14m upd OVERDUE 2:05"


def test_a_closed_incident_age_stops_at_its_resolution() -> None:
    closed = replace(EXECUTING, phase=Phase.CLOSED, update_due_at=None, ended_at=DETECTED + 600)
    assert line_text(clock_line(closed, DETECTED + 7200, True)) == "detected 10m"


def test_production_context_is_in_the_error_role_with_a_prod_badge() -> None:
    line = bar_line(EXECUTING, NOW, 120, True)
    assert ("kind-prod", "prod") in line
    assert (" PROD ", "prod-badge") in line
    staging = ContextInfo("kind-staging", "production", "checkout")
    assert ("kind-staging", "") in bar_line(staging, NOW, 120, False)
    assert "PROD " not in text_at(staging, 120)


def test_follower_sees_who_holds_the_incident() -> None:
    info = ContextInfo("kind-prod", "production", "checkout", INCIDENT_ID, Phase.EXECUTE,
                       read_only=True, held_by="alice@host")
    assert text_at(info, 160).endswith("· followed · held by alice@host")
    assert "READ-ONLY" in text_at(info, 80)
    assert text_at(info, 80).endswith("held by alice@host")


def test_closed_incidents_say_so() -> None:
    info = ContextInfo("kind-prod", "production", "checkout", INCIDENT_ID, Phase.CLOSED)
    assert "■ CLOSED" in text_at(info, 120)
    assert "CLOSED" in text_at(info, 60)


async def test_only_the_clock_moves_each_second() -> None:
    now = [NOW]
    bar = ContextBar(EXECUTING, clock=lambda: now[0])
    app = Harness(lambda: [bar])
    async with app.run_test(size=(120, 3)) as pilot:
        await pilot.pause()
        forms = bar._forms
        assert "update in 3:12" in screen_lines(app)[0]
        now[0] = NOW + 192 + 5
        await pilot.pause(1.2)
        assert "update OVERDUE 0:05" in screen_lines(app)[0]
        assert bar.has_class("-overdue") and bar.has_class("-prod")
        assert bar._forms is forms  # the rest of the bar was not recomputed


async def test_new_info_replaces_the_whole_bar() -> None:
    bar = ContextBar(EXECUTING, clock=fixed_clock)
    app = Harness(lambda: [bar])
    async with app.run_test(size=(120, 3)) as pilot:
        bar.info = ContextInfo("kind-staging", "web", "shop", None, Phase.DECIDE)
        await pilot.pause()
        assert screen_lines(app)[0].startswith("kind-staging ▸ web ▸ deploy/shop · ② DECIDE")
        assert not bar.has_class("-prod")


def bars() -> list[ContextBar]:
    """The bar in the situations an operator meets it."""
    infos = [
        EXECUTING,
        ContextInfo("kind-prod", "production", "checkout", INCIDENT_ID, Phase.DECIDE, DETECTED,
                    NOW + 42, dry_run=True),
        ContextInfo("staging-eu", "shop", "cart", "20261130-093000-revert-deployment",
                    Phase.VERIFY, DETECTED, NOW - 125),
        ContextInfo("kind-prod", "production", "checkout", INCIDENT_ID, Phase.EXECUTE, DETECTED,
                    NOW + 192, read_only=True, held_by="alice@laptop"),
        ContextInfo("kind-prod", "production", "checkout", INCIDENT_ID, Phase.CLOSED, DETECTED),
    ]
    return [ContextBar(info, clock=fixed_clock) for info in infos]


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot(snap_compare, size: tuple[int, int], theme: str) -> None:
    """Five bars: drill in prod executing; dry-run deciding, update due in 0:42; staging
    verifying with the update overdue; a follower (read-only, held by alice); closed."""
    assert snap_compare(Harness(bars, theme), terminal_size=size)
