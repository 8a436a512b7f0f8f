"""The scorecard of a practice drill: measures, anti-patterns with their evidence, the debrief.

Plain data, built by `tui.domain.drill_score` from the journal alone (the drill cluster's
record of changes is journaled as `drill.record`), and read by the debrief screen, the
`rollback drill score|history` commands and the drill-report export.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Verdict = Literal["met", "missed", "partial", "n/a"]
SCHEMA = "rollback-tui/drill-scorecard/1"


@dataclass(frozen=True)
class Evidence:
    """One fact behind a measure or an anti-pattern: what happened, when, and where it is known."""

    text: str
    at: str | None = None  # ISO 8601 UTC, when the fact is tied to a moment
    source: Literal["journal", "cluster", "scenario"] = "journal"


@dataclass(frozen=True)
class Measure:
    """One scored measure, e.g. time to decision against the seed's 15 minutes."""

    id: str  # time-to-decision, time-to-restore, decision, strategy, target, steps-skipped,
    #          verification, status-updates
    title: str
    value: str  # as shown: "7m 12s", "ROLLBACK", "9 of 11 items"
    target: str  # as shown, with where it comes from: "≤ 15m (seed: decide within 15 minutes)"
    verdict: Verdict
    points: int
    max_points: int
    number: float | None = None  # the raw figure (seconds, ratio) for trends; None when n/a
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class AntiPattern:
    """One of the seed's anti-patterns, found in this drill, with the evidence that triggered it."""

    id: str  # hesitate, skip-communication, improvise, incomplete-rollback, no-verification
    title: str  # the seed's words: "Hesitate Too Long"
    seed: str  # the seed's gloss: "Hoping the issue will resolve"
    penalty: int
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Moment:
    """A stretch of the drill that cost time, for the debrief's timeline."""

    at: str  # ISO 8601 UTC, when it began
    seconds: float  # how long it lasted, in scenario time
    what: str


@dataclass(frozen=True)
class Scorecard:
    """The whole debrief of one drill."""

    incident_id: str
    scenario_id: str
    scenario_description: str
    operator: str
    started_at: str
    ended_at: str | None  # None while the drill is still open (a provisional score)
    speed: float
    score: int  # 0-100
    max_score: int
    grade: str  # "excellent" ≥ 90, "good" ≥ 75, "needs practice" ≥ 50, else "poor"
    measures: tuple[Measure, ...]
    anti_patterns: tuple[AntiPattern, ...]
    truth: dict[str, Any]  # the scenario's ground truth as journaled at the start
    moments: tuple[Moment, ...] = ()
    practise: tuple[str, ...] = ()  # what to practise next
    twists: tuple[dict[str, Any], ...] = ()  # as journaled when they fired
    warnings: tuple[str, ...] = ()  # e.g. "the drill's change record is missing: …"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        """Whether the drill ended (its incident is resolved)."""
        return self.ended_at is not None

    def measure(self, measure_id: str) -> Measure | None:
        """The measure with this id, if scored."""
        return next((m for m in self.measures if m.id == measure_id), None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the schema name first."""
        return {"schema": SCHEMA, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scorecard:
        """The inverse of `to_dict`."""
        data = {k: v for k, v in data.items() if k != "schema"}

        def evidence(items: Any) -> tuple[Evidence, ...]:
            return tuple(Evidence(**e) for e in items or ())

        data["measures"] = tuple(Measure(**{**m, "evidence": evidence(m.get("evidence"))})
                                 for m in data.get("measures") or ())
        data["anti_patterns"] = tuple(
            AntiPattern(**{**a, "evidence": evidence(a.get("evidence"))})
            for a in data.get("anti_patterns") or ())
        data["moments"] = tuple(Moment(**m) for m in data.get("moments") or ())
        data["practise"] = tuple(data.get("practise") or ())
        data["twists"] = tuple(data.get("twists") or ())
        data["warnings"] = tuple(data.get("warnings") or ())
        return cls(**data)


def grade_for(score: int, max_score: int) -> str:
    """The grade a score earns: excellent ≥ 90 %, good ≥ 75 %, needs practice ≥ 50 %, else poor."""
    share = score / max_score if max_score else 0.0
    if share >= 0.9:
        return "excellent"
    if share >= 0.75:
        return "good"
    return "needs practice" if share >= 0.5 else "poor"
