"""Argument types for numeric flags: a bad value is refused by the parser, before anything
starts, in one line naming the flag's allowed range."""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable

from tui.domain.safe_text import plain

# A drill sped up beyond this turns its seconds into sub-millisecond timer ticks; slowed below
# the inverse, a scenario's minute would take days. Both are mistakes, not drills.
SCALE_MIN, SCALE_MAX = 0.01, 1000.0
PORT_MAX = 65535
_DIGITS = re.compile(r"[0-9]{1,20}", re.ASCII)
PID_MAX = 2**22  # Linux's pid_max ceiling


def _shown(text: str) -> str:
    """The value as typed, control characters inert and cut short."""
    return plain(text, 40)


def port(text: str) -> int:
    """A TCP port, 0 (any free port) to 65535."""
    if not _DIGITS.fullmatch(text.strip()):
        raise argparse.ArgumentTypeError(
            f"{_shown(text)!r} is not a port: expected a whole number from 0 (any free port) "
            f"to {PORT_MAX}")
    value = int(text)
    if not 0 <= value <= PORT_MAX:
        raise argparse.ArgumentTypeError(
            f"{value} is not a port: expected 0 (any free port) to {PORT_MAX}")
    return value


def bounded_float(low: float, high: float) -> Callable[[str], float]:
    """An argparse type accepting finite numbers from `low` to `high` inclusive."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{_shown(text)!r} is out of range: expected a number from {low:g} to {high:g}")
        return value

    parse.__name__ = "number"  # argparse names the type in its own messages
    return parse


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """An argparse type accepting integers from `low` to `high` inclusive."""
    def parse(text: str) -> int:
        # ASCII digits only: int() would also take '８０' or '1_000'.
        value = int(text) if _DIGITS.fullmatch(text.strip().removeprefix("-")) else low - 1
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{_shown(text)!r} is out of range: expected a whole number from {low} to {high}")
        return value

    parse.__name__ = "whole number"
    return parse


scale = bounded_float(SCALE_MIN, SCALE_MAX)
