"""Pure tests of incident events: line format, hash chain, torn tails, redaction and replay."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import pytest

from tui.domain.incident import (
    CHECK_RECORDED,
    DECISION_RECORDED,
    GENESIS,
    INCIDENT_OPENED,
    INCIDENT_RESOLVED,
    NOTE_ADDED,
    STEP_FINISHED,
    STEP_STARTED,
    TORN_TAIL_QUARANTINED,
    JournalEvent,
    canonical_line,
    line_hash,
    parse_journal,
    redact,
    replay,
    verify_chain,
)


def build_journal(events: list[tuple[str, dict[str, Any]]]) -> list[bytes]:
    """Return the chained lines a writer would produce for (type, data) pairs."""
    lines: list[bytes] = []
    prev = GENESIS
    for seq, (kind, data) in enumerate(events, 1):
        line = canonical_line(
            {
                "v": 1,
                "seq": seq,
                "ts": f"2026-11-30T00:45:{seq % 60:02d}.000Z",
                "actor": "alice@host",
                "type": kind,
                "data": data,
                "prev": prev,
            }
        )
        prev = line_hash(line)
        lines.append(line)
    return lines


def notes(count: int) -> list[bytes]:
    """A journal of `count` notes."""
    return build_journal([(NOTE_ADDED, {"text": f"note {i}"}) for i in range(1, count + 1)])


# --- line format ----------------------------------------------------------------------------


def test_canonical_line_is_compact_ordered_utf8_with_newline() -> None:
    line = canonical_line(
        {
            "prev": GENESIS,
            "data": {"text": "café ✓"},
            "type": NOTE_ADDED,
            "actor": "a@h",
            "ts": "2026-11-30T00:00:00.000Z",
            "seq": 1,
            "v": 1,
        }
    )
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert line.startswith(b'{"v":1,"seq":1,"ts":"2026-11-30T00:00:00.000Z","actor":"a@h",')
    assert list(json.loads(line)) == ["v", "seq", "ts", "actor", "type", "data", "prev"]
    assert "café ✓".encode() in line  # not \\u-escaped
    assert b", " not in line and b": " not in line


def test_canonical_line_escapes_a_lone_surrogate_instead_of_failing() -> None:
    event = {
        "v": 1,
        "seq": 1,
        "ts": "t",
        "actor": "a",
        "type": "x",
        "data": {"t": "\ud800"},
        "prev": GENESIS,
    }
    line = canonical_line(event)
    assert b"\\ud800" in line
    assert json.loads(line)["data"]["t"] == "\ud800"


def test_line_hash_covers_the_newline() -> None:
    line = notes(1)[0]
    assert line_hash(line) == hashlib.sha256(line).hexdigest()
    assert line_hash(line) != hashlib.sha256(line.rstrip(b"\n")).hexdigest()


def test_first_event_chains_to_genesis_and_each_next_to_previous_line() -> None:
    lines = notes(3)
    events = parse_journal(b"".join(lines)).events
    assert events[0].prev == GENESIS == "0" * 64
    assert events[1].prev == line_hash(lines[0])
    assert events[2].prev == line_hash(lines[1])


# --- parsing and verification ---------------------------------------------------------------


def test_intact_journal_verifies() -> None:
    data = b"".join(notes(10))
    result = verify_chain(data)
    assert result.ok and result.first_bad_line is None and result.torn_tail is None
    assert result.lines_checked == 10
    assert result.last_hash == line_hash(notes(10)[-1])
    parsed = parse_journal(data)
    assert [e.seq for e in parsed.events] == list(range(1, 11))
    assert parsed.problems == [] and parsed.valid_length == len(data)


def test_empty_journal_verifies_with_nothing_checked() -> None:
    result = verify_chain(b"")
    assert result.ok and result.lines_checked == 0
    assert parse_journal(b"").last_hash == GENESIS


@pytest.mark.parametrize("victim", [1, 4, 7])
def test_edited_line_is_named(victim: int) -> None:
    lines = notes(8)
    lines[victim - 1] = lines[victim - 1].replace(f"note {victim}".encode(), b"note edited")
    result = verify_chain(b"".join(lines))
    assert not result.ok
    assert result.first_bad_line == victim
    assert f"line {victim}" in result.reason


def test_edited_line_with_recomputed_own_prev_is_still_named() -> None:
    lines = notes(6)
    event = json.loads(lines[2])
    event["prev"] = "f" * 64  # the forger rewrote the whole line, prev included
    lines[2] = canonical_line(event)
    assert verify_chain(b"".join(lines)).first_bad_line == 3


def test_deleted_line_fails_where_it_was_removed() -> None:
    lines = notes(8)
    del lines[4]
    result = verify_chain(b"".join(lines))
    assert not result.ok and result.first_bad_line == 5
    assert "seq 6, expected 5" in result.reason


def test_reordered_lines_fail() -> None:
    lines = notes(6)
    lines[2], lines[3] = lines[3], lines[2]
    result = verify_chain(b"".join(lines))
    assert not result.ok and result.first_bad_line == 3


def test_garbage_middle_line_fails_even_with_a_good_last_line() -> None:
    lines = notes(5)
    lines[1] = b"{not json\n"
    result = verify_chain(b"".join(lines))
    assert not result.ok and result.first_bad_line == 2 and "JSON" in result.reason


def test_wrong_field_type_is_a_bad_line() -> None:
    lines = notes(3)
    event = json.loads(lines[0])
    event["seq"] = "1"
    lines[0] = canonical_line(event)
    result = verify_chain(b"".join(lines))
    assert not result.ok and result.first_bad_line == 1 and "'seq'" in result.reason


def test_torn_tail_without_newline_is_a_warning_not_a_failure() -> None:
    good = b"".join(notes(4))
    data = good + b'{"v":1,"seq":5,"ts":"2026'
    result = verify_chain(data)
    assert result.ok and result.lines_checked == 4
    assert result.torn_tail is not None and result.torn_tail.offset == len(good)
    assert result.torn_tail.length == len(data) - len(good)
    assert "torn" in result.reason
    parsed = parse_journal(data)
    assert [e.seq for e in parsed.events] == [1, 2, 3, 4]
    assert parsed.valid_length == len(good)


def test_unparseable_last_line_with_newline_is_a_torn_tail() -> None:
    good = b"".join(notes(2))
    data = good + b"\x00\x00\x00\n"
    parsed = parse_journal(data)
    assert parsed.torn_tail is not None
    assert (parsed.torn_tail.offset, parsed.torn_tail.length) == (len(good), 4)
    assert verify_chain(data).ok


def test_torn_tail_cut_inside_a_multibyte_character() -> None:
    good = b"".join(notes(2))
    data = good + '{"v":1,"data":{"text":"é'.encode()[:-1]
    parsed = parse_journal(data)
    assert parsed.torn_tail is not None and len(parsed.events) == 2 and not parsed.problems


def test_torn_tail_after_a_bad_line_still_fails_verify() -> None:
    lines = notes(4)
    lines[1] = lines[1].replace(b"note 2", b"note X")
    result = verify_chain(b"".join(lines) + b'{"v":1')
    assert not result.ok and result.first_bad_line == 2
    assert result.torn_tail is not None and "torn" in result.reason


def test_replay_of_a_torn_journal_ignores_the_tail() -> None:
    lines = build_journal([(STEP_STARTED, {"step_id": "s1", "title": "Undo", "dry_run": False})])
    parsed = parse_journal(b"".join(lines) + b'{"v":1,"seq":2,"type":"step.fini')
    state = replay(parsed.events)
    assert state.event_count == 1 and state.step_status("s1") == "interrupted"


# --- replay ---------------------------------------------------------------------------------


def full_incident() -> list[tuple[str, dict[str, Any]]]:
    return [
        (
            INCIDENT_OPENED,
            {
                "incident_id": "20261130-004512-checkout",
                "title": "Checkout 5xx",
                "runbook_id": "revert-deployment",
                "params": {"namespace": "shop"},
                "severity": "P0",
                "drill": True,
            },
        ),
        ("assessment.recorded", {"impact_score": 8.5}),
        (DECISION_RECORDED, {"decision": "investigate"}),
        (DECISION_RECORDED, {"decision": "rollback", "strategy": "revert"}),
        (STEP_STARTED, {"step_id": "snapshot", "title": "Snapshot", "dry_run": False}),
        (STEP_FINISHED, {"step_id": "snapshot", "status": "ok", "detail": "saved"}),
        (STEP_STARTED, {"step_id": "undo", "title": "Undo rollout", "dry_run": True}),
        (STEP_FINISHED, {"step_id": "undo", "status": "failed", "detail": "timeout"}),
        (STEP_FINISHED, {"step_id": "notify", "status": "skipped", "detail": "no channel"}),
        (CHECK_RECORDED, {"item_id": "error-rate", "status": "fail", "note": "3%"}),
        (CHECK_RECORDED, {"item_id": "error-rate", "status": "pass", "note": "0.2%"}),
        (CHECK_RECORDED, {"item_id": "latency", "status": "open", "note": ""}),
        (NOTE_ADDED, {"text": "paged the DB team"}),
        ("future.event_type", {"anything": 1}),
        (INCIDENT_RESOLVED, {"outcome": "rolled back"}),
    ]


def test_replay_derives_the_whole_incident() -> None:
    lines = build_journal(full_incident())
    state = replay(parse_journal(b"".join(lines)).events)
    assert state.incident_id == "20261130-004512-checkout"
    assert (state.title, state.runbook_id, state.severity) == (
        "Checkout 5xx",
        "revert-deployment",
        "P0",
    )
    assert state.params == {"namespace": "shop"} and state.drill is True
    assert state.opened_at == "2026-11-30T00:45:01.000Z"
    assert state.assessment == {"impact_score": 8.5}
    assert state.decision == {"decision": "rollback", "strategy": "revert"}
    assert state.step_status("snapshot") == "ok" and state.steps["snapshot"].detail == "saved"
    assert state.step_status("undo") == "failed" and state.steps["undo"].dry_run is True
    assert state.step_status("notify") == "skipped"
    assert state.step_status("never-run") == "pending"
    assert state.checks == {"error-rate": "pass", "latency": "open"}
    assert state.check_notes["error-rate"] == "0.2%"
    assert [n.text for n in state.notes] == ["paged the DB team"]
    assert state.notes[0].actor == "alice@host"
    assert (state.status, state.outcome) == ("resolved", "rolled back")
    assert state.resolved_at == "2026-11-30T00:45:15.000Z"
    assert (state.event_count, state.last_seq) == (15, 15)


def test_started_but_unfinished_step_is_interrupted_after_replay() -> None:
    events = parse_journal(b"".join(build_journal(full_incident()[:7]))).events
    state = replay(events)
    assert state.status == "open" and state.resolved_at is None
    undo = state.steps["undo"]
    assert undo.status == "interrupted" and undo.started_at and undo.finished_at is None
    assert state.step_status("snapshot") == "ok"
    assert replay(events, live=True).step_status("undo") == "running"


def test_rerunning_an_interrupted_step_counts_attempts() -> None:
    step = {"step_id": "undo", "title": "Undo", "dry_run": False}
    events = parse_journal(
        b"".join(
            build_journal(
                [
                    (STEP_STARTED, step),
                    (STEP_STARTED, step),
                    (STEP_FINISHED, {"step_id": "undo", "status": "ok", "detail": "done"}),
                ]
            )
        )
    ).events
    state = replay(events)
    assert state.steps["undo"].attempts == 2 and state.step_status("undo") == "ok"


def test_replay_records_quarantined_tails() -> None:
    record = {"offset": 10, "length": 3, "sha256": "ab" * 32, "saved_as": "journal.torn-10.bin"}
    state = replay([JournalEvent(1, 1, "t", "a@h", TORN_TAIL_QUARANTINED, record, GENESIS)])
    assert state.quarantined == [record] and state.event_count == 1


def test_replay_of_100k_events_is_complete() -> None:
    # Its speed (< 1 s) is measured by benchmarks/bench_journal.py, not asserted here.
    mix = [
        (STEP_STARTED, {"step_id": "s1", "title": "Undo rollout", "dry_run": False}),
        (STEP_FINISHED, {"step_id": "s1", "status": "ok", "detail": "rolled back to 41"}),
        (CHECK_RECORDED, {"item_id": "c1", "status": "pass", "note": ""}),
        (NOTE_ADDED, {"text": "error rate back under 1%"}),
    ]
    data = b"".join(build_journal(mix * 25_000))
    parsed = parse_journal(data)
    state = replay(parsed.events)
    assert parsed.torn_tail is None and not parsed.problems
    assert state.event_count == 100_000 and len(state.notes) == 25_000
    assert state.last_seq == 100_000 and state.step_status("s1") == "ok"


# --- redaction ------------------------------------------------------------------------------


def test_redact_masks_secret_keys_case_insensitively_and_keeps_the_rest() -> None:
    data = {
        "Authorization": "Bearer abc",
        "X-Api-Key": "k",
        "db_password": "p",
        "PASSWD": "p",
        "client_secret": "s",
        "session_cookie": "c",
        "aws_credentials": {"id": 1},
        "ssh_private_key": "-----BEGIN",
        "apikey": "a",
        "refresh_token": "t",
        "DB_PASS": "p",
        "namespace": "shop",
        "replicas": 3,
        "passed": True,
        "optional_token": None,
    }
    out = redact(data, [])
    for key, value in data.items():
        if key in ("namespace", "replicas", "passed", "optional_token"):
            assert out[key] == value
        else:
            assert out[key] == "***", key
    assert data["db_password"] == "p"  # a copy: the input is untouched


def test_redact_replaces_registered_secret_values_everywhere() -> None:
    data = {
        "url": "postgres://app:Sup3rS3cret@db:5432/x",
        "argv": ["--pw", "Sup3rS3cret"],
        "nested": [{"msg": "login with Sup3rS3cret failed"}],
        "Sup3rS3cret": 1,
        "short": "abc",
        "word": "abcdef",
    }
    out = redact(data, ["Sup3rS3cret", "abc"])  # under 4 characters: masked as a whole word
    text = json.dumps(out)
    assert "Sup3rS3cret" not in text
    assert out["url"] == "postgres://app:***@db:5432/x"
    assert out["argv"] == ["--pw", "***"]
    assert out["short"] == "***" and out["word"] == "abcdef"


def test_redact_masks_auth_tokens_inside_strings() -> None:
    out = redact(
        {
            "cmd": "curl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.x.y' https://api",
            "log": "sent Basic dXNlcjpwYXNzd29yZA== to proxy",
            "hdr": "authorization=Token abc123",
            "env": "export API_TOKEN=tok_12345 && run",
            "yaml": 'password: "hunter2"',
        },
        [],
    )
    text = json.dumps(out)
    for leaked in ("eyJhbGciOiJIUzI1NiJ9", "dXNlcjpwYXNzd29yZA", "abc123", "tok_12345", "hunter2"):
        assert leaked not in text, leaked
    assert "Bearer ***" in out["cmd"] and "https://api" in out["cmd"]
    assert out["log"] == "sent Basic *** to proxy"


def test_redact_leaves_ordinary_words_alone() -> None:
    text = "Basic checks passed; bearer of good news; compass: north; basic authentication"
    assert redact({"note": text}, [])["note"] == text


def test_redact_masks_name_value_pairs_and_header_tuples() -> None:
    env = [{"name": "DB_PASSWORD", "value": "p4ss"}, {"name": "LOG_LEVEL", "value": "debug"}]
    out = redact({"env": env, "headers": [("Authorization", "Bearer x"), ("Accept", "json")]})
    assert out["env"] == [
        {"name": "DB_PASSWORD", "value": "***"},
        {"name": "LOG_LEVEL", "value": "debug"},
    ]
    assert out["headers"] == [["Authorization", "***"], ["Accept", "json"]]


def test_redact_makes_data_json_safe() -> None:
    out = redact({"path": Path("/tmp/x"), "ratio": math.nan, "tags": {"b", "a"}, "n": 2.5})
    assert out == {"path": "/tmp/x", "ratio": "nan", "tags": ["a", "b"], "n": 2.5}
    json.dumps(out, allow_nan=False)
