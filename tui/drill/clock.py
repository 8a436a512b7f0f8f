"""The drill's clock: wall-clock timestamps, with scenario delays compressed by `speed`."""

from __future__ import annotations

import functools
import time
from datetime import UTC, datetime


class DrillClock:
    """Timestamps stay real (so kubectl's AGE is right); scenario waits shrink by `speed`."""

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.speed = speed

    def now(self) -> float:
        """Epoch seconds, real time."""
        return time.time()

    def scaled(self, scenario_seconds: float) -> float:
        """How many real seconds a scenario delay lasts at this speed."""
        return scenario_seconds / self.speed


def rfc3339(epoch: float) -> str:
    """`2026-11-30T01:02:03Z`, the form Kubernetes timestamps take."""
    return _rfc3339(int(epoch))


@functools.lru_cache(maxsize=4096)
def _rfc3339(seconds: int) -> str:
    # A rollout stamps every pod status several times with the same few seconds.
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str) -> float:
    """Epoch seconds from a Kubernetes timestamp."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
