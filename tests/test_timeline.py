"""timeline.describe: one plain, safe human line for every journal event type."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.domain.incident import JournalEvent
from tui.domain.safe_text import plain
from tui.domain.timeline import (
    DESCRIBERS,
    TEXT_LIMIT,
    EventCategory,
    EventSeverity,
    Symbol,
    TimelineEntry,
    describe,
)

TS = "2026-11-30T04:12:07.123Z"


def event(kind: str, data: Any, *, actor: str = "alice@host", ts: str = TS,
          seq: int = 7) -> JournalEvent:
    return JournalEvent(1, seq, ts, actor, kind, data, "0" * 64)


def entry(kind: str, data: Any, **kw: Any) -> TimelineEntry:
    return describe(event(kind, data, **kw))


# Every type the journal knows, with realistic data, and the line a person reads.
CASES: list[tuple[str, dict[str, Any], str, EventCategory, Symbol, EventSeverity]] = [
    ("incident.opened",
     {"incident_id": "20261130-041200-checkout", "title": "Revert deployment",
      "runbook_id": "revert-deployment", "runbook_version": "1.2", "runbook_sha256": "ab" * 32,
      "runbook_source": "builtin", "params": {"namespace": "production"}, "headless": True,
      "dry_run": False, "drill": True},
     ("incident 20261130-041200-checkout opened: Revert deployment "
     "(runbook revert-deployment 1.2, headless, drill)"),
     EventCategory.INCIDENT, Symbol.STARTED, EventSeverity.INFO),
    ("assessment.recorded",
     {"inputs": {"severity": "P1", "users_affected_pct": 12.5, "time_to_fix_minutes": 90,
                 "data_migration": "none", "stability": "crashing", "workaround": "none",
                 "duration_minutes": 14, "trend": "worsening", "scope": "checkout",
                 "detection_sources": ["alert"], "criteria": ["error_rate"],
                 "description": "5xx"},
      "impact_score": 7.2,
      "recommendation": {"decision": "ROLLBACK", "urgency": "immediate", "reasons": ["r"],
                         "warnings": []},
      "votes": [{"factor": "f1", "value": 1, "vote": "rollback"},
                {"factor": "f2", "value": 2, "vote": "rollback"},
                {"factor": "f3", "value": 3, "vote": "fix_forward"}]},
     ("assessment: impact score 7.2 → ROLLBACK (immediate); P1, 12.5% of users affected, "
     "trend worsening, matrix 2 rollback / 1 fix forward"),
     EventCategory.ASSESSMENT, Symbol.INFO, EventSeverity.INFO),
    ("decision.recorded",
     {"issue": "checkout 5xx", "impact": "12% of users", "detected_at": TS, "decided_at": TS,
      "decision": "ROLLBACK", "rationale": "2.4.0 crash-loops", "expected_resolution": "10m",
      "authorized_by": "alice", "team_lead": "alice", "engineers": ["bob"], "support": "",
      "time_lost": "6m"},
     "decision ROLLBACK by alice: 2.4.0 crash-loops (time lost 6m)",
     EventCategory.DECISION, Symbol.MARK, EventSeverity.INFO),
    ("target.resolved",
     {"namespace": "production", "deployment": "checkout", "revision": 2,
      "replicaset": "checkout-655b57ff64", "images": ["shop/checkout:2.3.1"],
      "pod_template_hash": "655b57ff64", "version": "2.3.1", "live_revision": 3,
      "live_version": "2.4.0", "chosen_by": "alice", "reason": "last healthy revision"},
     ("target production/checkout → revision 2 (2.3.1), live revision 3 (2.4.0); "
     "chosen by alice: last healthy revision"),
     EventCategory.TARGET, Symbol.INFO, EventSeverity.INFO),
    ("baseline.captured",
     {"metric": "error_ratio", "expr": "sum(rate(x[5m]))", "start": 1.0, "end": 2.0,
      "mean": 0.0021, "p50": 0.002, "p95": 0.004, "max": 0.01, "samples": 120},
     "baseline error_ratio: mean 0.0021, p50 0.002, p95 0.004, max 0.01, 120 samples",
     EventCategory.BASELINE, Symbol.INFO, EventSeverity.INFO),
    ("baselines.frozen", {"at": "2026-11-30T04:10:00Z", "metrics": ["error_ratio", "p95"]},
     "baselines frozen at 04:10:00: error_ratio, p95",
     EventCategory.BASELINE, Symbol.MARK, EventSeverity.INFO),
    ("cluster.connected",
     {"context": "kind-prod", "server": "https://10.0.0.1:6443", "namespace": "production",
      "in_cluster": False},
     "connected to cluster kind-prod (https://10.0.0.1:6443), namespace production",
     EventCategory.TARGET, Symbol.INFO, EventSeverity.INFO),
    ("rbac.checked",
     {"ok": True, "summary": "8 of 8 permissions allowed", "namespace": "production",
      "checks": [{"permission": "patch deployments", "allowed": True, "reason": ""}]},
     "RBAC in production: 8 of 8 permissions allowed",
     EventCategory.RBAC, Symbol.OK, EventSeverity.OK),
    ("rbac.checked",
     {"ok": False, "summary": "7 of 8 permissions allowed", "namespace": "production",
      "checks": [{"permission": "patch deployments", "allowed": False, "reason": "RBAC"},
                 {"permission": "get pods", "allowed": True, "reason": ""}]},
     "RBAC in production: 7 of 8 permissions allowed; denied: patch deployments",
     EventCategory.RBAC, Symbol.FAILED, EventSeverity.ERROR),
    ("check.recorded",
     {"item_id": "no_error_spikes", "status": "fail", "automatic": True,
      "note": "error_ratio 0.12 > threshold 0.05 (baseline 0.002)"},
     "check no_error_spikes failed: error_ratio 0.12 > threshold 0.05 (baseline 0.002)",
     EventCategory.CHECK, Symbol.FAILED, EventSeverity.ERROR),
    ("check.recorded", {"item_id": "version_ok", "status": "pass", "note": "", "gate": True,
                        "value": "2.3.1"},
     "check version_ok passed (gate, value 2.3.1)",
     EventCategory.CHECK, Symbol.OK, EventSeverity.OK),
    ("check.recorded", {"item_id": "support_told", "status": "open", "note": "manual"},
     "check support_told open: manual", EventCategory.CHECK, Symbol.OPEN, EventSeverity.INFO),
    ("step.started",
     {"step_id": "rollout_undo", "title": "Deploy previous version",
      "action": "k8s.rollout_undo", "dry_run": False, "request": {"verb": "PATCH"},
      "confirmed_by": "alice@host"},
     "step rollout_undo started: Deploy previous version (confirmed by alice@host)",
     EventCategory.STEP, Symbol.STARTED, EventSeverity.INFO),
    ("step.finished",
     {"step_id": "rollout_undo", "status": "ok",
      "detail": 'rolled back deployment "checkout" from revision 3 to revision 2',
      "data": {"from": 3, "to": 2}, "evidence": "rollout_undo.json"},
     ('step rollout_undo ok: rolled back deployment "checkout" from revision 3 to revision 2 '
     "(evidence: rollout_undo.json)"),
     EventCategory.STEP, Symbol.OK, EventSeverity.OK),
    ("step.finished", {"step_id": "verify", "status": "failed", "detail": "timed out",
                       "data": {}, "reason": "3 pods not ready"},
     "step verify failed: timed out (3 pods not ready)",
     EventCategory.STEP, Symbol.FAILED, EventSeverity.ERROR),
    ("step.finished", {"step_id": "scale", "status": "skipped", "detail": "", "data": {},
                       "reason": "already at 3 replicas"},
     "step scale skipped: already at 3 replicas",
     EventCategory.STEP, Symbol.OPEN, EventSeverity.INFO),
    ("step.finished", {"step_id": "undo", "status": "interrupted", "detail": "Ctrl-C",
                       "data": {}},
     "step undo interrupted: Ctrl-C — check before re-running",
     EventCategory.STEP, Symbol.WARNING, EventSeverity.WARNING),
    ("confirmation.answered", {"step_id": "undo", "question": "Roll back checkout?",
                               "answer": True, "typed": True},
     "step undo confirmed by alice@host (typed the name): Roll back checkout?",
     EventCategory.STEP, Symbol.OK, EventSeverity.OK),
    ("confirmation.answered", {"step_id": "undo", "question": "Roll back checkout?",
                               "answer": False, "typed": False},
     "step undo declined by alice@host: Roll back checkout?",
     EventCategory.STEP, Symbol.MARK, EventSeverity.WARNING),
    ("stop.requested", {"level": "next_safe_point", "during_step": "rollout_status"},
     "stop requested by alice@host (at the next safe point, during step rollout_status)",
     EventCategory.SESSION, Symbol.MARK, EventSeverity.WARNING),
    ("stop.requested", {"level": "abort"}, "abort requested by alice@host (abort)",
     EventCategory.SESSION, Symbol.MARK, EventSeverity.WARNING),
    ("run.interrupted", {"during_step": "undo"},
     "run interrupted during step undo — check before re-running",
     EventCategory.SESSION, Symbol.WARNING, EventSeverity.WARNING),
    ("run.interrupted", {"before_step": "verify"}, "run interrupted before step verify",
     EventCategory.SESSION, Symbol.WARNING, EventSeverity.WARNING),
    ("run.interrupted", {"after_step": "undo"}, "run interrupted after step undo",
     EventCategory.SESSION, Symbol.WARNING, EventSeverity.WARNING),
    ("session.resumed", {"pid": 4242, "host": "laptop",
                         "previous_holder": {"pid": 4000, "host": "laptop", "since": TS},
                         "interrupted_steps": ["undo"]},
     ("session resumed by alice@host (pid 4242 on laptop); previous holder pid 4000 on laptop; "
     "interrupted: undo — check before re-running"),
     EventCategory.SESSION, Symbol.WARNING, EventSeverity.WARNING),
    ("session.resumed", {"pid": 4242, "host": "laptop", "previous_holder": None,
                         "interrupted_steps": []},
     "session resumed by alice@host (pid 4242 on laptop)",
     EventCategory.SESSION, Symbol.STARTED, EventSeverity.INFO),
    ("note.added", {"text": "error rate back under 1%"},
     "note by alice@host: error rate back under 1%",
     EventCategory.NOTE, Symbol.INFO, EventSeverity.INFO),
    ("warning.raised", {"message": "no baseline for p95: Prometheus unreachable"},
     "warning: no baseline for p95: Prometheus unreachable",
     EventCategory.WARNING, Symbol.WARNING, EventSeverity.WARNING),
    ("incident.resolved", {"outcome": "rolled back", "status": "SUCCESS", "verified_by": "bob"},
     "incident resolved: SUCCESS (rolled back, verified by bob)",
     EventCategory.INCIDENT, Symbol.MARK, EventSeverity.OK),
    ("incident.resolved", {"outcome": "partial", "status": "PARTIAL"},
     "incident resolved: PARTIAL", EventCategory.INCIDENT, Symbol.MARK, EventSeverity.WARNING),
    ("incident.resolved", {"outcome": "failed", "status": "FAILED"},
     "incident resolved: FAILED", EventCategory.INCIDENT, Symbol.MARK, EventSeverity.ERROR),
    ("incident.resolved", {"outcome": "success"}, "incident resolved: success",
     EventCategory.INCIDENT, Symbol.MARK, EventSeverity.OK),
    ("journal.torn_tail_quarantined",
     {"offset": 4096, "length": 27, "sha256": "cd" * 32, "saved_as": "journal.torn-4096.bin",
      "reason": "last line has no newline"},
     ("journal: a torn last line (27 bytes at byte 4096) was set aside as "
     "journal.torn-4096.bin: last line has no newline"),
     EventCategory.JOURNAL, Symbol.WARNING, EventSeverity.WARNING),
    ("comms.drafted", {"template": "status_update", "number": 3, "channel": "#incidents",
                       "text": "We are rolling back checkout"},
     "status update #3 drafted for #incidents: We are rolling back checkout",
     EventCategory.COMMS, Symbol.OPEN, EventSeverity.INFO),
    ("comms.sent", {"template": "status_page", "channel": "statuspage",
                    "text": "Resolved"},
     "status page sent to statuspage: Resolved", EventCategory.COMMS, Symbol.OK, EventSeverity.OK),
    ("drill.twist", {"seq": 2, "event": "prometheus-down", "source": "facilitator",
                     "detail": "the Prometheus API stops answering (HTTP 503)",
                     "fired_at": "2026-11-30T04:12:07Z", "scenario_seconds": 300.0},
     "TWIST prometheus-down: the Prometheus API stops answering (HTTP 503) (facilitator)",
     EventCategory.DRILL, Symbol.WARNING, EventSeverity.WARNING),
    ("drill.started", {"scenario": "bad-release", "description": "a bad release",
                       "truth": {"decision": "ROLLBACK", "strategy": "revert-deployment",
                                 "severity": "P1", "targets": []},
                       "speed": 20.0, "twists_scheduled": []},
     "DRILL scenario bad-release started (scored against its ground truth)",
     EventCategory.DRILL, Symbol.STARTED, EventSeverity.INFO),
    ("drill.record", {"changes": [
        {"method": "PATCH", "user_agent": "rollback-tui", "name": "checkout"},
        {"method": "PATCH", "user_agent": "kubectl/v1.31.0 (linux/amd64)", "name": "checkout"},
        {"method": "DELETE", "user_agent": "", "name": "checkout-abc"}],
        "deployments": {"production/checkout": {"revision": 3}}, "fetched_at": TS},
     ("DRILL the drill's change record: 3 changes (2 outside the runbook's user agent), "
      "1 deployment"), EventCategory.DRILL, Symbol.OK, EventSeverity.INFO),
]


@pytest.mark.parametrize(("kind", "data", "text", "category", "symbol", "severity"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_event_type_reads_as_one_human_line(
    kind: str, data: dict[str, Any], text: str, category: EventCategory, symbol: Symbol,
    severity: EventSeverity,
) -> None:
    result = entry(kind, data)
    assert result.text == text
    assert (result.category, result.symbol, result.severity) == (category, symbol, severity)
    assert (result.seq, result.ts, result.time_text, result.actor) == (7, TS, "04:12:07",
                                                                      "alice@host")
    assert result.line() == f"04:12:07 {symbol} {text}"


def test_every_known_type_has_a_case() -> None:
    assert set(DESCRIBERS) == {case[0] for case in CASES}


def test_decision_shows_strategy_meeting_and_how_it_was_taken() -> None:
    result = entry("decision.recorded", {
        "decision": "FIX FORWARD", "authorized_by": "carol", "rationale": "hotfix ready",
        "time_lost": "12m", "strategy": "revert_deployment", "meeting_seconds": 392,
        "taken": "outside the tool (headless run)"})
    assert result.text == ("decision FIX FORWARD (revert deployment) by carol: hotfix ready "
                           "(time lost 12m, meeting 6:32, taken outside the tool (headless run))")


def test_unknown_types_are_shown_as_data_in_their_category() -> None:
    result = entry("step.retried", {"step_id": "undo", "attempt": 2})
    assert (result.category, result.symbol, result.severity) == (
        EventCategory.STEP, Symbol.INFO, EventSeverity.INFO)
    assert result.text == "step.retried: step_id=undo, attempt=2"
    nested = entry("future.thing", {"a": {"b": [1, 2.5, True, None]}})
    assert nested.category == EventCategory.JOURNAL
    assert nested.text == "future.thing: a={b=[1, 2.5, yes, ]}"


@pytest.mark.parametrize("kind", [*DESCRIBERS, "unknown.type"])
def test_known_types_with_missing_or_wrong_data_still_describe(kind: str) -> None:
    for data in ({}, {"step_id": ["a", "b"], "status": {"x": 1}, "checks": "nope",
                      "inputs": [1], "votes": {"a": 1}, "metrics": 5, "meeting_seconds": "x",
                      "interrupted_steps": "undo", "previous_holder": [1], "samples": True}):
        result = entry(kind, data)
        assert result.text and "\n" not in result.text and len(result.text) <= TEXT_LIMIT
    assert entry(kind, ["not", "a", "dict"]).text  # data that is not even an object


HOSTILE = ["\x1b[2J", "[bold red]x[/]", "a\rb", "\x1b]0;pwned\x07title", "\x9b31mred",
           "\u202eevil\u202c", "line1\nline2", "\x00\x07\x08", "x" * 10_000]


@pytest.mark.parametrize("kind", [*DESCRIBERS, "unknown.type"])
def test_hostile_strings_never_reach_the_terminal(kind: str) -> None:
    for bad in HOSTILE:
        data = {key: bad for key in ("incident_id", "title", "text", "message", "step_id",
                                     "detail", "note", "rationale", "question", "reason",
                                     "summary", "status", "metric", "template", "channel",
                                     "decision", "authorized_by", "outcome", "saved_as",
                                     "level", "before_step", "deployment")}
        result = entry(kind, data, actor=bad, ts=bad)
        for text in (result.text, result.actor, result.ts, result.time_text, result.line()):
            assert_terminal_safe(text)
        assert len(result.text) <= TEXT_LIMIT


def assert_terminal_safe(text: str) -> None:
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in text), repr(text)
    assert not any(c in text for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def test_escape_sequences_and_controls_are_shown_inert_markup_is_kept_as_text() -> None:
    result = entry("note.added", {"text": "\x1b[2J\x1b[31mred\x1b[0m [bold red]x[/]\r\nok"})
    assert result.text == "note by alice@host: ^[[2J^[[31mred^[[0m [bold red]x[/] ok"
    assert entry("note.added", {"text": "\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\"}).text == (
        "note by alice@host: ^[]8;;http://evil^[\\link^[]8;;^[\\")


def test_long_values_are_cut_with_an_ellipsis() -> None:
    result = entry("note.added", {"text": "word " * 1000})
    assert result.text.endswith("…") and len(result.text) <= TEXT_LIMIT
    long_title = entry("step.started", {"step_id": "s", "title": "t" * 1000,
                                        "confirmed_by": "c" * 1000})
    assert len(long_title.text) <= TEXT_LIMIT and long_title.text.endswith("…")


def test_rich_renders_the_text_literally() -> None:
    """The contract for front ends: `Text(entry.text)`, never markup."""
    from rich.console import Console
    from rich.text import Text

    result = entry("note.added", {"text": "[bold red]x[/] [link=http://evil]y[/link]"})
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(Text(result.text))
    assert "[bold red]x[/] [link=http://evil]y[/link]" in out.getvalue()


def test_a_time_that_is_not_iso_shows_dashes() -> None:
    assert entry("note.added", {"text": "x"}, ts="yesterday").time_text == "--:--:--"


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from([*DESCRIBERS, "x.y", ""]),
       data=st.dictionaries(st.sampled_from(
           ["step_id", "status", "detail", "text", "inputs", "recommendation", "votes",
            "checks", "ok", "answer", "level", "metrics", "previous_holder", "number",
            "meeting_seconds", "samples", "revision", "value", "title"]), JSON_VALUES),
       actor=st.text())
def test_any_json_data_gives_a_safe_line(kind: str, data: dict[str, Any], actor: str) -> None:
    result = entry(kind, data, actor=actor)
    assert_terminal_safe(result.line())
    assert len(result.text) <= TEXT_LIMIT and "\n" not in result.line()


def test_plain_folds_whitespace_and_clips() -> None:
    assert plain("  a\t\tb \u2028 c  ") == "a b c"
    assert plain("abcdef", limit=4) == "abc…"


def test_a_drill_start_never_gives_its_answer_away() -> None:
    """The line is on the trainee's timeline while the drill runs: the truth stays out."""
    truth = {"decision": "FIX FORWARD", "severity": "P3", "why": "a cosmetic bug"}
    result = entry("drill.started", {"scenario": "minor-p3", "truth": truth})
    assert result.text == "DRILL scenario minor-p3 started (scored against its ground truth)"
    assert "FIX" not in result.line() and "P3" not in result.line()
    result = entry("drill.started", {"scenario": "mine", "truth": None, "speed": 1.0})
    assert result.text == "DRILL scenario mine started (no ground truth)"


def test_a_huge_change_record_is_counted_never_dumped() -> None:
    change = {"at": TS, "method": "PATCH", "path": "/apis/apps/v1/namespaces/production/"
              "deployments/checkout", "kind": "deployments", "namespace": "production",
              "name": "checkout", "subresource": "", "status": 200, "dry_run": False}
    changes = [{**change, "user_agent": "kubectl/v1.31.0" if i % 4 else "rollback-tui/1"}
               for i in range(10_000)]
    deployments = {f"production/app-{i}": {"revision": 2, "image": "x" * 200}
                   for i in range(300)}
    result = entry("drill.record", {"changes": changes, "deployments": deployments})
    assert result.text == ("DRILL the drill's change record: 10000 changes (7500 outside the "
                           "runbook's user agent), 300 deployments")
    assert "checkout" not in result.line()
