"""Known secrets put into an incident — a secret parameter, step output, tokens in notes, check
notes, communications and the post-incident record — appear in no export, in any format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from exports_scenario import Event, exporter, write_incident

from tui.app.exports import plan
from tui.domain.redaction import MASK

PARAMETER = "Sup3r-S3cret-DB-pa55"  # a runbook parameter marked secret: the writer knows it
BEARER = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.Zm9vYmFy"
TOKEN = "ghp_7Qx9ZbY2WvU4TsR6PqO8NmL0KjI"
API_KEY = "AKIA4EXAMPLE77SECRETKEY"
WEBHOOK = "xoxb-2210-webhook-T0KEN"
PASSWORD = "correct-horse-battery"
SECRETS = (PARAMETER, BEARER, TOKEN, API_KEY, WEBHOOK, PASSWORD)


def _secret_events() -> list[Event]:
    """Where secrets leak in real incidents: parameters, step output, notes, comms, records."""
    return [
        ("04:42:00", "step.finished", {
            "step_id": "smoke_test", "title": "Smoke test", "status": "ok",
            "detail": f"psql -c 'select 1' with PGPASSWORD={PARAMETER}",
            "data": {"stdout": f"connected as admin/{PARAMETER}\n",
                     "headers": {"Authorization": f"Bearer {BEARER}"},
                     "env": [{"name": "API_TOKEN", "value": TOKEN}]}}),
        ("04:42:30", "check.recorded", {"item_id": "smoke_tests", "status": "pass",
                                        "note": f"curl -H 'Authorization: Bearer {BEARER}'"}),
        ("04:43:00", "note.added", {"text": f"rotated token={TOKEN}; api_key: {API_KEY}"}),
        ("04:43:30", "comms.sent", {"template": "stakeholder", "channel": "#exec",
                                    "via": "webhook", "text": "rollback done",
                                    "webhook": {"name": "slack", "status": 200,
                                                "token": WEBHOOK}}),
        ("04:44:00", "postmortem.updated", {"section": "root_cause",
                                            "value": f"the db password={PASSWORD} leaked"}),
        ("04:44:30", "decision.recorded", {"decision": "ROLLBACK", "authorized_by": "bob",
                                           "rationale": f"secret={PASSWORD}",
                                           "decided_at": "2026-11-30T04:44:30+00:00"}),
    ]


def _all_exports(folder: Path) -> dict[str, str]:
    source = exporter(folder)
    return {f"{what}.{fmt}": source.text(what, fmt) for what, fmt in plan("all", "all")}


def test_no_export_contains_a_secret(tmp_path: Path) -> None:
    folder = write_incident(tmp_path, extra=_secret_events(), secret_values=(PARAMETER,),
                            params={"db_dsn": f"postgres://admin:{PARAMETER}@db/checkout"})
    opened = json.loads((folder / "journal.jsonl").read_text().splitlines()[0])
    assert opened["data"]["params"]["db_dsn"] == f"postgres://admin:{MASK}@db/checkout"
    exports = _all_exports(folder)
    assert len(exports) == 14
    for name, text in exports.items():
        leaked = [s for s in SECRETS if s in text]
        assert leaked == [], f"{name} contains {leaked}"
    # The events are there, masked — not dropped (else the test would prove nothing).
    timeline = exports["timeline.md"]
    assert "rotated token=\\*\\*\\*" in timeline
    assert "the db password=\\*\\*\\* leaked" in exports["report.md"]


def _unredacted(data: Any) -> Any:
    return data


def test_a_journal_written_without_masking_still_exports_no_token(tmp_path: Path,
                                                                   monkeypatch: Any) -> None:
    """A journal from an older or foreign writer: exports mask what looks like a credential."""
    from tui.adapters import journal

    monkeypatch.setattr(journal, "Redactor", lambda _values=(): _unredacted)
    folder = write_incident(tmp_path, extra=_secret_events()[1:3])
    raw = (folder / "journal.jsonl").read_text()
    assert BEARER in raw and TOKEN in raw and API_KEY in raw  # the journal holds them
    for name, text in _all_exports(folder).items():
        leaked = [s for s in (BEARER, TOKEN, API_KEY) if s in text]
        assert leaked == [], f"{name} contains {leaked}"
