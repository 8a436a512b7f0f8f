"""The journal's promise: without the installation's key, no edit, forgery or cut passes verify."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest
from postmortem_incident import INCIDENT_ID
from postmortem_incident import write_incident as write_unkeyed_incident

from tui.adapters.journal import JOURNAL_FILE, JournalWriter, incident_dir, writer_is_live
from tui.adapters.journal_key import (
    KEY_FILE,
    JournalKeyError,
    installation_key,
    load_key,
    recorded_seal,
    seal_record_path,
)
from tui.app.paths import resolve_paths
from tui.domain.incident import canonical_line, parse_journal
from tui.domain.journal_auth import JOURNAL_SEALED, JournalKey, split_mac, verify_journal

INCIDENT = "20261130-004512-checkout"
FORGED_MAC = "ab" * 16


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated ROLLBACK_HOME (the CLI processes inherit it); returns it."""
    monkeypatch.setenv("ROLLBACK_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def config_dir() -> Path:
    return resolve_paths().config_file.parent


def key() -> JournalKey:
    return installation_key(config_dir())


def session_writer(folder: Path, actor: str = "alice@laptop", *, noted: bool = True) -> JournalWriter:
    """A writer as a session makes it: keyed, noting its seals in the configuration folder."""
    note = seal_record_path(config_dir(), folder.name) if noted else None
    return JournalWriter(folder, actor=actor, key=key(), seal_note=note)


def write_keyed(*, resolve: bool = True, noted: bool = True) -> Path:
    """A keyed incident of four events (the last one resolving it), closed: five lines."""
    folder = incident_dir(resolve_paths(), INCIDENT)
    with session_writer(folder, noted=noted) as writer:
        writer.append("incident.opened", {"incident_id": INCIDENT, "title": "checkout 5xx"})
        writer.append("step.started", {"step_id": "undo", "title": "Undo", "dry_run": False})
        writer.append("step.finished", {"step_id": "undo", "status": "ok"})
        writer.append_durable("incident.resolved" if resolve else "note.added",
                              {"outcome": "success", "text": "done"})
    return folder


def lines_of(folder: Path) -> list[bytes]:
    return (folder / JOURNAL_FILE).read_bytes().splitlines(keepends=True)


def save(folder: Path, lines: list[bytes]) -> None:
    (folder / JOURNAL_FILE).write_bytes(b"".join(lines))


def forge(seq: int, prev: str, kind: str = "note.added", mac: str | None = None) -> bytes:
    """A well-formed line with the right seq and prev, as someone without the key makes it."""
    event = {"v": 1, "seq": seq, "ts": "2026-11-30T05:00:00.000Z", "actor": "mallory",
             "type": kind, "data": {"text": "all fine"}, "prev": prev}
    line = canonical_line(event)
    return line if mac is None else line[:-2] + f',"mac":"{mac}"}}\n'.encode()


def rechain(lines: list[bytes]) -> list[bytes]:
    """Renumber seq and recompute every prev from line 1, keeping each line's mac as it was."""
    out: list[bytes] = []
    prev = "0" * 64
    for seq, line in enumerate(lines, 1):
        obj = json.loads(line)
        obj["seq"], obj["prev"] = seq, prev
        new = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        out.append(new)
        prev = hashlib.sha256(new).hexdigest()
    return out


def verify(run_cli, incident: str = INCIDENT) -> tuple[int, str]:
    result = run_cli("incidents", "verify", incident)
    assert "Traceback" not in result.stderr
    return result.returncode, result.stdout


# --- the key ----------------------------------------------------------------------------------


def test_key_created_on_first_write_with_mode_0600_and_reused(home: Path) -> None:
    assert load_key(config_dir()) is None
    old_umask = os.umask(0)  # a permissive umask must not loosen the key's mode
    try:
        first = key()
    finally:
        os.umask(old_umask)
    path = config_dir() / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert key() == first == load_key(config_dir())
    assert len(first.secret) == 32 and first.key_id not in path.read_text()


def test_verify_warns_when_the_key_is_readable_by_others(home: Path, run_cli) -> None:
    write_keyed()
    path = config_dir() / KEY_FILE
    assert "warning" not in verify(run_cli)[1]
    path.chmod(0o644)
    code, out = verify(run_cli)
    assert code == 0
    assert f"warning: journal key {path} has mode 0644: others may read it" in out


def test_verify_never_creates_a_key_and_says_it_has_none(home: Path, run_cli) -> None:
    write_keyed()
    (config_dir() / KEY_FILE).unlink()
    code, out = verify(run_cli)
    assert code == 1
    assert "journal.jsonl:1: FAILED: line 1: lines carry MACs but this installation has no " \
           "journal key" in out
    assert not (config_dir() / KEY_FILE).exists()


def test_a_damaged_key_file_is_named_with_the_next_step(home: Path, run_cli) -> None:
    write_keyed()
    (config_dir() / KEY_FILE).write_text("not a key\n")
    with pytest.raises(JournalKeyError, match="64 hex digits expected"):
        load_key(config_dir())
    code, out = verify(run_cli)
    assert code == 1
    assert f"journal key {config_dir() / KEY_FILE} is not a journal key" in out
    assert "restore it from a backup" in out


# --- what passes ------------------------------------------------------------------------------


def test_a_closed_journal_ends_with_a_seal_naming_count_and_head(home: Path, run_cli) -> None:
    folder = write_keyed()
    lines = lines_of(folder)
    seal = json.loads(lines[-1])
    assert seal["type"] == JOURNAL_SEALED and seal["seq"] == 5
    assert seal["data"] == {"lines": 4, "head": hashlib.sha256(lines[3]).hexdigest(),
                            "key_id": key().key_id}
    assert all(split_mac(line) is not None for line in lines)
    code, out = verify(run_cli)
    assert code == 0, out
    assert "OK, 5 lines, chain intact, every line authenticated" in out
    assert "sealed at line 5: nothing altered, added or removed" in out


def test_reopening_continues_and_seals_again_but_never_twice(home: Path, run_cli) -> None:
    folder = write_keyed(resolve=False)
    with session_writer(folder, "bob"):
        pass  # nothing appended: the journal is still sealed, no second seal
    assert len(lines_of(folder)) == 5
    with session_writer(folder, "bob") as writer:
        writer.append_durable("note.added", {"text": "later"})
        assert writer_is_live(folder)
        code, out = verify(run_cli)
        assert code == 0 and "being written by a live session, not sealed yet" in out
    assert not writer_is_live(folder)
    assert [json.loads(line)["type"] for line in lines_of(folder)[4:]] == [
        JOURNAL_SEALED, "note.added", JOURNAL_SEALED]
    assert verify(run_cli)[0] == 0


def test_an_old_journal_replays_and_a_keyed_session_pins_it(home: Path, run_cli) -> None:
    folder = write_unkeyed_incident(home, resolved=False)
    code, out = verify(run_cli, INCIDENT_ID)
    assert code == 1 and "UNAUTHENTICATED: no line carries a MAC" in out
    old = len(lines_of(folder))
    added = run_cli("incidents", "note", INCIDENT_ID, "checked the dashboards")
    assert added.returncode == 0, added.stderr
    assert (config_dir() / KEY_FILE).exists()  # created by the first keyed write
    code, out = verify(run_cli, INCIDENT_ID)
    assert code == 0, out
    assert f"lines 1-{old} were written before the key and are pinned by line {old + 1}" in out
    lines = lines_of(folder)
    lines[3] = lines[3].replace(b"alice", b"ALICE")  # an old line, chain recomputed
    save(folder, rechain(lines))
    code, out = verify(run_cli, INCIDENT_ID)
    assert code == 1 and f":{old + 1}: FAILED: line {old + 1}: MAC does not match" in out


# --- what fails -------------------------------------------------------------------------------


def test_a_forged_line_appended_with_the_right_seq_and_prev_fails(home: Path, run_cli) -> None:
    folder = write_keyed()
    lines = lines_of(folder)
    head = hashlib.sha256(lines[-1]).hexdigest()
    save(folder, [*lines, forge(6, head, JOURNAL_SEALED)])
    code, out = verify(run_cli)
    assert code == 1 and ":6: FAILED: line 6: no MAC after authenticated lines" in out
    save(folder, [*lines, forge(6, head, mac=FORGED_MAC)])
    code, out = verify(run_cli)
    assert code == 1 and ":6: FAILED: line 6: MAC does not match" in out


def test_a_forged_line_in_place_of_the_seal_fails(home: Path, run_cli) -> None:
    folder = write_keyed()
    lines = lines_of(folder)
    save(folder, [*lines[:4], forge(5, hashlib.sha256(lines[3]).hexdigest(), mac=FORGED_MAC)])
    code, out = verify(run_cli)
    assert code == 1 and ":5: FAILED: line 5: MAC does not match" in out


def test_every_one_byte_edit_of_the_last_line_fails(home: Path, run_cli) -> None:
    folder = write_keyed()
    data = (folder / JOURNAL_FILE).read_bytes()
    start = len(data) - len(lines_of(folder)[-1])
    for offset in range(start, len(data)):
        for replacement in {data[offset] ^ 1, ord("0"), ord("\n")} - {data[offset]}:
            edited = data[:offset] + bytes([replacement]) + data[offset + 1:]
            verdict = verify_journal(edited, key())
            assert not verdict.ok, (offset, replacement)
    lines = lines_of(folder)
    save(folder, [*lines[:4], lines[4].replace(b'"lines":4', b'"lines":3')])
    code, out = verify(run_cli)
    assert code == 1 and ":5: FAILED: line 5: MAC does not match" in out


def test_deleting_the_last_line_or_truncating_anywhere_fails(home: Path, run_cli) -> None:
    folder = write_keyed()
    data = (folder / JOURNAL_FILE).read_bytes()
    for length in range(len(data)):
        assert not verify_journal(data[:length], key()).ok, length
    save(folder, lines_of(folder)[:4])
    code, out = verify(run_cli)
    assert code == 1
    assert ":4: FAILED: this installation sealed the journal at line 5 (sha256 " in out
    assert "but it now ends at line 4: lines were removed" in out
    seal_record_path(config_dir(), INCIDENT).unlink()  # without the note, the seal alone
    code, out = verify(run_cli)
    assert code == 1
    assert ":4: FAILED: line 4: the journal ends without a seal: lines after line 4 were " \
           "removed" in out
    torn = len(data.splitlines(keepends=True)[-1]) - 10
    (folder / JOURNAL_FILE).write_bytes(data[:-10])
    code, out = verify(run_cli)
    assert code == 1
    assert f":5: FAILED: line 5: {torn} bytes after the last whole line are not an " \
           "authenticated line" in out


def test_a_middle_edit_with_every_later_prev_recomputed_fails(home: Path, run_cli) -> None:
    folder = write_keyed()
    lines = lines_of(folder)
    lines[1] = lines[1].replace(b'"Undo"', b'"Skip"')
    save(folder, rechain(lines))
    assert not parse_journal((folder / JOURNAL_FILE).read_bytes()).problems  # chain holds
    code, out = verify(run_cli)
    assert code == 1 and ":2: FAILED: line 2: MAC does not match" in out


def test_a_deleted_middle_line_with_the_rest_renumbered_fails(home: Path, run_cli) -> None:
    folder = write_keyed()
    lines = lines_of(folder)
    save(folder, rechain([*lines[:1], *lines[2:]]))
    code, out = verify(run_cli)
    assert code == 1 and ":2: FAILED: line 2: MAC does not match" in out


def test_stripping_every_mac_leaves_an_unauthenticated_journal(home: Path, run_cli) -> None:
    folder = write_keyed()
    stripped = [(split_mac(line) or (line, ""))[0] for line in lines_of(folder)]
    save(folder, rechain(stripped))
    code, out = verify(run_cli)
    assert code == 1 and "UNAUTHENTICATED" in out


def test_another_installations_key_fails_naming_this_one(home: Path, run_cli) -> None:
    write_keyed()
    (config_dir() / KEY_FILE).write_text("cd" * 32 + "\n")
    code, out = verify(run_cli)
    assert code == 1
    assert f"written with another installation's key; this one is {key().key_id}" in out


def test_a_writer_opening_a_forged_journal_reports_it(home: Path) -> None:
    folder = write_keyed(resolve=False)
    lines = lines_of(folder)
    save(folder, [*lines, forge(6, hashlib.sha256(lines[-1]).hexdigest(), mac=FORGED_MAC)])
    with session_writer(folder, "bob") as writer:
        assert any("line 6: MAC does not match" in problem for problem in writer.problems)


def test_an_export_of_a_forged_tail_fails_its_check(home: Path, run_cli, tmp_path: Path) -> None:
    folder = write_keyed()
    lines = lines_of(folder)
    save(folder, [*lines, forge(6, hashlib.sha256(lines[-1]).hexdigest(), mac=FORGED_MAC)])
    target = tmp_path / "timeline.md"
    made = run_cli("export", INCIDENT, "--what", "timeline", "--format", "md", "-o", str(target))
    assert made.returncode == 0, made.stderr
    checked = run_cli("incidents", "verify", INCIDENT, "--export", str(target))
    assert checked.returncode == 1
    assert f"FAILED: the journal of {INCIDENT} fails verification at line 6: line 6: MAC does " \
           "not match" in checked.stderr


def test_cutting_back_to_an_earlier_seal_is_caught_by_the_noted_seal(home: Path,
                                                                     run_cli) -> None:
    folder = write_keyed(resolve=False)
    first_session = lines_of(folder)
    with session_writer(folder, "bob") as second:
        second.append_durable("note.added", {"text": "second session"})
    assert recorded_seal(seal_record_path(config_dir(), INCIDENT))[0] == 7
    save(folder, first_session)  # a whole later session dropped, the earlier seal now last
    code, out = verify(run_cli)
    assert code == 1
    assert ":5: FAILED: this installation sealed the journal at line 7" in out
    assert "it now ends at line 5: lines were removed" in out
    # Without the note (another installation's copy) the cut cannot be seen: the README says so.
    assert verify_journal((folder / JOURNAL_FILE).read_bytes(), key()).ok
    # Cut back, then written on with the key but without noting (a copy of the key elsewhere):
    with session_writer(folder, "mallory", noted=False) as rewrite:
        rewrite.append_durable("note.added", {"text": "nothing happened"})
    code, out = verify(run_cli)
    assert code == 1 and ":7: FAILED: line 7: not the seal this installation wrote there" in out
