"""The documents exported from an incident, as plain data built from its journal alone: what
every export states (incident, when made, the journal's hash-chain head, DRAFT while open),
the timeline and the verification checklist in the seed's §4.3 layout. The incident report
and the decision record are in `exports_report`; rendering is the adapters' job.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tui.domain.checklist import checklist, derive_status
from tui.domain.incident import IncidentState, JournalEvent, ParsedJournal
from tui.domain.metrics import format_setting, format_value
from tui.domain.redaction import redact
from tui.domain.runbook import CheckItem, Runbook, render_args
from tui.domain.status import CheckStatus, IncidentStatus, StepStatus
from tui.domain.timeline import describe

EXPORT_FORMAT, EXPORT_VERSION = "rollback-export", 1
DOCUMENTS = ("checklist", "report", "decision", "timeline")
FORMATS = ("md", "json", "html", "csv")
# Exported on request only (a drill's), never by `--what all`.
ON_REQUEST = ("drill-report",)
DOCUMENT_FORMATS: Mapping[str, tuple[str, ...]] = {
    "checklist": FORMATS, "report": ("md", "json", "html"), "decision": ("md", "json", "html"),
    "timeline": FORMATS, "drill-report": ("md", "html")}
DOCUMENT_TITLES = {"checklist": "verification checklist", "report": "incident report",
                   "decision": "decision record", "timeline": "timeline",
                   "drill-report": "drill report"}
STAMP = re.compile(r"Incident (?P<incident>[A-Za-z0-9._-]+) · exported (?P<made>[^·\n]+?) · "
                   r"journal head sha256:(?P<head>[0-9a-f]{64}) \(line (?P<line>\d+)\)")
MARKS = {"pass": ("✓", "PASS"), "fail": ("✗", "FAIL"), "open": ("◌", "OPEN"), "info": ("", "")}


# ---- times -----------------------------------------------------------------------------------
def parse_time(ts: object) -> datetime | None:
    """A journal timestamp as an aware datetime (None when absent or not ISO-8601)."""
    if not isinstance(ts, str) or not ts:
        return None
    try:
        moment = datetime.fromisoformat(ts)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def utc_text(ts: object, *, seconds: bool = True) -> str:
    """`2026-11-30 04:12:07 UTC`; empty when there is no time."""
    moment = parse_time(ts) if not isinstance(ts, datetime) else ts
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else
                                           "%Y-%m-%d %H:%M UTC")


def clock_text(ts: object, day: str = "") -> str:
    """`04:12:07` on the incident's day `day` (YYYY-MM-DD), else `2026-12-01 00:03:10`."""
    moment = parse_time(ts)
    if moment is None:
        return ""
    moment = moment.astimezone(UTC)
    text = moment.strftime("%H:%M:%S")
    return text if moment.strftime("%Y-%m-%d") == day else f"{moment:%Y-%m-%d} {text}"


# ---- what every export states ----------------------------------------------------------------
@dataclass(frozen=True)
class JournalHead:
    """The journal's hash-chain head an export was made from: line N and its sha256."""

    sha256: str
    line: int
    intact: bool = True
    problem: str = ""


def journal_head(parsed: ParsedJournal) -> JournalHead:
    """The head of a parsed journal (a torn last line is not part of the chain)."""
    first = parsed.problems[0].reason if parsed.problems else ""
    return JournalHead(parsed.last_hash, parsed.line_count, not parsed.problems, first)


def stamp_line(incident_id: str, generated_at: datetime, head: JournalHead) -> str:
    """The line every export carries, and `incidents verify --export` reads back."""
    return (f"Incident {incident_id} · exported {utc_text(generated_at)} · journal head "
            f"sha256:{head.sha256} (line {head.line})")


def header(what: str, state: IncidentState, head: JournalHead, generated_at: datetime
           ) -> dict[str, Any]:
    """The facts every document starts with; `notice` is the DRAFT line of an open incident."""
    incident_id = str(state.incident_id or "")
    draft = state.status is not IncidentStatus.RESOLVED
    notice = (f"DRAFT — incident still open: this {DOCUMENT_TITLES[what]} shows the journal up "
              f"to line {head.line} and will change" if draft else "")
    warning = "" if head.intact else (f"the journal's hash chain is broken ({head.problem}); "
                                      "run rollback incidents verify")
    return {
        "notice": notice, "format": EXPORT_FORMAT, "version": EXPORT_VERSION, "document": what,
        "incident_id": incident_id, "title": state.title, "draft": draft,
        "generated_at": generated_at.astimezone(UTC).isoformat(),
        "generated_at_text": utc_text(generated_at),
        "journal": {"head": f"sha256:{head.sha256}", "line": head.line, "intact": head.intact},
        "journal_warning": warning, "stamp": stamp_line(incident_id, generated_at, head),
        "drill": state.drill, "dry_run": state.dry_run,
        "runbook": {"id": state.runbook_id or "", "version": state.runbook_version,
                    "sha256": state.runbook_sha256},
    }


@dataclass(frozen=True)
class ExportStamp:
    """What an export says it was made from."""

    incident_id: str
    head: str
    line: int
    made: str


def read_stamp(text: str) -> ExportStamp | None:
    """The stamp of an export in any format (JSON fields, else the stamp line); None if none."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
            journal = data["journal"]
            head = str(journal["head"]).removeprefix("sha256:")
            if re.fullmatch(r"[0-9a-f]{64}", head):
                made = data.get("generated_at_text") or data.get("generated_at", "")
                return ExportStamp(str(data["incident_id"]), head, int(journal["line"]),
                                   str(made))
        except (ValueError, KeyError, TypeError):
            pass
    match = STAMP.search(text)
    if match is None:
        return None
    return ExportStamp(match["incident"], match["head"], int(match["line"]), match["made"])


def line_hashes(journal: bytes) -> list[str]:
    """The sha256 of every whole line of a journal (a torn last line has none)."""
    lines = journal.split(b"\n")[:-1]
    return [hashlib.sha256(line + b"\n").hexdigest() for line in lines]


def clean(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document with anything that looks like a credential masked (the journal is already
    redacted; this guards journals written by older or foreign tools)."""
    return redact(dict(document))


# ---- timeline --------------------------------------------------------------------------------
def _day(state: IncidentState) -> str:
    opened = parse_time(state.opened_at)
    return opened.astimezone(UTC).strftime("%Y-%m-%d") if opened else ""


def timeline_rows(events: Iterable[JournalEvent], day: str = "") -> list[dict[str, Any]]:
    """Every event as a row: time, actor, category, the timeline's text, seq."""
    rows = []
    for event in events:
        entry = describe(event)
        rows.append({"seq": entry.seq, "ts": entry.ts, "time": clock_text(entry.ts, day),
                     "actor": entry.actor, "category": entry.category.value,
                     "symbol": entry.symbol.value, "severity": entry.severity.value,
                     "text": entry.text})
    return rows


def timeline_document(state: IncidentState, events: Sequence[JournalEvent], head: JournalHead,
                      generated_at: datetime) -> dict[str, Any]:
    """The whole timeline, one row per journal event."""
    return clean({**header("timeline", state, head, generated_at), "day": _day(state),
                  "rows": timeline_rows(events, _day(state))})


# ---- verification checklist ------------------------------------------------------------------
SEED_SECTIONS = (("service_health", "Service Health"),
                 ("version", "Version Confirmation"), ("smoke_tests", "Smoke Tests"),
                 ("metrics", "Metrics"), ("user_impact", "User Impact"))
# Manual items go under the seed heading their words name; the rest is service health.
_KEYWORDS = tuple((key, re.compile(words, re.IGNORECASE)) for key, words in (
    ("smoke_tests", r"smoke|login|payment|critical path|api endpoint"),
    ("version", r"version|schema|config"),
    ("user_impact", r"user|traffic|ticket|transaction|session|customer"),
    ("metrics", r"error|latenc|response time|resource|anomal|log|performance|metric|throughput")))


def seed_heading(item: CheckItem) -> str:
    """Which of the seed's §4.3 headings a verification or validation item belongs under."""
    check = item.check
    if check is not None and check.action == "http.check" and check.args.get("json_field"):
        return "version"
    if check is not None and check.action.startswith("k8s."):
        return "service_health"
    words = f"{item.id.replace('_', ' ')} {item.item}"
    return next((key for key, pattern in _KEYWORDS if pattern.search(words)), "service_health")


def _mark(status: str) -> dict[str, str]:
    mark, word = MARKS.get(status, ("", ""))
    return {"status": status, "mark": mark, "word": word}


def _values(state: IncidentState) -> dict[str, str]:
    # Journal values only: secret parameters are masked there, never read from the environment.
    return {k: str(v) for k, v in state.params.items()}


def _rendered(value: Any, values: Mapping[str, str]) -> str:
    try:
        return str(render_args(value, values))
    except ValueError:
        return str(value)


def checklist_items(runbook: Runbook | None, state: IncidentState) -> list[dict[str, Any]]:
    """Every item by the runbook's sections with its mark, note, who and when."""
    day = _day(state)
    if runbook is None:  # the runbook is gone: the items the journal marked, as recorded
        marks = state.check_states.items()
        return [{"key": "recorded", "title": "Checklist items recorded in the journal",
                 "items": [_item(i, i, "recorded", m, day, m.automatic) for i, m in marks]}]
    out = []
    for section in checklist(runbook, state, _values(state)):
        items = [_item(e.item_id, e.text, section.key, state.check_states.get(e.item_id), day,
                       e.automatic) for e in section.entries]
        out.append({"key": section.key, "title": section.title, "done": section.done,
                    "total": len(items), "items": items})
    return out


def _item(item_id: str, text: str, section: str, mark: Any, day: str, automatic: bool
          ) -> dict[str, Any]:
    status = str(mark.status) if mark else "open"
    return {"id": item_id, "text": text, "section": section, **_mark(status),
            "checked": status == CheckStatus.PASS, "note": mark.note if mark else "",
            "by": mark.actor if mark else "", "at": mark.ts if mark else "",
            "time": clock_text(mark.ts, day) if mark else "", "automatic": automatic,
            "gate": bool(mark and mark.gate),
            "value": mark.value if mark and isinstance(mark.value, int | float | str) else None}


def _measured(metric: str, text: str) -> float | None:
    match = re.match(rf"{re.escape(metric)} (-?\d+(?:\.\d+)?(?:e-?\d+)?)\b", text)
    return float(match.group(1)) if match else None


def metric_measurements(runbook: Runbook, events: Sequence[JournalEvent]
                        ) -> dict[str, dict[str, Any]]:
    """The last measured value of each runbook metric, from the prom.check steps and items
    (the value the check recorded, else the one its note states), with its pass/fail."""
    checks = {i.id: str(i.check.args.get("query", "")) for i in runbook.checklist_items()
              if i.check is not None and i.check.action == "prom.check"}
    steps = {s.id: str(s.args.get("query", "")) for s in runbook.steps
             if s.action == "prom.check"}
    found: dict[str, dict[str, Any]] = {}
    for event in events:
        data = event.data
        if event.type == "check.recorded":
            metric, status = checks.get(str(data.get("item_id"))), str(data.get("status"))
            value, note = data.get("value"), str(data.get("note", ""))
        elif event.type == "step.finished":
            metric = steps.get(str(data.get("step_id")))
            status = "pass" if data.get("status") == StepStatus.OK else "fail"
            inner = data.get("data") if isinstance(data.get("data"), Mapping) else {}
            value, note = inner.get("value"), str(data.get("detail", ""))
        else:
            continue
        if not metric or status not in ("pass", "fail"):
            continue
        if not isinstance(value, int | float) or isinstance(value, bool):
            value = _measured(metric, note)
        if value is not None:
            found[metric] = {"value": float(value), "status": status, "note": note,
                             "at": event.ts}
    return found


def metric_lines(runbook: Runbook, state: IncidentState, events: Sequence[JournalEvent]
                 ) -> list[dict[str, Any]]:
    """`error_ratio: 0.2 % (baseline: 0.2 %, threshold 5 %) ✓` for each runbook metric."""
    measured = metric_measurements(runbook, events)
    lines = []
    for metric in runbook.metrics:
        seen = measured.get(metric.name)
        baseline = state.baselines.get(metric.name) or {}
        mean = baseline.get("mean")
        mean = float(mean) if isinstance(mean, int | float) else None
        lines.append({
            "name": metric.name, "description": metric.description, "unit": metric.unit,
            "value": seen["value"] if seen else None,
            "value_text": format_value(seen["value"], metric.unit) if seen else "not measured",
            "baseline": mean,
            "baseline_text": format_value(mean, metric.unit) if mean is not None else "none",
            "threshold_text": format_setting(metric.threshold, metric.unit),
            "direction": metric.direction, **_mark(seen["status"] if seen else "open"),
            "note": seen["note"] if seen else "", "at": seen["at"] if seen else ""})
    return lines


def _line(label: str, value: str, status: str = "info", note: str = "") -> dict[str, Any]:
    return {"label": label, "value": value, **_mark(status), "note": note}


def _pod_lines(runbook: Runbook, state: IncidentState) -> list[dict[str, Any]]:
    lines = []
    for step in runbook.steps:
        done = state.steps.get(step.id)
        if step.action != "k8s.rollout_status" or done is None:
            continue
        ready, replicas = done.data.get("ready"), done.data.get("replicas")
        if not isinstance(ready, int) or not isinstance(replicas, int):
            continue
        name = _rendered(step.args.get("deployment", step.id), _values(state))
        ok = done.status is StepStatus.OK and ready == replicas
        lines.append(_line(f"App pods ({name})", f"{ready}/{replicas} ready",
                           "pass" if ok else "fail", done.detail))
    return lines


_FOUND_VERSION = re.compile(r"version = (\S+?),? ")


def _item_line(item: dict[str, Any]) -> dict[str, Any]:
    value = item["word"]
    if item["section"] in ("verification", "validation"):
        found = _FOUND_VERSION.search(item["note"] + " ")
        if found and item["status"] == "pass":
            value = found.group(1)
    return _line(item["text"], value, item["status"], item["note"])


def seed_layout(runbook: Runbook, state: IncidentState, events: Sequence[JournalEvent],
                sections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The seed's headings with the real values, marks and notes."""
    by_id = {i.id: i for i in runbook.checklist_items()}
    lines: dict[str, list[dict[str, Any]]] = {key: [] for key, _ in SEED_SECTIONS}
    lines["service_health"] += _pod_lines(runbook, state)
    for target in state.targets.values():
        where = f"{target.get('namespace')}/{target.get('deployment')}"
        version = f" ({target.get('version')})" if target.get("version") else ""
        lines["version"].append(_line(f"Rollback target {where}",
                                      f"revision {target.get('revision')}{version}"))
    for section in sections:
        if section["key"] not in ("verification", "validation"):
            continue
        for item in section["items"]:
            lines[seed_heading(by_id[item["id"]])].append(_item_line(item))
    pct = ((state.assessment or {}).get("inputs") or {}).get("users_affected_pct")
    if isinstance(pct, int | float):
        lines["user_impact"].insert(0, _line("Users affected (assessment)", f"{pct:g} %"))
    metrics = metric_lines(runbook, state, events)
    return [{"key": key, "title": title, "lines": lines[key],
             "metrics": metrics if key == "metrics" else []} for key, title in SEED_SECTIONS]


def _verified_at(state: IncidentState) -> str:
    if state.resolved_at:
        return state.resolved_at
    times = [m.ts for m in state.check_states.values() if m.ts]
    return max(times) if times else (state.last_ts or "")


def checklist_document(state: IncidentState, events: Sequence[JournalEvent],
                       runbook: Runbook | None, head: JournalHead, generated_at: datetime
                       ) -> dict[str, Any]:
    """The seed's Rollback Verification with real values, then every item by section."""
    sections = checklist_items(runbook, state)
    verified_at = _verified_at(state)
    if runbook is not None:
        summary = derive_status(runbook, state)
        status, sentence = str(summary.status), summary.sentence()
        seed = seed_layout(runbook, state, events, sections)
    else:
        status = str(state.rollback_status or "UNKNOWN")
        sentence, seed = "the runbook was not found: status as recorded at closing", []
    recorded = str(state.rollback_status or "")
    return clean({
        **header("checklist", state, head, generated_at),
        "heading": f"Rollback Verification - {utc_text(verified_at, seconds=False)}",
        "seed": seed, "sections": sections, "status": status, "status_sentence": sentence,
        "recorded_status": recorded if recorded and recorded != status else "",
        "verified_by": state.verified_by, "verified_at": verified_at,
        "verified_at_text": utc_text(verified_at), "runbook_found": runbook is not None})
