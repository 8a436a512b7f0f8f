"""Times as the widgets show them: clocks (`3:12`), ages (`14m`), journal timestamps."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from tui.domain.assessment import format_duration

Clock = Callable[[], float]
"""Returns the time in epoch seconds; injected so that tests and snapshots are deterministic."""

system_clock: Clock = time.time


def clock_text(seconds: float) -> str:
    """`0:07`, `3:12`, `1:02:03` for a non-negative number of seconds (truncated)."""
    total = max(int(seconds), 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def age_text(seconds: float) -> str:
    """`42s`, `14m`, `1h 05m`: how long ago, coarse and short (the assessment's own words)."""
    return format_duration(timedelta(seconds=max(int(seconds), 0)))


def estimate_text(seconds: float) -> str:
    """`30s`, `1m`, `2m30s`, `1h`: a runbook's duration estimate, written back compactly."""
    total = max(round(seconds), 0)
    if total < 60:
        return f"{total}s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s" if secs else f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"


def epoch(ts: str | None) -> float | None:
    """Epoch seconds of a journal timestamp (`2026-11-30T04:12:07.123Z`); None if unreadable."""
    if not ts:
        return None
    try:
        moment = datetime.fromisoformat(ts)
    except ValueError:
        return None
    if moment.tzinfo is None:  # the journal writes UTC; a naive time is read as UTC too
        return moment.replace(tzinfo=UTC).timestamp()
    return moment.timestamp()
