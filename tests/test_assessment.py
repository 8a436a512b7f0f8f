"""Tests for tui.domain.assessment against the seed's rollback procedures."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.domain.assessment import (
    CRITERIA_BY_ID,
    FIX_FORWARD_WHEN,
    P0_IMMEDIATE,
    P1_LIKELY,
    ROLLBACK_SCORE_THRESHOLD,
    ROLLBACK_WHEN,
    SEVERITY_WEIGHTS,
    Assessment,
    Criterion,
    DataMigration,
    Decision,
    DecisionRecord,
    Severity,
    Stability,
    Vote,
    Workaround,
    decision_matrix,
    format_duration,
    impact_score,
    recommend,
)


def make(
    severity: Severity = Severity.P2,
    pct: float = 5.0,
    ttf: float | None = 30.0,
    migration: DataMigration = DataMigration.NONE,
    stability: Stability = Stability.SINGLE_ISSUE,
    workaround: Workaround = Workaround.NONE,
    criteria: frozenset[str] = frozenset(),
) -> Assessment:
    """Build an assessment; the defaults vote 2 rollback, 3 fix forward, 1 neutral."""
    return Assessment(severity, pct, ttf, migration, stability, workaround, criteria)


def all_fix_forward(criteria: frozenset[str] = frozenset()) -> Assessment:
    """Every matrix factor votes fix forward and the score is tiny."""
    return make(
        Severity.P3, 1.0, 5.0, DataMigration.IRREVERSIBLE, Stability.SINGLE_ISSUE,
        Workaround.EASY, criteria,
    )  # fmt: skip


def vote_of(a: Assessment, factor: str) -> Vote:
    """The vote the matrix gives `factor` for `a`."""
    (row,) = [v for v in decision_matrix(a) if v.factor == factor]
    return row.vote


# --- impact score (3.2 Severity Assessment) -----------------------------------------------


def test_severity_weights_match_seed() -> None:
    assert dict(SEVERITY_WEIGHTS) == {
        Severity.P0: 10,
        Severity.P1: 5,
        Severity.P2: 2,
        Severity.P3: 1,
    }
    assert ROLLBACK_SCORE_THRESHOLD == 50


def test_seed_worked_example_20pct_p1_scores_100_and_recommends_rollback() -> None:
    assert impact_score(20, Severity.P1) == 100
    rec = recommend(make(Severity.P1, 20.0))
    assert rec.impact_score == 100
    assert rec.decision is Decision.ROLLBACK
    assert rec.urgency == "recommended"
    assert rec.reasons[0] == "impact score 100 (20% × P1 weight 5) is above 50"


def test_score_exactly_50_is_not_above_threshold() -> None:
    # P2 at 25% scores 50; the matrix leans fix forward (5 vs 1).
    a = make(Severity.P2, 25.0, 10.0, DataMigration.IRREVERSIBLE, workaround=Workaround.EASY)
    rec = recommend(a)
    assert rec.impact_score == 50
    assert rec.decision is Decision.FIX_FORWARD
    assert rec.urgency == "not recommended"
    assert "impact score 50 (25% × P2 weight 2) is not above 50" in rec.reasons


def test_score_50_01_is_above_threshold() -> None:
    a = make(Severity.P3, 50.01, 10.0, DataMigration.IRREVERSIBLE, workaround=Workaround.EASY)
    rec = recommend(a)
    assert rec.impact_score == pytest.approx(50.01)
    assert rec.decision is Decision.ROLLBACK
    assert rec.urgency == "recommended"
    assert rec.reasons[0] == "impact score 50.01 (50.01% × P3 weight 1) is above 50"


@pytest.mark.parametrize("pct", [-1, 101, -0.001, 100.001, math.nan, math.inf])
def test_impact_score_rejects_out_of_range_pct(pct: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 100"):
        impact_score(pct, Severity.P1)


@pytest.mark.parametrize("pct", [-1, 101])
def test_assessment_rejects_out_of_range_pct(pct: float) -> None:
    with pytest.raises(ValueError, match="users_affected_pct"):
        make(pct=pct)


def test_impact_score_accepts_bounds() -> None:
    assert impact_score(0, Severity.P0) == 0
    assert impact_score(100, Severity.P0) == 1000


# --- criteria lists ----------------------------------------------------------------------


def test_criteria_labels_are_the_seeds_wording() -> None:
    assert [c.label for c in P0_IMMEDIATE] == [
        "Complete service outage",
        "Data loss or corruption",
        "Security breach or vulnerability",
        "Financial transactions failing",
        "Authentication system broken",
        "Legal/compliance violation",
    ]
    assert [c.label for c in P1_LIKELY] == [
        "Critical feature completely broken",
        "Severe performance degradation (> 10x slower)",
        "Payment processing errors",
        "Data integrity issues",
        "Widespread errors (> 5% error rate)",
        "Multiple high-priority bugs",
    ]
    assert [c.label for c in ROLLBACK_WHEN] == [
        "Critical functionality broken",
        "Security vulnerability exposed",
        "Data integrity at risk",
        "System stability compromised",
        "Fix will take > 1 hour",
        "Multiple cascading issues",
        "User impact widespread and severe",
    ]
    assert [c.label for c in FIX_FORWARD_WHEN] == [
        "Issue is minor and contained",
        "Fix is simple and quick (< 15 minutes)",
        "Rollback would cause more disruption",
        "Issue affects small user subset",
        "Workaround can be quickly deployed",
        "Data migration makes rollback complex",
    ]


def test_criterion_ids_are_unique_snake_case() -> None:
    every = P0_IMMEDIATE + P1_LIKELY + ROLLBACK_WHEN + FIX_FORWARD_WHEN
    ids = [c.id for c in every]
    assert len(ids) == len(set(ids)) == len(CRITERIA_BY_ID) == 25
    assert all(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", i) for i in ids)
    assert P0_IMMEDIATE[0].id == "complete_outage"


def test_unknown_criterion_id_names_it_and_the_valid_ones() -> None:
    with pytest.raises(ValueError) as excinfo:
        make(criteria=frozenset({"complete_outage", "nope_not_real"}))
    message = str(excinfo.value)
    assert "nope_not_real" in message
    assert "complete_outage" in message and "quick_fix" in message


def test_criteria_given_as_string_is_rejected() -> None:
    with pytest.raises(TypeError, match="not a string"):
        make(criteria="complete_outage")  # type: ignore[arg-type]


def test_negative_time_to_fix_is_rejected() -> None:
    with pytest.raises(ValueError, match="time_to_fix_minutes"):
        make(ttf=-1)


def test_assessment_is_frozen_and_coerces_criteria() -> None:
    a = make(criteria={"quick_fix"})  # type: ignore[arg-type]
    assert a.criteria == frozenset({"quick_fix"})
    assert isinstance(a.criteria, frozenset)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.severity = Severity.P0  # type: ignore[misc]


# --- decision matrix ---------------------------------------------------------------------


def test_matrix_has_the_seeds_six_factors_in_order() -> None:
    assert [v.factor for v in decision_matrix(make())] == [
        "Impact Severity",
        "Users Affected",
        "Time to Fix",
        "Data Migration",
        "Stability",
        "Workaround",
    ]


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        (Severity.P0, Vote.ROLLBACK),
        (Severity.P1, Vote.ROLLBACK),
        (Severity.P2, Vote.FIX_FORWARD),
        (Severity.P3, Vote.FIX_FORWARD),
    ],
)
def test_factor_severity(severity: Severity, expected: Vote) -> None:
    assert vote_of(make(severity, pct=1.0), "Impact Severity") is expected


@pytest.mark.parametrize(
    ("pct", "expected"),
    [
        (10.0, Vote.NEUTRAL),
        (10.01, Vote.ROLLBACK),
        (9.99, Vote.FIX_FORWARD),
        (0.0, Vote.FIX_FORWARD),
        (100.0, Vote.ROLLBACK),
    ],
)
def test_factor_users_affected(pct: float, expected: Vote) -> None:
    assert vote_of(make(pct=pct), "Users Affected") is expected


@pytest.mark.parametrize(
    ("ttf", "expected"),
    [
        (15.0, Vote.NEUTRAL),
        (60.0, Vote.NEUTRAL),
        (30.0, Vote.NEUTRAL),
        (None, Vote.NEUTRAL),
        (14.9, Vote.FIX_FORWARD),
        (0.0, Vote.FIX_FORWARD),
        (60.1, Vote.ROLLBACK),
        (240.0, Vote.ROLLBACK),
    ],
)
def test_factor_time_to_fix(ttf: float | None, expected: Vote) -> None:
    assert vote_of(make(ttf=ttf), "Time to Fix") is expected


def test_unknown_time_to_fix_is_shown_as_unknown() -> None:
    (row,) = [v for v in decision_matrix(make(ttf=None)) if v.factor == "Time to Fix"]
    assert row.value_text == "unknown"


@pytest.mark.parametrize(
    ("migration", "expected"),
    [
        (DataMigration.NONE, Vote.ROLLBACK),
        (DataMigration.REVERSIBLE, Vote.ROLLBACK),
        (DataMigration.IRREVERSIBLE, Vote.FIX_FORWARD),
    ],
)
def test_factor_data_migration(migration: DataMigration, expected: Vote) -> None:
    assert vote_of(make(migration=migration), "Data Migration") is expected


@pytest.mark.parametrize(
    ("stability", "expected"),
    [(Stability.MULTIPLE_ISSUES, Vote.ROLLBACK), (Stability.SINGLE_ISSUE, Vote.FIX_FORWARD)],
)
def test_factor_stability(stability: Stability, expected: Vote) -> None:
    assert vote_of(make(stability=stability), "Stability") is expected


@pytest.mark.parametrize(
    ("workaround", "expected"),
    [(Workaround.NONE, Vote.ROLLBACK), (Workaround.EASY, Vote.FIX_FORWARD)],
)
def test_factor_workaround(workaround: Workaround, expected: Vote) -> None:
    assert vote_of(make(workaround=workaround), "Workaround") is expected


# --- recommend: rule order ----------------------------------------------------------------


@pytest.mark.parametrize("criterion", P0_IMMEDIATE, ids=lambda c: c.id)
def test_every_p0_criterion_forces_immediate_rollback(criterion: Criterion) -> None:
    rec = recommend(all_fix_forward(frozenset({criterion.id})))
    assert rec.decision is Decision.ROLLBACK
    assert rec.urgency == "immediate"
    assert rec.reasons[0] == f"P0 criterion: {criterion.label}"
    # The matrix said fix forward and the migration is irreversible: the operator must be told.
    assert any("Type 2" in w for w in rec.warnings)


def test_p0_reason_example_wording() -> None:
    rec = recommend(all_fix_forward(frozenset({"complete_outage"})))
    assert "P0 criterion: Complete service outage" in rec.reasons


def test_score_rule_adds_likely_reasons_for_ticked_p1() -> None:
    rec = recommend(make(Severity.P1, 20.0, criteria=frozenset({"payment_errors"})))
    assert rec.decision is Decision.ROLLBACK
    assert rec.urgency == "recommended"
    assert rec.reasons[0].startswith("impact score 100")
    assert "P1 criterion (rollback likely): Payment processing errors" in rec.reasons


def test_p1_criterion_with_matrix_tie_gives_rollback_likely() -> None:
    # P2 at 10% (score 20): RB migration, stability; FF severity, workaround; 2 neutral.
    a = make(
        Severity.P2, 10.0, None, DataMigration.NONE, Stability.MULTIPLE_ISSUES,
        Workaround.EASY, frozenset({"widespread_errors"}),
    )  # fmt: skip
    votes = [v.vote for v in decision_matrix(a)]
    assert votes.count(Vote.ROLLBACK) == votes.count(Vote.FIX_FORWARD) == 2
    rec = recommend(a)
    assert rec.decision is Decision.ROLLBACK
    assert rec.urgency == "likely"
    assert rec.reasons[0] == "P1 criterion (rollback likely): Widespread errors (> 5% error rate)"


def test_p1_criterion_with_matrix_rollback_majority_gives_likely() -> None:
    a = make(Severity.P2, 20.0, 90.0, criteria=frozenset({"data_integrity_issues"}))
    rec = recommend(a)
    assert rec.impact_score == 40
    assert rec.decision is Decision.ROLLBACK
    assert rec.urgency == "likely"


def test_p1_criterion_outvoted_by_matrix_gives_fix_forward_with_warning() -> None:
    rec = recommend(all_fix_forward(frozenset({"payment_errors"})))
    assert rec.decision is Decision.FIX_FORWARD
    assert rec.urgency == "not recommended"
    assert any("Payment processing errors" in w for w in rec.warnings)


def test_matrix_majority_rollback() -> None:
    # P2 at 20% (score 40): RB users, time, migration, stability; FF severity, workaround.
    a = make(
        Severity.P2, 20.0, 90.0, DataMigration.NONE, Stability.MULTIPLE_ISSUES, Workaround.EASY
    )
    rec = recommend(a)
    assert rec.decision is Decision.ROLLBACK
    assert rec.urgency == "recommended"
    assert rec.reasons[0] == "decision matrix: 4 factors favour rollback, 2 fix forward"


def test_matrix_reason_example_wording() -> None:
    a = make(Severity.P1, 20.0, 90.0, DataMigration.IRREVERSIBLE, Stability.MULTIPLE_ISSUES)
    rec = recommend(a)
    assert "decision matrix: 5 factors favour rollback, 1 fix forward" in rec.reasons


def test_matrix_majority_fix_forward() -> None:
    rec = recommend(all_fix_forward())
    assert rec.decision is Decision.FIX_FORWARD
    assert rec.urgency == "not recommended"
    assert rec.reasons[0] == "decision matrix: 0 factors favour rollback, 6 fix forward"


def test_tie_with_p1_severity_rolls_back_and_says_decide_quickly() -> None:
    # P1 at 10% scores exactly 50: RB severity, workaround; FF migration, stability; 2 neutral.
    a = make(Severity.P1, 10.0, 30.0, DataMigration.IRREVERSIBLE, Stability.SINGLE_ISSUE)
    rec = recommend(a)
    assert rec.decision is Decision.ROLLBACK
    assert rec.urgency == "recommended"
    assert "tied 2–2" in rec.reasons[0]
    assert "decide quickly" in rec.reasons[0] and "don't hesitate" in rec.reasons[0]


def test_tie_with_p0_severity_rolls_back() -> None:
    # P0 at 5% scores exactly 50: RB severity, time, workaround; FF users, migration, stability.
    a = make(
        Severity.P0, 5.0, 90.0, DataMigration.IRREVERSIBLE, Stability.SINGLE_ISSUE, Workaround.NONE
    )
    rec = recommend(a)
    assert rec.impact_score == 50
    assert rec.decision is Decision.ROLLBACK
    assert "tied 3–3" in rec.reasons[0]


def test_tie_with_p2_severity_fixes_forward() -> None:
    # P2 at 20% (score 40): RB users, time, stability; FF severity, migration, workaround.
    a = make(
        Severity.P2, 20.0, 90.0, DataMigration.IRREVERSIBLE, Stability.MULTIPLE_ISSUES,
        Workaround.EASY,
    )  # fmt: skip
    rec = recommend(a)
    assert rec.decision is Decision.FIX_FORWARD
    assert rec.urgency == "not recommended"
    assert "tied 3–3" in rec.reasons[0] and "fix forward" in rec.reasons[0]
    assert any("WORKAROUND" in w for w in rec.warnings)


def test_when_lists_become_reasons_on_their_side() -> None:
    a = make(Severity.P1, 20.0, criteria=frozenset({"fix_over_one_hour", "minor_contained"}))
    rec = recommend(a)
    assert "supports rollback: Fix will take > 1 hour" in rec.reasons
    assert "supports fix forward: Issue is minor and contained" in rec.reasons


def test_irreversible_migration_rollback_warns_about_type_2() -> None:
    rec = recommend(make(Severity.P0, 50.0, migration=DataMigration.IRREVERSIBLE))
    assert rec.decision is Decision.ROLLBACK
    (warning,) = rec.warnings
    assert "Type 2" in warning and "data loss window" in warning and "fix forward" in warning


def test_clean_rollback_has_no_warnings() -> None:
    rec = recommend(make(Severity.P1, 20.0))
    assert rec.decision is Decision.ROLLBACK
    assert rec.warnings == ()


def test_easy_workaround_with_fix_forward_mentions_workaround_option() -> None:
    rec = recommend(all_fix_forward())
    assert any("WORKAROUND" in w for w in rec.warnings)


def test_decision_values_match_template() -> None:
    assert [d.value for d in Decision] == ["ROLLBACK", "FIX FORWARD", "WORKAROUND"]


# --- decision record ---------------------------------------------------------------------

DETECTED = datetime(2024, 5, 1, 14, 0, tzinfo=UTC)


def record(**overrides: object) -> DecisionRecord:
    """A filled-in decision record, 23 minutes from detection to decision."""
    values: dict[str, object] = {
        "issue": "Checkout returns 500",
        "impact": "20% of users, P1",
        "detected_at": DETECTED,
        "decided_at": DETECTED + timedelta(minutes=23),
        "decision": Decision.ROLLBACK,
        "rationale": "Impact score 100 > 50",
        "expected_resolution": "30 minutes",
        "authorized_by": "Dana Ruiz, Release Manager",
        "team_lead": "Sam Lee",
        "engineers": ("Ana", "Ben"),
        "support": "Chris",
    }
    values.update(overrides)
    return DecisionRecord(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("td", "text"),
    [
        (timedelta(seconds=45), "45s"),
        (timedelta(0), "0s"),
        (timedelta(minutes=23), "23m"),
        (timedelta(minutes=23, seconds=59), "23m"),
        (timedelta(hours=1, minutes=5), "1h 05m"),
        (timedelta(hours=26, minutes=30), "26h 30m"),
    ],
)
def test_format_duration(td: timedelta, text: str) -> None:
    assert format_duration(td) == text


def test_format_duration_rejects_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        format_duration(timedelta(seconds=-1))


def test_time_lost_is_decided_minus_detected_across_zones() -> None:
    plus2 = timezone(timedelta(hours=2))
    r = record(decided_at=datetime(2024, 5, 1, 17, 5, tzinfo=plus2))  # 15:05 UTC
    assert r.time_lost == timedelta(hours=1, minutes=5)


def test_time_lost_rejects_decision_before_detection() -> None:
    with pytest.raises(ValueError, match="before"):
        _ = record(decided_at=DETECTED - timedelta(seconds=1)).time_lost


@pytest.mark.parametrize("field_name", ["detected_at", "decided_at"])
def test_time_lost_rejects_naive_datetimes(field_name: str) -> None:
    naive = datetime(2024, 5, 1, 14, 30)
    with pytest.raises(ValueError, match="timezone-aware"):
        _ = record(**{field_name: naive}).time_lost


def test_markdown_renders_every_template_field_in_order() -> None:
    md = record().to_markdown()
    expected_lines = [
        "## Rollback Decision - 2024-05-01 14:23 UTC",
        "**Issue**: Checkout returns 500",
        "**Impact**: 20% of users, P1",
        "**Detected At**: 2024-05-01 14:00:00 UTC",
        "**Decision Made At**: 2024-05-01 14:23:00 UTC",
        "**Time Lost**: 23m",
        "**Decision**: ROLLBACK",
        "**Rationale**: Impact score 100 > 50",
        "**Expected Resolution Time**: 30 minutes",
        "**Authorized By**: Dana Ruiz, Release Manager",
        "**Team Assigned**:",
        "- Lead: Sam Lee",
        "- Engineers: Ana, Ben",
        "- Support: Chris",
    ]
    lines = md.splitlines()
    positions = [lines.index(line) for line in expected_lines]
    assert positions == sorted(positions)


def test_markdown_shows_fix_forward_decision_text() -> None:
    md = record(decision="FIX FORWARD").to_markdown()
    assert "**Decision**: FIX FORWARD" in md


def test_to_dict_round_trip_and_utc_iso() -> None:
    plus2 = timezone(timedelta(hours=2))
    original = record(detected_at=datetime(2024, 5, 1, 16, 0, tzinfo=plus2))
    data = original.to_dict()
    assert data["detected_at"] == "2024-05-01T14:00:00+00:00"
    assert data["decided_at"] == "2024-05-01T14:23:00+00:00"
    assert data["decision"] == "ROLLBACK"
    restored = DecisionRecord.from_dict(json.loads(json.dumps(data)))
    assert restored == original
    assert restored.engineers == ("Ana", "Ben")
    assert restored.time_lost == timedelta(minutes=23)


def test_from_dict_rejects_missing_fields_and_naive_times() -> None:
    data = record().to_dict()
    del data["support"]
    with pytest.raises(ValueError, match="support"):
        DecisionRecord.from_dict(data)
    data = record().to_dict()
    data["detected_at"] = "2024-05-01T14:00:00"
    with pytest.raises(ValueError, match="timezone-aware"):
        DecisionRecord.from_dict(data)


# --- properties ----------------------------------------------------------------------------

pcts = st.floats(min_value=0, max_value=100, allow_nan=False)
severities = st.sampled_from(list(Severity))


@given(pct=pcts, severity=severities)
def test_score_equals_pct_times_weight(pct: float, severity: Severity) -> None:
    assert impact_score(pct, severity) == pct * SEVERITY_WEIGHTS[severity]


@given(a=pcts, b=pcts, severity=severities)
def test_score_is_monotonic_in_pct(a: float, b: float, severity: Severity) -> None:
    low, high = sorted((a, b))
    assert impact_score(low, severity) <= impact_score(high, severity)


@given(
    severity=severities,
    pct=pcts,
    ttf=st.none() | st.floats(min_value=0, max_value=1000, allow_nan=False),
    migration=st.sampled_from(list(DataMigration)),
    stability=st.sampled_from(list(Stability)),
    workaround=st.sampled_from(list(Workaround)),
    criteria=st.frozensets(st.sampled_from(sorted(CRITERIA_BY_ID))),
)
def test_recommend_respects_rule_precedence(
    severity: Severity,
    pct: float,
    ttf: float | None,
    migration: DataMigration,
    stability: Stability,
    workaround: Workaround,
    criteria: frozenset[str],
) -> None:
    a = Assessment(severity, pct, ttf, migration, stability, workaround, criteria)
    rec = recommend(a)
    assert len(rec.votes) == 6 and rec.reasons
    if criteria & {c.id for c in P0_IMMEDIATE}:
        assert (rec.decision, rec.urgency) == (Decision.ROLLBACK, "immediate")
    elif rec.impact_score > ROLLBACK_SCORE_THRESHOLD:
        assert (rec.decision, rec.urgency) == (Decision.ROLLBACK, "recommended")
    if rec.decision is Decision.FIX_FORWARD:
        assert rec.urgency == "not recommended"
