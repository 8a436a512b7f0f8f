"""What resuming a step that was running when the last session died means (light: screens
import it without loading the actions)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Resumption(StrEnum):
    """What to do with a step that was running when the last session died."""

    RERUN = "rerun"  # it changes nothing: it simply runs again
    DONE = "done"  # the cluster shows its effect: marked done with that evidence
    CONFIRM = "confirm"  # it may have changed something: runs again only when confirmed
    DECIDE = "decide"  # a point of no return: the operator decides, nothing runs by itself


@dataclass(frozen=True)
class InterruptedStep:
    """An interrupted step and what resuming it means."""

    step_id: str
    plan: Resumption
    message: str
    evidence: str = ""
