"""Durations as runbooks write them: `30s`, `5m`, `1h30m`, `200ms`, `1.5h`."""

from __future__ import annotations

import math
import re

# [0-9], not \d: \d would accept any Unicode digit ('٥m'), which the JSON Schema refuses.
_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)", re.ASCII)
_WHOLE = re.compile(r"(?:[0-9]+(?:\.[0-9]+)?(?:ms|s|m|h|d))+", re.ASCII)
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}

DURATION_HINT = "a duration like 30s, 5m, 1h30m or 200ms"
DURATION_PATTERN = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h|d))+$"


def parse_duration(text: str) -> float:
    """Return the number of seconds in `text`; raise ValueError if it is not a duration."""
    compact = text.strip()
    if not _WHOLE.fullmatch(compact):
        raise ValueError(f"{text!r} is not {DURATION_HINT}")
    seconds = sum(float(n) * _SECONDS[unit] for n, unit in _PART.findall(compact))
    if not math.isfinite(seconds):
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise ValueError(f"{shown!r} is too long a duration")
    return seconds


def is_duration(text: str) -> bool:
    """Whether `text` is exactly a duration (no blanks around it), as DURATION_PATTERN says."""
    if not _WHOLE.fullmatch(text):
        return False
    try:
        parse_duration(text)
    except ValueError:
        return False
    return True
