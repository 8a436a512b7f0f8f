"""Rollback-or-fix-forward assessment, as specified by the seed's rollback procedures."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from enum import Enum, StrEnum
from types import MappingProxyType
from typing import Any


class Severity(StrEnum):
    """Issue severity, P0 (critical) to P3 (low)."""

    P0 = "P0"
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"


_SEVERITY_LABELS = {
    Severity.P0: "Critical",
    Severity.P1: "High",
    Severity.P2: "Medium",
    Severity.P3: "Low",
}
SEVERITY_WEIGHTS: Mapping[Severity, int] = MappingProxyType(
    {Severity.P0: 10, Severity.P1: 5, Severity.P2: 2, Severity.P3: 1}
)
ROLLBACK_SCORE_THRESHOLD = 50

# The matrix treats P0/P1 as "High" impact severity; a tie also breaks on this.
_HIGH_SEVERITIES = frozenset({Severity.P0, Severity.P1})


def _check_pct(users_affected_pct: float) -> float:
    # bool is an int subclass; True% is always a caller bug, not a percentage.
    if isinstance(users_affected_pct, bool) or not isinstance(users_affected_pct, int | float):
        raise TypeError(f"users_affected_pct must be a number, got {users_affected_pct!r}")
    # NaN slips through range comparisons, so reject it explicitly.
    if math.isnan(users_affected_pct) or not 0 <= users_affected_pct <= 100:
        raise ValueError(
            f"users_affected_pct must be between 0 and 100 inclusive, got {users_affected_pct!r}"
        )
    return float(users_affected_pct)


def impact_score(users_affected_pct: float, severity: Severity) -> float:
    """Impact Score = (Users Affected %) × (Severity Weight)."""
    return _check_pct(users_affected_pct) * SEVERITY_WEIGHTS[Severity(severity)]


@dataclass(frozen=True)
class Criterion:
    """One checklist item from the seed, with a stable id for journaling."""

    id: str
    label: str


P0_IMMEDIATE: tuple[Criterion, ...] = (
    Criterion("complete_outage", "Complete service outage"),
    Criterion("data_loss", "Data loss or corruption"),
    Criterion("security_breach", "Security breach or vulnerability"),
    Criterion("financial_transactions_failing", "Financial transactions failing"),
    Criterion("auth_broken", "Authentication system broken"),
    Criterion("compliance_violation", "Legal/compliance violation"),
)
P1_LIKELY: tuple[Criterion, ...] = (
    Criterion("critical_feature_broken", "Critical feature completely broken"),
    Criterion("severe_performance_degradation", "Severe performance degradation (> 10x slower)"),
    Criterion("payment_errors", "Payment processing errors"),
    Criterion("data_integrity_issues", "Data integrity issues"),
    Criterion("widespread_errors", "Widespread errors (> 5% error rate)"),
    Criterion("multiple_high_priority_bugs", "Multiple high-priority bugs"),
)
ROLLBACK_WHEN: tuple[Criterion, ...] = (
    Criterion("critical_functionality_broken", "Critical functionality broken"),
    Criterion("security_vulnerability_exposed", "Security vulnerability exposed"),
    Criterion("data_integrity_at_risk", "Data integrity at risk"),
    Criterion("stability_compromised", "System stability compromised"),
    Criterion("fix_over_one_hour", "Fix will take > 1 hour"),
    Criterion("cascading_issues", "Multiple cascading issues"),
    Criterion("widespread_severe_impact", "User impact widespread and severe"),
)
FIX_FORWARD_WHEN: tuple[Criterion, ...] = (
    Criterion("minor_contained", "Issue is minor and contained"),
    Criterion("quick_fix", "Fix is simple and quick (< 15 minutes)"),
    Criterion("rollback_more_disruptive", "Rollback would cause more disruption"),
    Criterion("small_user_subset", "Issue affects small user subset"),
    Criterion("quick_workaround", "Workaround can be quickly deployed"),
    Criterion("complex_data_migration", "Data migration makes rollback complex"),
)
CRITERIA_BY_ID: Mapping[str, Criterion] = MappingProxyType(
    {c.id: c for c in P0_IMMEDIATE + P1_LIKELY + ROLLBACK_WHEN + FIX_FORWARD_WHEN}
)


class DataMigration(StrEnum):
    """Whether the release migrated data, and whether that can be undone."""

    NONE = "none"
    REVERSIBLE = "reversible"
    IRREVERSIBLE = "irreversible"


class Stability(StrEnum):
    """One isolated problem, or several at once."""

    SINGLE_ISSUE = "single_issue"
    MULTIPLE_ISSUES = "multiple_issues"


class Workaround(StrEnum):
    """Whether users or operators have a mitigation short of rollback."""

    NONE = "none"
    EASY = "easy"


class Trend(StrEnum):
    """The seed's severity question 4: is it getting worse?"""

    WORSENING = "worsening"
    STABLE = "stable"
    IMPROVING = "improving"
    UNKNOWN = "unknown"


ISSUE_SOURCES: tuple[Criterion, ...] = (
    Criterion("monitoring_alerts", "Automated monitoring alerts"),
    Criterion("user_reports", "User reports"),
    Criterion("support_tickets", "Support ticket surge"),
    Criterion("error_tracking", "Error tracking (Sentry, Rollbar)"),
    Criterion("performance_degradation", "Performance degradation"),
    Criterion("manual_testing", "Manual testing"),
)
SOURCES_BY_ID: Mapping[str, Criterion] = MappingProxyType({c.id: c for c in ISSUE_SOURCES})


class Vote(StrEnum):
    """Which way one decision-matrix factor points."""

    ROLLBACK = "rollback"
    FIX_FORWARD = "fix_forward"
    NEUTRAL = "neutral"


class Decision(Enum):
    """The three options of the Decision Template."""

    ROLLBACK = "ROLLBACK"
    FIX_FORWARD = "FIX FORWARD"
    WORKAROUND = "WORKAROUND"


@dataclass(frozen=True)
class Assessment:
    """What the operator knows about the incident, as input to the decision."""

    severity: Severity
    users_affected_pct: float
    time_to_fix_minutes: float | None
    data_migration: DataMigration
    stability: Stability
    workaround: Workaround
    criteria: frozenset[str] = frozenset()
    description: str = ""
    duration_minutes: float | None = None
    trend: Trend = Trend.UNKNOWN
    scope: str = ""
    detection_sources: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        # Coerce plain values (e.g. from a form or journal) so comparisons below are exact.
        object.__setattr__(self, "severity", Severity(self.severity))
        object.__setattr__(self, "data_migration", DataMigration(self.data_migration))
        object.__setattr__(self, "stability", Stability(self.stability))
        object.__setattr__(self, "workaround", Workaround(self.workaround))
        object.__setattr__(self, "users_affected_pct", _check_pct(self.users_affected_pct))
        ttf = self.time_to_fix_minutes
        if ttf is not None and (math.isnan(ttf) or ttf < 0):
            raise ValueError(f"time_to_fix_minutes must be >= 0 or None, got {ttf!r}")
        # A bare string would be split into characters and reported as nonsense ids.
        if isinstance(self.criteria, str):
            raise TypeError("criteria must be a collection of criterion ids, not a string")
        criteria = frozenset(self.criteria)
        unknown = sorted(criteria - CRITERIA_BY_ID.keys())
        if unknown:
            raise ValueError(
                f"unknown criterion id(s): {', '.join(unknown)}; "
                f"valid ids: {', '.join(CRITERIA_BY_ID)}"
            )
        object.__setattr__(self, "criteria", criteria)
        object.__setattr__(self, "trend", Trend(self.trend))
        duration = self.duration_minutes
        if duration is not None and (math.isnan(duration) or duration < 0):
            raise ValueError(f"duration_minutes must be >= 0 or None, got {duration!r}")
        if isinstance(self.detection_sources, str):
            raise TypeError("detection_sources must be a collection of source ids, not a string")
        sources = frozenset(self.detection_sources)
        unknown = sorted(sources - SOURCES_BY_ID.keys())
        if unknown:
            raise ValueError(f"unknown issue source(s): {', '.join(unknown)}; "
                             f"valid ids: {', '.join(SOURCES_BY_ID)}")
        object.__setattr__(self, "detection_sources", sources)

    def to_dict(self) -> dict[str, Any]:
        """The inputs as JSON (for the journal), in the seed's terms."""
        return {
            "severity": self.severity.value, "users_affected_pct": self.users_affected_pct,
            "time_to_fix_minutes": self.time_to_fix_minutes,
            "data_migration": self.data_migration.value, "stability": self.stability.value,
            "workaround": self.workaround.value, "criteria": sorted(self.criteria),
            "description": self.description, "duration_minutes": self.duration_minutes,
            "trend": self.trend.value, "scope": self.scope,
            "detection_sources": sorted(self.detection_sources),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Assessment:
        """Rebuild inputs written by `to_dict` (missing newer fields take their defaults)."""
        return cls(
            severity=data["severity"], users_affected_pct=float(data["users_affected_pct"]),
            time_to_fix_minutes=data.get("time_to_fix_minutes"),
            data_migration=data.get("data_migration", DataMigration.NONE),
            stability=data.get("stability", Stability.SINGLE_ISSUE),
            workaround=data.get("workaround", Workaround.NONE),
            criteria=frozenset(data.get("criteria") or ()),
            description=str(data.get("description", "")),
            duration_minutes=data.get("duration_minutes"),
            trend=data.get("trend", Trend.UNKNOWN), scope=str(data.get("scope", "")),
            detection_sources=frozenset(data.get("detection_sources") or ()),
        )

    @property
    def impact_score(self) -> float:
        """Impact score of this assessment."""
        return impact_score(self.users_affected_pct, self.severity)

    def ticked(self, criteria: Iterable[Criterion]) -> tuple[Criterion, ...]:
        """Those of `criteria` the operator ticked, in the seed's order."""
        return tuple(c for c in criteria if c.id in self.criteria)


@dataclass(frozen=True)
class FactorVote:
    """One row of the decision matrix: the factor, the assessed value, and its vote."""

    factor: str
    value_text: str
    vote: Vote


def _num(x: float) -> str:
    # Enough digits that a score like 50.01 never prints as "50" next to "is above 50".
    return f"{x:.10g}"


def _band(value: float | None, rollback_above: float, fix_forward_below: float) -> Vote:
    # The seed's columns are strict ("> 1 hour", "< 15 minutes"); values between them, or
    # unknown ones, belong to neither column and so cannot argue either way.
    if value is None or fix_forward_below <= value <= rollback_above:
        return Vote.NEUTRAL
    return Vote.ROLLBACK if value > rollback_above else Vote.FIX_FORWARD


def _pick(rollback: bool) -> Vote:
    return Vote.ROLLBACK if rollback else Vote.FIX_FORWARD


def decision_matrix(a: Assessment) -> tuple[FactorVote, ...]:
    """Vote each of the seed's six decision-matrix factors for rollback or fix forward."""
    sev, pct, ttf = a.severity, a.users_affected_pct, a.time_to_fix_minutes
    multiple = a.stability is Stability.MULTIPLE_ISSUES
    easy = a.workaround is Workaround.EASY
    irreversible = a.data_migration is DataMigration.IRREVERSIBLE
    return (
        FactorVote(
            "Impact Severity",
            f"{sev.value} ({_SEVERITY_LABELS[sev]})",
            _pick(sev in _HIGH_SEVERITIES),
        ),
        FactorVote("Users Affected", f"{_num(pct)}%", _band(pct, 10, 10)),
        FactorVote(
            "Time to Fix", "unknown" if ttf is None else f"{_num(ttf)} min", _band(ttf, 60, 15)
        ),
        FactorVote("Data Migration", a.data_migration.value.capitalize(), _pick(not irreversible)),
        FactorVote("Stability", "Multiple issues" if multiple else "Single issue", _pick(multiple)),
        FactorVote("Workaround", "Easy workaround" if easy else "None available", _pick(not easy)),
    )


@dataclass(frozen=True)
class Recommendation:
    """The suggested decision, how urgent a rollback is, and why."""

    decision: Decision
    urgency: str
    impact_score: float
    votes: tuple[FactorVote, ...]
    reasons: tuple[str, ...]
    warnings: tuple[str, ...] = ()


def _matrix_summary(rollback: int, fix_forward: int, neutral: int) -> str:
    verb = "factor favours" if rollback == 1 else "factors favour"
    text = f"decision matrix: {rollback} {verb} rollback, {fix_forward} fix forward"
    return text + (f", {neutral} neutral" if neutral else "")


def recommend(a: Assessment) -> Recommendation:
    """Apply the seed's criteria, impact score and decision matrix to an assessment."""
    score = a.impact_score
    votes = decision_matrix(a)
    n_rb = sum(v.vote is Vote.ROLLBACK for v in votes)
    n_ff = sum(v.vote is Vote.FIX_FORWARD for v in votes)
    n_neutral = len(votes) - n_rb - n_ff
    p0 = a.ticked(P0_IMMEDIATE)
    p1 = a.ticked(P1_LIKELY)
    weight = SEVERITY_WEIGHTS[a.severity]
    above = score > ROLLBACK_SCORE_THRESHOLD
    score_reason = (
        f"impact score {_num(score)} ({_num(a.users_affected_pct)}% × {a.severity.value} "
        f"weight {weight}) is {'above' if above else 'not above'} {ROLLBACK_SCORE_THRESHOLD}"
    )
    p0_reasons = [f"P0 criterion: {c.label}" for c in p0]
    p1_reasons = [f"P1 criterion (rollback likely): {c.label}" for c in p1]
    matrix_reason = _matrix_summary(n_rb, n_ff, n_neutral)

    # Rules are checked in the brief's order; the first that fires sets decision and urgency,
    # and its reasons lead so the operator sees the deciding fact first.
    if p0:
        decision, urgency = Decision.ROLLBACK, "immediate"
        reasons = [*p0_reasons, *p1_reasons, score_reason, matrix_reason]
    elif above:
        decision, urgency = Decision.ROLLBACK, "recommended"
        reasons = [score_reason, *p1_reasons, matrix_reason]
    elif p1 and n_rb >= n_ff:
        decision, urgency = Decision.ROLLBACK, "likely"
        reasons = [
            *p1_reasons,
            f"decision matrix does not favour fix forward ({n_rb} rollback vs {n_ff} fix forward)",
            matrix_reason,
            score_reason,
        ]
    else:
        # On a tie severity decides: for P0/P1 the seed says "Decide Quickly: Don't hesitate
        # when criteria met"; for P2/P3 fixing forward is the less disruptive path.
        high = a.severity in _HIGH_SEVERITIES
        rollback = n_rb > n_ff or (n_rb == n_ff and high)
        decision = Decision.ROLLBACK if rollback else Decision.FIX_FORWARD
        urgency = "recommended" if rollback else "not recommended"
        reasons = [matrix_reason, score_reason]
        if n_rb == n_ff:
            level, action = (
                ("high", "roll back — decide quickly, don't hesitate when criteria are met")
                if high
                else ("low", "fix forward")
            )
            tie = f"decision matrix tied {n_rb}–{n_ff} and severity {a.severity.value} is {level}"
            reasons.insert(0, f"{tie}: {action}")

    reasons += _context_reasons(a)
    # The "when" checklists are context, not rules: list each on the side it argues for.
    reasons += [f"supports rollback: {c.label}" for c in a.ticked(ROLLBACK_WHEN)]
    reasons += [f"supports fix forward: {c.label}" for c in a.ticked(FIX_FORWARD_WHEN)]

    warnings: list[str] = []
    if decision is Decision.ROLLBACK and a.data_migration is DataMigration.IRREVERSIBLE:
        warnings.append(
            "data migration is irreversible: rolling back needs a database rollback (Type 2) "
            "with a data loss window (writes since the backup are lost); consider fix forward"
        )
    if decision is Decision.FIX_FORWARD:
        if a.workaround is Workaround.EASY:
            warnings.append(
                "an easy workaround exists: WORKAROUND is also an option while the fix is prepared"
            )
        if p1:
            # P1 items were outvoted; make sure that is a conscious call, not an oversight.
            labels = ", ".join(c.label for c in p1)
            warnings.append(
                f"P1 criteria ticked ({labels}) but the decision matrix favours fix forward; "
                "reassess if the situation worsens"
            )
    if decision is Decision.FIX_FORWARD and a.trend is Trend.WORSENING:
        warnings.append("the issue is getting worse: fixing forward lets it grow while the fix "
                        "is built; reassess at the next status update or roll back")
    return Recommendation(decision, urgency, score, votes, tuple(reasons), tuple(warnings))


def _context_reasons(a: Assessment) -> list[str]:
    """The seed's duration and trend questions, as reasons beside the rules (they never decide)."""
    reasons: list[str] = []
    if a.duration_minutes is not None:
        reasons.append(f"the issue has persisted {_num(a.duration_minutes)} min")
    if a.trend is Trend.WORSENING:
        reasons.append("supports rollback: the issue is getting worse")
    elif a.trend is Trend.IMPROVING:
        reasons.append("supports fix forward: the issue is improving on its own")
    return reasons


def recommendation_to_dict(r: Recommendation) -> dict[str, Any]:
    """The recommendation as JSON for the journal: decision, urgency, score, votes, reasons."""
    return {
        "decision": r.decision.value, "urgency": r.urgency, "impact_score": r.impact_score,
        "votes": [{"factor": v.factor, "value": v.value_text, "vote": v.vote.value}
                  for v in r.votes],
        "reasons": list(r.reasons), "warnings": list(r.warnings),
    }


def format_duration(td: timedelta) -> str:
    """Render a non-negative duration as "45s", "23m" or "1h 05m" (truncated, not rounded)."""
    total = int(td.total_seconds())
    if td < timedelta(0):
        raise ValueError(f"duration must not be negative, got {td!r}")
    if total < 60:
        return f"{total}s"
    minutes = total // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def _require_aware(name: str, value: datetime) -> None:
    # Naive times are ambiguous across the team's time zones and cannot be journaled as UTC.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value!r}")


def _utc_text(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass(frozen=True)
class DecisionRecord:
    """A filled-in copy of the seed's Decision Template."""

    issue: str
    impact: str
    detected_at: datetime
    decided_at: datetime
    decision: Decision
    rationale: str
    expected_resolution: str
    authorized_by: str
    team_lead: str
    engineers: tuple[str, ...] = ()
    support: str = ""

    def __post_init__(self) -> None:
        # Accept "FIX FORWARD" and lists from callers; store the canonical immutable forms.
        object.__setattr__(self, "decision", Decision(self.decision))
        if isinstance(self.engineers, str):
            raise TypeError("engineers must be a sequence of names, not a string")
        object.__setattr__(self, "engineers", tuple(self.engineers))

    @property
    def time_lost(self) -> timedelta:
        """Time from detection to decision."""
        _require_aware("detected_at", self.detected_at)
        _require_aware("decided_at", self.decided_at)
        if self.decided_at < self.detected_at:
            raise ValueError(
                f"decided_at ({self.decided_at.isoformat()}) is before "
                f"detected_at ({self.detected_at.isoformat()})"
            )
        return self.decided_at - self.detected_at

    def to_markdown(self) -> str:
        """Render the record in the seed's Decision Template layout."""
        lost = format_duration(self.time_lost)
        heading = self.decided_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        engineers = ", ".join(self.engineers) or "—"
        lines = [
            f"## Rollback Decision - {heading}",
            "",
            f"**Issue**: {self.issue}",
            f"**Impact**: {self.impact}",
            f"**Detected At**: {_utc_text(self.detected_at)}",
            f"**Decision Made At**: {_utc_text(self.decided_at)}",
            f"**Time Lost**: {lost}",
            "",
            f"**Decision**: {self.decision.value}",
            "",
            f"**Rationale**: {self.rationale}",
            "",
            f"**Expected Resolution Time**: {self.expected_resolution}",
            "",
            f"**Authorized By**: {self.authorized_by}",
            "",
            "**Team Assigned**:",
            f"- Lead: {self.team_lead or '—'}",
            f"- Engineers: {engineers}",
            f"- Support: {self.support or '—'}",
        ]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for the journal, times as ISO-8601 UTC."""
        _ = self.time_lost  # validates awareness and ordering before we persist
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        for key in ("detected_at", "decided_at"):
            data[key] = data[key].astimezone(UTC).isoformat()
        data["decision"] = self.decision.value
        data["engineers"] = list(self.engineers)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DecisionRecord:
        """Rebuild a record written by `to_dict`."""
        names = [f.name for f in fields(cls)]
        missing = [n for n in names if n not in data]
        if missing:
            raise ValueError(f"decision record is missing field(s): {', '.join(missing)}")
        kwargs = {n: data[n] for n in names}
        for key in ("detected_at", "decided_at"):
            kwargs[key] = datetime.fromisoformat(kwargs[key])
        record = cls(**kwargs)
        _ = record.time_lost  # reject naive times, or a decision made before detection
        return record
