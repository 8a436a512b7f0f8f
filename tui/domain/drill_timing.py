"""Time in a drill: journal wall time turned into scenario time, and how it is said.

A drill runs `speed` times faster than the wall clock from the moment it starts; what lies
before that moment (the release, the detection an operator dates back) is history at wall
speed. So a scenario duration between two journal moments is their wall gap with the part
after the drill's start multiplied by the speed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tui.domain.exports import parse_time

if TYPE_CHECKING:
    from tui.domain.incident import IncidentState


def epoch(ts: Any) -> float | None:
    """Epoch seconds of an ISO 8601 timestamp; None when missing or unreadable."""
    moment = parse_time(ts)
    return None if moment is None else moment.timestamp()


def clock_text(moment: float | None) -> str:
    """`12:03:11` (UTC) of an epoch moment; `?` when unknown."""
    if moment is None:
        return "?"
    return datetime.fromtimestamp(moment, UTC).strftime("%H:%M:%S")


def iso(moment: float | None) -> str | None:
    """ISO 8601 UTC of an epoch moment."""
    return None if moment is None else datetime.fromtimestamp(moment, UTC).isoformat()


def duration_text(seconds: float | None) -> str:
    """`45s`, `7m 12s`, `1h 05m`; `—` when unknown."""
    if seconds is None:
        return "—"
    total = max(round(seconds), 0)
    if total < 60:
        return f"{total}s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s" if secs else f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


@dataclass(frozen=True)
class ScenarioClock:
    """Scenario time from wall time: `scale` times faster after `anchor` (epoch seconds)."""

    scale: float
    anchor: float | None

    def position(self, moment: float) -> float:
        """Where `moment` falls on the scenario's time line (epoch-like seconds)."""
        if self.anchor is None or moment <= self.anchor:
            return moment if self.anchor is not None else moment * self.scale
        return self.anchor + (moment - self.anchor) * self.scale

    def between(self, start: float | None, end: float | None) -> float | None:
        """Scenario seconds from `start` to `end` (None when either is unknown)."""
        if start is None or end is None:
            return None
        return self.position(end) - self.position(start)

    def wall_after(self, start: float, scenario_seconds: float) -> float:
        """The wall moment `scenario_seconds` of scenario time after `start`."""
        if self.anchor is None:
            return start + scenario_seconds / self.scale
        target = self.position(start) + scenario_seconds
        if target <= self.anchor:
            return target
        return self.anchor + (target - self.anchor) / self.scale


WALL = ScenarioClock(1.0, None)  # outside drills, and in drills at speed 1


def incident_clock(state: IncidentState) -> ScenarioClock:
    """The clock a drill incident's deadlines run on: the drill's speed from its start (what
    the scorer judges by, and so what the operator's clocks show); wall time otherwise."""
    if not state.drill and state.drill_scenario is None:
        return WALL
    scenario = state.drill_scenario or {}
    connection = state.connection or {}
    try:
        scale = float(connection.get("time_scale") or scenario.get("speed") or 1.0)
    except (TypeError, ValueError):
        scale = 1.0
    if scale <= 0 or scale == 1.0:
        return WALL
    return ScenarioClock(scale, epoch(scenario.get("drill_started_at")) or
                         epoch(state.opened_at))
