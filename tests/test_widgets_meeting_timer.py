"""The decision meeting's clock: the seed's 15 minutes, on a drill's clock in a drill."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tui.domain.drill_timing import ScenarioClock
from widgets.meeting_timer import MeetingTimer

START = 1_796_000_000.0


class _Timer(App[None]):
    def __init__(self, now: float, pace: ScenarioClock | None = None) -> None:
        super().__init__()
        self.now, self.pace = now, pace

    def compose(self) -> ComposeResult:
        timer = MeetingTimer(clock=lambda: self.now)
        if self.pace is not None:
            timer.pace = self.pace
        yield timer


async def _shown(now: float, pace: ScenarioClock | None = None) -> tuple[str, bool]:
    app = _Timer(now, pace)
    async with app.run_test() as pilot:
        timer = app.query_one(MeetingTimer)
        timer.started_at = START
        await pilot.pause()
        return str(timer.render()).splitlines()[0], timer.has_class("-warning")


async def test_past_15_minutes_it_says_decide_now() -> None:
    assert await _shown(START + 6 * 60 + 32) == ("⏱ 6:32 of 15:00 — decide", False)
    line, warning = await _shown(START + 16 * 60)
    assert line.startswith("⏱ 16:00 of 30:00 — ! past 15 min: decide now") and warning


async def test_in_a_drill_at_speed_the_meeting_runs_on_the_drills_clock() -> None:
    """×10: 96 wall seconds are 16 of the drill's minutes, past the seed's 15."""
    line, warning = await _shown(START + 96, ScenarioClock(10.0, START - 30))
    assert line.startswith("⏱ 16:00 of 30:00 — ! past 15 min") and warning
