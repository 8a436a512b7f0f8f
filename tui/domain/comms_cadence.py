"""The status-update cadence (seed §5.1: "Status Updates Every 15 Minutes"): when the next
update is due, counted from the last status update sent — before the first one, from the
decision, or from the opening before a decision — the reminders that follow from it, and
times and durations said in words."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tui.domain.comms_catalog import STATUS_UPDATE
from tui.domain.drill_timing import WALL, ScenarioClock, incident_clock
from tui.domain.durations import parse_duration
from tui.domain.status import IncidentStatus

if TYPE_CHECKING:
    from tui.domain.incident import IncidentState
    from tui.domain.runbook import Runbook
DEFAULT_EVERY = 15 * 60.0  # the seed's 15 minutes
REMIND_EVERY = 5 * 60.0  # an overdue update is recalled this often until one is sent
JUST_DUE = 60.0  # within this long after the due time, the reminder says "due now"
WALL_REPEAT = 30.0  # real seconds between reminders at least, whatever a drill's speed
WALL_JUST_DUE = 2.0  # and "due now" for at least this many real seconds


def epoch(ts: object) -> float | None:
    """Epoch seconds of a journal timestamp; None when missing or unreadable."""
    if not isinstance(ts, str) or not ts:
        return None
    try:
        return datetime.fromisoformat(ts).timestamp()
    except ValueError:
        return None


def update_every(runbook: Runbook) -> float:
    """Seconds between status updates: the runbook's communication.update_every, else 15m."""
    text = str(runbook.communication.get("update_every") or "")
    try:
        return parse_duration(text) if text else DEFAULT_EVERY
    except ValueError:
        return DEFAULT_EVERY


def status_updates(state: IncidentState) -> list[dict[str, object]]:
    """The status updates sent so far, oldest first (other messages do not count)."""
    return [c for c in state.comms if c.get("template") == STATUS_UPDATE]


def next_update_number(state: IncidentState) -> int:
    """The number the next status update carries: one more than those sent."""
    sent = status_updates(state)
    numbers = [n for c in sent if isinstance(n := c.get("number"), int)]
    return max([len(sent), *numbers]) + 1


def at_text(moment: float, now: datetime) -> str:
    """`04:26 UTC`, with the date when it is not today's (UTC)."""
    when = datetime.fromtimestamp(moment, UTC)
    if when.date() == now.astimezone(UTC).date():
        return when.strftime("%H:%M UTC")
    return when.strftime("%Y-%m-%d %H:%M UTC")


_SPOKEN = re.compile(r"~?\s*(\d+(?:\.\d+)?)\s*(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|"
                     r"hours?)\.?", re.ASCII | re.IGNORECASE)
_UNIT = {"s": 1.0, "m": 60.0, "h": 3600.0}


def duration_in_words(text: str) -> float | None:
    """Seconds of an expected resolution such as `10m`, `1h30m`, `~15 min`, `2 hours`."""
    try:
        return parse_duration(text)
    except ValueError:
        match = _SPOKEN.fullmatch(text.strip())
        return float(match.group(1)) * _UNIT[match.group(2)[0].lower()] if match else None


def seconds_of(duration: str | None) -> float:
    """Seconds of a runbook duration such as `2m`; 0 when missing or unreadable."""
    try:
        return parse_duration(duration) if duration else 0.0
    except ValueError:
        return 0.0


@dataclass(frozen=True)
class Cadence:
    """When the next status update is due; times are epoch seconds (wall), durations are on
    the incident's clock (a drill's scenario time, else wall time)."""

    every: float
    since: float | None
    since_what: str
    due_at: float | None
    number: int
    pace: ScenarioClock = WALL

    def left(self, now: float) -> float | None:
        """Seconds until the update is due (negative once overdue); None when none is due."""
        return self.pace.between(now, self.due_at)

    def due(self, now: float) -> bool:
        """Whether the countdown has reached 0."""
        return self.due_at is not None and now >= self.due_at

    def overdue_by(self, now: float) -> float:
        """Seconds past the due time (0 while not due)."""
        late = self.pace.between(self.due_at, now)
        return max(late, 0.0) if late is not None else 0.0


def _asked_for(state: IncidentState, since: float | None) -> float | None:
    """When a drill's status-update-due twist asked for an update not sent since."""
    asked = [moment for twist in state.twists if twist.get("event") == "status-update-due"
             and (moment := epoch(twist.get("journaled_at"))) is not None
             and (since is None or moment > since)]
    return max(asked) if asked else None


def cadence(state: IncidentState, runbook: Runbook) -> Cadence:
    """The status-update clock of an incident (no update is due once it is resolved)."""
    every = update_every(runbook)
    number = next_update_number(state)
    sent = status_updates(state)
    decision = state.decision or {}
    if sent:
        since, what = epoch(sent[-1].get("sent_at")), f"status update #{number - 1}"
    elif state.decided:
        since, what = epoch(decision.get("decided_at")), "the decision"
    else:
        since, what = epoch(state.opened_at), "the opening"
    if since is None:  # an old or odd journal: fall back to the opening
        since, what = epoch(state.opened_at), "the opening"
    resolved = state.status is IncidentStatus.RESOLVED
    pace = incident_clock(state)  # a drill's 15 minutes pass at its speed
    due_at = pace.wall_after(since, every) if since is not None and not resolved else None
    asked = _asked_for(state, since)
    if due_at is not None and asked is not None:
        due_at = min(due_at, asked)
    return Cadence(every, since, what, due_at, number, pace)


def spoken_duration(seconds: float) -> str:
    """`45 seconds`, `15 minutes`, `1 hour 30 minutes`: for messages people read (whole
    minutes rounded up, so a promise is never shorter than the estimate)."""
    if seconds < 60:
        count = max(math.ceil(seconds), 0)
        return f"{count} second{'s' * (count != 1)}"
    minutes = math.ceil(seconds / 60 - 1e-9)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours} hour{'s' * (hours != 1)}"] if hours else []
    if minutes or not hours:
        parts.append(f"{minutes} minute{'s' * (minutes != 1)}")
    return " ".join(parts)


@dataclass(frozen=True)
class Reminder:
    """A notification to show: the update is due now, or overdue (repeated)."""

    overdue: bool
    message: str


class UpdateReminder:
    """Says once that a status update is due, then again every `repeat` seconds while it is
    overdue; a new due time (an update was sent) starts over."""

    def __init__(self, repeat: float = REMIND_EVERY) -> None:
        """`repeat`: seconds between overdue warnings."""
        self.repeat = repeat
        self._due_at: float | None = None
        self._last: float | None = None

    def check(self, clock: Cadence, now: float) -> Reminder | None:
        """The reminder to show at `now`, if any (call it every second or so)."""
        if clock.due_at != self._due_at:
            self._due_at, self._last = clock.due_at, None
        if not clock.due(now):
            return None
        if self._last is not None and ((clock.pace.between(self._last, now) or 0) < self.repeat
                                       or now - self._last < WALL_REPEAT):
            return None
        first = self._last is None
        self._last = now
        late = clock.overdue_by(now)
        if first and (late < JUST_DUE or now - (clock.due_at or now) < WALL_JUST_DUE):
            return Reminder(False, f"Status update #{clock.number} is due now (every "
                                   f"{spoken_duration(clock.every)}) — press c to write it")
        return Reminder(True, f"Status update #{clock.number} is {spoken_duration(late)} "
                              "overdue — press c to write and send it")
