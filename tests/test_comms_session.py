"""Messages through the session and `rollback incidents update`, on a real incident opened
against the drill cluster: drafts and sends journaled (what, when, by whom), webhooks posted to a
real local HTTP server, their URL and token never in the journal; clear errors, no traceback."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from test_session import _decide, _runbook
from webhook_server import webhook_server

from tui.app.paths import resolve_paths
from tui.domain.webhooks import WebhookSetting
from tui.session.communicating import DeliveryFailed
from tui.session.session import IncidentSession, SessionConfig, SessionError

TOKEN = "xoxb-TOPSECRET-token"


def _open(info: Any, environ: dict[str, str] | None = None) -> IncidentSession:
    runbook, data = _runbook()
    params = {k: v for k, v in info.extra["params"].items() if runbook.parameter(k)}
    config = SessionConfig(incidents_dir=resolve_paths().incidents_dir,
                           kubeconfig=info.kubeconfig, time_scale=20, actor="alice@host",
                           environ=environ or {})
    session = IncidentSession.open(runbook, data, runbook.resolve_parameters(params, {}), config)
    _decide(session)
    session.run_step("announce", operator_done=True)
    return session


def _journal(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / "journal.jsonl").read_text().splitlines()]


def test_drafts_and_manual_sends_are_journaled_with_who_and_when(drill) -> None:
    _cluster, info = drill("bad-release")
    session = _open(info)
    try:
        draft = session.draft("status-update")
        assert draft.number == 1 and "- [X] Step 1: Announce rollback" in draft.text
        session.save_draft("status-update", draft.text + "\nextra line", channel="#inc")
        assert session.state.comms_drafts["status-update"]["text"].endswith("extra line")
        assert session.mark_sent("status-update", draft.text, "#incident") == 1
        assert session.mark_sent("announcement", "🚨 ROLLBACK", "#incident") is None
        with pytest.raises(SessionError, match="say where the message was posted"):
            session.mark_sent("announcement", "x", " ")
        with pytest.raises(SessionError, match="message is empty"):
            session.save_draft("announcement", "  \n")
        assert session.draft("status-update").number == 2
        assert session.next_update_due().since_what == "status update #1"
        folder = session.folder
    finally:
        session.close()
    sent = [e for e in _journal(folder) if e["type"] == "comms.sent"]
    assert [(e["data"]["template"], e["data"].get("number"), e["data"]["via"], e["actor"])
            for e in sent] == [("status-update", 1, "manual", "alice@host"),
                               ("announcement", None, "manual", "alice@host")]
    assert sent[0]["data"]["text"] == draft.text and sent[0]["data"]["channel"] == "#incident"
    assert datetime.fromisoformat(sent[0]["ts"]) <= datetime.now(UTC)


def test_send_posts_then_journals_and_a_failure_keeps_the_draft(drill) -> None:
    _cluster, info = drill("bad-release")
    with webhook_server((200, 0.0), (500, 0.0), (500, 0.0), (500, 0.0)) as server:
        env = {"ROLLBACK_WEBHOOK_CHAT_URL": server.url, "ROLLBACK_WEBHOOK_CHAT_TOKEN": TOKEN}
        session = _open(info, env)
        try:
            [chat] = session.webhooks()
            text = session.draft("status-update").text
            delivery = session.send("status-update", text, chat)
            assert delivery.ok and server.received[0].body == {"text": text}
            with pytest.raises(DeliveryFailed, match=r"webhook chat \(http://127\.0\.0\.1:\d+/…"
                               r"\): not sent after 3 attempt\(s\): HTTP 500"):
                session.send("announcement", "🚨 second", chat, channel="#incident")
            assert session.state.comms_drafts["announcement"]["text"] == "🚨 second"
            assert [c["template"] for c in session.state.comms] == ["status-update"]
            folder = session.folder
        finally:
            session.close()
    journal = (folder / "journal.jsonl").read_text()
    assert "SECRETPATH" not in journal and TOKEN not in journal and server.url not in journal
    [sent] = [e for e in _journal(folder) if e["type"] == "comms.sent"]
    assert sent["data"]["via"] == "webhook" and sent["data"]["channel"] == "chat"
    assert sent["data"]["webhook"]["name"] == "chat" and sent["data"]["webhook"]["status"] == 200
    warnings = [e["data"]["message"] for e in _journal(folder) if e["type"] == "warning.raised"]
    assert any("the draft is kept" in w for w in warnings)


def test_a_followed_incident_cannot_send(drill) -> None:
    _cluster, info = drill("bad-release")
    session = _open(info)
    try:
        follower = IncidentSession.follow(session.folder, session.runbook, session.config)
        with pytest.raises(SessionError, match="read-only"):
            follower.send("announcement", "x", WebhookSetting("chat", url="http://127.0.0.1:9"))
        assert "ROLLBACK INITIATED" in follower.draft("announcement").text
        follower.close()
    finally:
        session.close()


def test_cli_prints_marks_sent_and_sends(drill, run_cli) -> None:
    _cluster, info = drill("bad-release")
    session = _open(info)
    incident_id, folder = session.incident_id, session.folder
    printed = run_cli("incidents", "update", incident_id)  # works while the session holds it
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.startswith("[DRILL] Rollback Status Update #1 - ")
    assert "- [X] Step 1: Announce rollback" in printed.stdout
    session.close()
    marked = run_cli("incidents", "update", incident_id, "--template", "announcement",
                     "--mark-sent", "--channel", "#war-room")
    assert marked.returncode == 0, marked.stderr
    assert "journaled as sent to #war-room" in marked.stderr
    with webhook_server((200, 0.0)) as server:
        os.environ["ROLLBACK_WEBHOOK_CHAT_URL"] = server.url
        try:
            sent = run_cli("incidents", "update", incident_id, "--send")  # the only one
        finally:
            del os.environ["ROLLBACK_WEBHOOK_CHAT_URL"]
    assert sent.returncode == 0, sent.stderr
    assert server.received[0].body["text"] == sent.stdout.rstrip("\n")
    assert "sent to chat (http://127.0.0.1:" in sent.stderr and "SECRETPATH" not in sent.stderr
    kinds = [(e["data"]["template"], e["data"]["via"]) for e in _journal(folder)
             if e["type"] == "comms.sent"]
    assert kinds == [("announcement", "manual"), ("status-update", "webhook")]


def test_cli_errors_are_clear_and_keep_the_journal(drill, run_cli) -> None:
    _cluster, info = drill("bad-release")
    session = _open(info)
    incident_id, folder = session.incident_id, session.folder
    session.close()
    before = (folder / "journal.jsonl").read_bytes()
    cases = [
        (("incidents", "update", "20991231-000000-none"), 2, "20991231-000000-none"),
        (("incidents", "update", incident_id, "--template", "nope"), 2,
         "no message template 'nope' (templates: status-update, announcement"),
        (("incidents", "update", incident_id, "--send", "pager"), 2,
         "no webhook 'pager' (webhooks: none configured"),
        (("incidents", "update", incident_id, "--send"), 2,
         ("say which webhook to send to (webhooks: none configured: add webhooks: to the "
         "settings file or set ROLLBACK_WEBHOOK_<NAME>_URL)")),
        (("incidents", "update", incident_id, "--channel", "#x"), 2,
         "--channel goes with --mark-sent or --send"),
    ]
    for args, code, says in cases:
        result = run_cli(*args)
        assert result.returncode == code, (args, result.stderr)
        assert says in result.stderr and "Traceback" not in result.stderr, result.stderr
    os.environ["ROLLBACK_WEBHOOK_CHAT_URL"] = "http://127.0.0.1:9/hooks/SECRETPATH"
    try:
        failed = run_cli("incidents", "update", incident_id, "--send", "chat")
    finally:
        del os.environ["ROLLBACK_WEBHOOK_CHAT_URL"]
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert "not sent after 3 attempt(s): cannot connect" in failed.stderr
    assert "SECRETPATH" not in failed.stderr + (folder / "journal.jsonl").read_text()
    after = _journal(folder)
    assert (folder / "journal.jsonl").read_bytes().startswith(before)
    kept = [e["type"] for e in after if e["type"] != "journal.sealed"]
    assert kept[-2:] == ["comms.drafted", "warning.raised"]
