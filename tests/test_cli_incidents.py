"""`rollback incidents list|show|verify` on real journals, as real processes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from tui.adapters.journal import JournalWriter, incident_dir, new_incident_id
from tui.adapters.journal_key import installation_key
from tui.app.paths import resolve_paths


def _incident(slug: str = "checkout", secret: str = "hunter2-secret", *,
              keyed: bool = True) -> tuple[str, Path]:
    """An incident journaled as a session does (keyed: with the installation's key)."""
    incident_id = new_incident_id(slug, datetime.now(UTC))
    folder = incident_dir(resolve_paths(), incident_id)
    folder.mkdir(parents=True)
    key = installation_key(resolve_paths().config_file.parent) if keyed else None
    with JournalWriter(folder, actor="alice@laptop", secret_values=[secret], key=key) as writer:
        writer.append("incident.opened", {"incident_id": incident_id, "title": "checkout 5xx",
                                          "runbook_id": "revert-deployment",
                                          "params": {"namespace": "production"},
                                          "drill": False})
        writer.append("step.started", {"step_id": "rollout_undo", "title": "Deploy previous",
                                       "dry_run": False})
        writer.append("note.added", {"text": f"used token {secret}"})
        writer.append_durable("step.started", {"step_id": "rollout_status", "title": "Verify",
                                               "dry_run": False})
    return incident_id, folder


def test_list_empty_and_with_incidents(run_cli) -> None:
    empty = run_cli("incidents", "list")
    assert empty.returncode == 0 and "no incidents yet" in empty.stderr
    incident_id, _ = _incident()
    rows = [json.loads(line) for line in run_cli("incidents", "list", "--json").stdout.split(
        "\n") if line]
    assert rows == [{"id": incident_id, "title": "checkout 5xx", "runbook": "revert-deployment",
                     "status": "open", "opened_at": rows[0]["opened_at"], "events": 5,
                     "drill": False, "intact": True, "torn_tail": None, "deadlines": [
                         {"what": "incident report", "state": "not yet", "due_at": None},
                         {"what": "postmortem", "state": "not yet", "due_at": None}]}]


def test_show_replays_state_and_never_shows_secrets(run_cli) -> None:
    incident_id, folder = _incident()
    result = run_cli("incidents", "show", incident_id)
    assert result.returncode == 0, result.stderr
    assert "checkout 5xx" in result.stdout
    assert "interrupted" in result.stdout and "check before re-running" in result.stdout
    assert "hunter2-secret" not in result.stdout
    assert b"hunter2-secret" not in (folder / "journal.jsonl").read_bytes()


def test_verify_ok_then_tampered_exits_1_naming_the_line(run_cli) -> None:
    incident_id, folder = _incident()
    ok = run_cli("incidents", "verify", incident_id)
    assert ok.returncode == 0 and "OK, 5 lines" in ok.stdout
    assert "sealed at line 5" in ok.stdout
    journal = folder / "journal.jsonl"
    lines = journal.read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b"Deploy previous", b"Deploy PREVIOUS")
    journal.write_bytes(b"".join(lines))
    bad = run_cli("incidents", "verify", incident_id)
    assert bad.returncode == 1
    assert bad.stdout.startswith(f"{journal}:2: FAILED")


def test_a_torn_tail_fails_verify_and_is_flagged_by_list(run_cli) -> None:
    incident_id, folder = _incident()
    with (folder / "journal.jsonl").open("ab") as handle:
        handle.write(b'{"v":1,"seq":6,"ts":"2026-')
    result = run_cli("incidents", "verify", incident_id)
    assert result.returncode == 1
    assert "journal.jsonl:6: FAILED: line 6: 26 bytes after the last whole line" in result.stdout
    listed = run_cli("incidents", "list")
    assert listed.returncode == 0
    row = next(line for line in listed.stdout.splitlines() if line.startswith(incident_id))
    assert row.endswith("[torn last line: 26 bytes]")
    rows = [json.loads(line) for line in run_cli("incidents", "list", "--json").stdout.split(
        "\n") if line]
    assert rows[0]["torn_tail"] == {"offset": rows[0]["torn_tail"]["offset"], "length": 26,
                                    "reason": "last line has no newline"}
    assert rows[0]["intact"] is True  # every whole line still holds


def test_a_journal_without_macs_replays_but_verifies_as_unauthenticated(run_cli) -> None:
    incident_id, _folder = _incident(keyed=False)
    shown = run_cli("incidents", "show", incident_id)
    assert shown.returncode == 0 and "checkout 5xx" in shown.stdout
    result = run_cli("incidents", "verify", incident_id)
    assert result.returncode == 1
    assert ": UNAUTHENTICATED: no line carries a MAC" in result.stdout
    assert "(4 lines, chain intact)" in result.stdout


def test_unknown_or_malicious_ids_are_usage_errors(run_cli) -> None:
    _incident()
    for bad in ("20991231-000000-none", "../../etc", "a/b"):
        result = run_cli("incidents", "show", bad)
        assert result.returncode == 2, bad
        assert "Traceback" not in result.stderr
        assert result.stderr.startswith("rollback: ")
