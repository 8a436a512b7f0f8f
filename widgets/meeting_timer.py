"""The decision meeting's clock: `6:32 of 15:00 — options analysis`, turning warning past 15
minutes and error past 30 (the seed's "15-30 minutes max": the team is hesitating)."""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from tui.domain.drill_timing import WALL
from tui.domain.strategies import (
    AGENDA,
    MEETING_MAX,
    MEETING_TARGET,
    agenda_position,
    meeting_level,
)


def clock_text(seconds: float) -> str:
    """`6:32`, `1:02:03`."""
    whole = max(int(seconds), 0)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def render_meeting(elapsed: float, *, decided: bool = False) -> Text:
    """The timer line and the agenda with the current item marked."""
    level = meeting_level(elapsed)
    text = Text()
    limit = MEETING_TARGET if elapsed < MEETING_TARGET else MEETING_MAX
    text.append(f"⏱ {clock_text(elapsed)} of {clock_text(limit)}", style="bold")
    if decided:
        text.append(" — decided")
    elif level == "ok":
        text.append(" — decide")
    elif level == "warning":
        text.append(" — ! past 15 min: decide now, don't hesitate when criteria are met")
    else:
        text.append(" — ✗ past 30 min: the meeting is over its maximum")
    index, into = agenda_position(elapsed)
    for number, item in enumerate(AGENDA):
        mark = "▶" if number == index and not decided else ("✓" if number < index or decided
                                                           else " ")
        text.append(f"\n{mark} {number + 1}. {item.title} ({item.minutes} min)")
        if number == index and not decided:
            text.append(f" · {clock_text(into)} in — " + "; ".join(item.points), style="dim")
    return text


class MeetingTimer(Widget):
    """Counts from the meeting's start; the screen sets `started_at` (epoch seconds)."""

    DEFAULT_CSS = """
    MeetingTimer { height: auto; border: round $primary; padding: 0 1; }
    MeetingTimer.-warning { border: round $warning; }
    MeetingTimer.-error { border: round $error; }
    """

    started_at: reactive[float | None] = reactive(None)
    """When the meeting began (None: not yet)."""
    decided: reactive[bool] = reactive(False)
    """The decision was recorded: the clock stops."""

    def __init__(self, clock: Callable[[], float] = time.time, **kwargs: object) -> None:
        """`clock` gives the time (injected in tests)."""
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.clock = clock
        self.pace = WALL  # a drill's clock: the meeting's 15 minutes pass at its speed

    def on_mount(self) -> None:
        """Tick once a second."""
        self.border_title = "Decision meeting"
        self.set_interval(1.0, self.refresh)

    def render(self) -> Text:
        """The clock and the agenda."""
        if self.started_at is None:
            return Text("◌ the meeting starts with the assessment", style="dim")
        elapsed = self.pace.between(self.started_at, self.clock()) or 0.0
        level = meeting_level(elapsed)
        self.set_class(level == "warning" and not self.decided, "-warning")
        self.set_class(level == "error" and not self.decided, "-error")
        return render_meeting(elapsed, decided=self.decided)
