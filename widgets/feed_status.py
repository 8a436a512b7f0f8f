"""The STALE marker of a live panel: how old its data is and when the feed retries.

A lost feed is a marker with the age and a countdown, never a modal; the rows stay, dimmed.
"""

from __future__ import annotations

from typing import Protocol

from tui.domain.pods import human_duration


class FeedStatus(Protocol):
    """What a panel reads from a reflector's status (state, retry delay, stale since)."""

    @property
    def state(self) -> str: ...
    @property
    def retry_in(self) -> float | None: ...
    @property
    def stale_since(self) -> float | None: ...


def stale_text(status: FeedStatus | None, now: float, received: float) -> str:
    """`STALE 42s · retrying in 3s` while the feed is failing ("" while it is live).

    `received` is when the status arrived: the countdown runs from its `retry_in`.
    """
    if status is None:
        return ""
    state = str(status.state)
    if state not in ("retrying", "stopped") and status.stale_since is None:
        return ""
    since = status.stale_since if status.stale_since is not None else received
    text = f"STALE {human_duration(max(now - since, 0.0))}"
    if state == "retrying" and status.retry_in is not None:
        left = status.retry_in - (now - received)
        return text + (f" · retrying in {left:.0f}s" if left >= 0.5 else " · retrying now")
    if state == "listing":
        return text + " · listing again"
    return text + (" · not watching" if state == "stopped" else "")
