"""Injected faults: denied verbs, failing requests, latency, dropped watches, conflicts."""

from __future__ import annotations

import math
import random
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from tui.domain.durations import parse_duration
from tui.domain.safe_text import plain

FAULT_HELP = ("deny=VERB:RESOURCE, error-rate=0.2, latency=200ms, drop-watches=30s, "
              "conflict-next-write, metrics-down")

# Beyond these a drill only times out: clients give up after about 30 s per request.
MAX_LATENCY = 30.0
MAX_DROP_WATCHES = 86400.0
_VERB = re.compile(r"[a-z*]{1,20}", re.ASCII)
_RESOURCE = re.compile(r"[a-z*][a-z0-9.*/-]{0,99}", re.ASCII)


def _rate(value: str, shown: str) -> float:
    """A failure rate from 0 to 1."""
    try:
        rate = float(value)
    except ValueError:
        rate = math.nan
    if not 0 <= rate <= 1:  # also false for nan
        raise ValueError(f"{shown}: expected error-rate=RATE with RATE a number from 0 to 1, "
                         "e.g. error-rate=0.2")
    return rate


def _duration(value: str, shown: str, name: str, limit: float, example: str) -> float:
    """A duration from 0 to `limit` seconds."""
    try:
        seconds = parse_duration(value)
    except ValueError:
        seconds = math.inf
    if not seconds <= limit:
        raise ValueError(f"{shown}: expected {name}=DURATION from 0 to {limit:g}s, "
                         f"e.g. {name}={example}")
    return seconds


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
        """Add one fault given as on the command line; ValueError naming the allowed form."""
        name, _, value = spec.partition("=")
        name = name.strip()
        typed = repr(plain(spec, 60))
        shown = f"--fault {typed}"
        with self.lock:
            if name == "deny":
                verb, sep, resource = value.partition(":")
                if not sep or not _VERB.fullmatch(verb) or not _RESOURCE.fullmatch(resource):
                    raise ValueError(f"{shown}: expected deny=VERB:RESOURCE in lower-case "
                                     "letters, e.g. deny=patch:deployments")
                self.deny.add((verb, resource))
            elif name == "error-rate":
                self.error_rate = _rate(value, shown)
            elif name == "latency":
                self.latency = _duration(value, shown, "latency", MAX_LATENCY, "200ms")
            elif name == "drop-watches":
                self.drop_watches = _duration(value, shown, "drop-watches", MAX_DROP_WATCHES,
                                              "30s")
            elif name == "conflict-next-write" and not value:
                self.conflict_next_write = True
            elif name == "metrics-down" and not value:
                self.metrics_down = True
            else:
                raise ValueError(f"unknown fault {typed} (expected one of: {FAULT_HELP})")

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
