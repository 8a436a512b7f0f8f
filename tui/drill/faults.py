"""Injected faults: denied verbs, failing requests, latency, dropped watches, conflicts."""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from tui.domain.durations import parse_duration

FAULT_HELP = ("deny=VERB:RESOURCE, error-rate=0.2, latency=200ms, drop-watches=30s, "
              "conflict-next-write, metrics-down")


@dataclass
class Faults:
    """The faults in force; changed at run time through the admin endpoint."""

    deny: set[tuple[str, str]] = field(default_factory=set)
    error_rate: float = 0.0
    latency: float = 0.0
    drop_watches: float = 0.0
    conflict_next_write: bool = False
    metrics_down: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    rng: random.Random = field(default_factory=lambda: random.Random(0), repr=False)

    def apply(self, spec: str) -> None:
        """Add one fault given as on the command line; ValueError if malformed."""
        name, _, value = spec.partition("=")
        name = name.strip()
        with self.lock:
            if name == "deny":
                verb, sep, resource = value.partition(":")
                if not sep or not re.fullmatch(r"[a-z*]+", verb) or not resource:
                    raise ValueError(f"--fault {spec!r}: expected deny=VERB:RESOURCE, e.g. "
                                     "deny=patch:deployments")
                self.deny.add((verb, resource))
            elif name == "error-rate":
                rate = float(value)
                if not 0 <= rate <= 1:
                    raise ValueError(f"--fault {spec!r}: the rate must be between 0 and 1")
                self.error_rate = rate
            elif name == "latency":
                self.latency = parse_duration(value)
            elif name == "drop-watches":
                self.drop_watches = parse_duration(value)
            elif name == "conflict-next-write" and not value:
                self.conflict_next_write = True
            elif name == "metrics-down" and not value:
                self.metrics_down = True
            else:
                raise ValueError(f"unknown fault {spec!r} (expected one of: {FAULT_HELP})")

    def clear(self) -> None:
        """Remove every fault."""
        with self.lock:
            self.deny.clear()
            self.error_rate = self.latency = self.drop_watches = 0.0
            self.conflict_next_write = self.metrics_down = False

    def denied(self, verb: str, resource: str) -> bool:
        """Whether the verb on the resource is denied."""
        return any(v in (verb, "*") and r in (resource, "*") for v, r in self.deny)

    def should_fail(self) -> bool:
        """Draw whether this request fails with a 500."""
        return self.error_rate > 0 and self.rng.random() < self.error_rate

    def take_conflict(self) -> bool:
        """Whether this write gets the one injected 409."""
        with self.lock:
            hit, self.conflict_next_write = self.conflict_next_write, False
            return hit

    def describe(self) -> dict[str, Any]:
        """The faults as JSON."""
        return {"deny": sorted(f"{v}:{r}" for v, r in self.deny), "error_rate": self.error_rate,
                "latency": self.latency, "drop_watches": self.drop_watches,
                "conflict_next_write": self.conflict_next_write,
                "metrics_down": self.metrics_down}
