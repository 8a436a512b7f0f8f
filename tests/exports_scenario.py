"""A known incident for the export tests: the drill's bad-release rollback (the widget
scenario's events) with baselines, a full assessment and decision, communications, the
post-incident record and hostile text, journaled with a fixed clock. Its bytes never depend on
the machine, so the exports' hash-chain head is the same everywhere."""

from __future__ import annotations

import copy
from datetime import datetime
from pathlib import Path
from typing import Any

from widgets_scenario import (
    ACTOR,
    INCIDENT_ID,
    ROOT,
    at,
    epoch_at,
    execution_events,
    verification_events,
)

from tui.adapters.journal import JournalWriter
from tui.app.exports import Exporter
from tui.domain.assessment import Assessment, recommend, recommendation_to_dict
from tui.domain.runbook import Runbook, validate_runbook

RUNBOOK_PATH = ROOT / "runbooks" / "revert-deployment.yaml"
GENERATED_AT = "2026-11-30T05:02:03+00:00"
HOSTILE_NOTE = ("pipe | in a cell, <b>html</b> & **bold** _x_ [link](http://x) `code`\n"
                "# not a heading\n- not a list\n1. not numbered $5 ~~no~~")
Event = tuple[str, str, dict[str, Any]]


def runbook() -> Runbook:
    """The built-in revert-deployment runbook."""
    result = validate_runbook(RUNBOOK_PATH.read_bytes(), str(RUNBOOK_PATH))
    assert result.runbook is not None, result.problems
    return result.runbook


def _assessment() -> dict[str, Any]:
    inputs = Assessment(severity="P1", users_affected_pct=12, time_to_fix_minutes=90,
                        data_migration="none", stability="single_issue", workaround="none",
                        criteria=frozenset({"widespread_errors", "payment_errors"}),
                        description="checkout answers 12% of requests with a 5xx",
                        duration_minutes=6, trend="worsening", scope="checkout, all regions",
                        detection_sources=frozenset({"monitoring_alerts", "support_tickets"}))
    rec = recommendation_to_dict(recommend(inputs))
    return {"inputs": inputs.to_dict(), "impact_score": rec["impact_score"],
            "recommendation": rec, "votes": rec["votes"], "revision": 1}


DECISION = {
    "issue": "checkout 2.4.0 crash-loops and fails 12% of requests",
    "impact": "12% of users, P1, impact score 60", "detected_at": "2026-11-30T04:06:07+00:00",
    "decided_at": "2026-11-30T04:19:02+00:00", "expected_resolution": "10m",
    "team_lead": "alice", "engineers": ["carol", "dan"], "support": "erin",
    "meeting_started_at": "2026-11-30T04:12:30+00:00",
    "meeting_ended_at": "2026-11-30T04:19:02+00:00", "meeting_seconds": 392.0,
    "time_lost": "12m"}
BASELINES = {"error_ratio": (0.002, 0.002, 0.0021, 0.0023),
             "latency_p95": (0.136, 0.135, 0.14, 0.15),
             "request_rate": (40.0, 40.0, 41.0, 42.0)}
POSTMORTEM: list[tuple[str, Any]] = [
    ("issue_description", ("Release 2.4.0 shipped a new payment client.\n"
                           "Under load its connection pool ran dry and pods crash-looped.")),
    ("root_cause", "The payment client's pool size was left at its default of 2."),
    ("five_whys", ["Pods crash-looped", "The payment client exhausted its pool",
                   "The pool size defaulted to 2", "The config review missed it",
                   "The review checklist has no client-config item"]),
    ("went_well", ["The rollback took 8 minutes", "Baselines were frozen before acting"]),
    ("to_improve", ["Load-test new clients before release"]),
    ("action_items", [{"text": "Add a client-config item to the review checklist",
                       "owner": "alice", "due": "2026-12-07", "done": False},
                      {"text": "Load test payment client | pool 2 vs 20", "owner": "carol",
                       "due": "2026-12-10", "done": True}]),
    ("prevention", ["Canary 2.4.x at 5% for an hour"]),
    ("fishbone", {"process": ["No load test of the new client"],
                  "technology": ["Pool default of 2"]}),
    ("re_release", {"root_cause_fixed": True, "new_tests": True}),
]


def events(*, resolved: bool = True) -> list[Event]:
    """The incident's events as (clock time, type, data), in journal order."""
    out = copy.deepcopy(execution_events())
    out[1] = ("04:13:40", "assessment.recorded", _assessment())
    out[2][2].update(DECISION)
    frozen = next(i for i, e in enumerate(out) if e[1] == "baselines.frozen")
    out[frozen:frozen] = [
        ("04:19:05", "baseline.captured", {
            "metric": name, "expr": name, "start": epoch_at("03:00:00"),
            "end": epoch_at("04:00:00"), "mean": mean, "p50": p50, "p95": p95, "max": top,
            "samples": 240}) for name, (mean, p50, p95, top) in BASELINES.items()]
    out += verification_events()
    rolled_out = next(e for e in out if e[1] == "step.finished" and
                      e[2]["step_id"] == "rollout_status")
    rolled_out[2]["data"] = {"updated": 3, "ready": 3, "available": 3, "replicas": 3}
    out += [
        ("04:31:00", "check.recorded", {"item_id": "traffic_normal", "status": "pass",
                                        "note": "request_rate 40.000 ≥ threshold 1.000",
                                        "automatic": True, "value": 40.0}),
        ("04:32:10", "check.recorded", {"item_id": "resources_stable", "status": "pass",
                                        "note": HOSTILE_NOTE}),
        ("04:33:00", "note.added", {"text": HOSTILE_NOTE}),
        ("04:34:00", "comms.sent", {"template": "status_update", "number": 1,
                                    "channel": "#incident-checkout", "via": "manual",
                                    "text": "Rollback of checkout 2.4.0 complete"}),
    ]
    if resolved:
        out += [("04:40:00", "postmortem.updated", {"section": s, "value": v})
                for s, v in POSTMORTEM]
        out.append(("04:41:00", "incident.resolved", {
            "outcome": "failed", "status": "FAILED", "verified_by": "bob (release manager)",
            "summary": "FAILED — check(s) failed: response_times_normal"}))
    return out


def write_incident(incidents_dir: Path, *, resolved: bool = True,
                   extra: list[Event] | None = None, params: dict[str, str] | None = None,
                   secret_values: tuple[str, ...] = ()) -> Path:
    """Journal the incident with a fixed clock (with more `params`, then `extra` events; the
    writer masks `secret_values` as a session does its secret parameters); returns its
    folder."""
    folder = incidents_dir / INCIDENT_ID
    moment = {"now": 0.0}
    writer = JournalWriter(folder, actor=ACTOR, clock=lambda: moment["now"],
                           secret_values=secret_values).open()
    journaled = [*events(resolved=resolved), *(extra or [])]
    journaled[0][2]["params"] = {**journaled[0][2]["params"], **(params or {})}
    for clock, kind, data in journaled:
        moment["now"] = epoch_at(clock)
        writer.append_durable(kind, data)
    writer.close()
    return folder


def exporter(folder: Path) -> Exporter:
    """The incident's exporter at the fixed export time, with the built-in templates."""
    return Exporter.load(folder, runbook(), now=datetime.fromisoformat(GENERATED_AT))


__all__ = ["ACTOR", "GENERATED_AT", "HOSTILE_NOTE", "INCIDENT_ID", "at", "events", "exporter",
           "runbook", "write_incident"]
