"""Following a journal that another process writes: read only what was appended, verify as it goes.

`JournalTail` keeps the byte offset of the last whole line it read, that line's bytes and hash,
and the seq expected next. A poll is one `stat` when nothing changed; otherwise it reads the new
bytes (plus the last line again, to notice it being rewritten) and hands them to the same parser
the full replay uses, continuing the chain. It never takes the writer lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Self

from tui.domain.gc_pause import gc_paused
from tui.domain.incident import (
    GENESIS,
    IncidentState,
    JournalEvent,
    apply_event,
    parse_journal,
)

JOURNAL_FILE = "journal.jsonl"  # the same names as tui.adapters.journal, which imports this module
LOCK_FILE = "journal.lock"
POLL_INTERVAL = 0.05  # seconds between stats while waiting: well under a human's notice


class TailProblemKind(StrEnum):
    """What went wrong while following a journal."""

    LINE = "line"  # a line breaks the hash chain or the seq count, or is not an event
    ALTERED = "altered"  # a line already read was rewritten in place
    SHRUNK = "shrunk"  # the file lost bytes that had been read
    REPLACED = "replaced"  # another file now has the journal's name
    REMOVED = "removed"  # the journal file is gone


@dataclass(frozen=True, slots=True)
class TailProblem:
    """One problem found while following, with the journal line it concerns when there is one."""

    kind: TailProblemKind
    message: str
    line: int | None = None


@dataclass(frozen=True, slots=True)
class TailBatch:
    """What one poll found: new events in order, problems, and whether reading restarted."""

    events: list[JournalEvent] = field(default_factory=list)
    problems: list[TailProblem] = field(default_factory=list)
    # The file shrank or was replaced, so it was read again from its start: `events` is the whole
    # journal as it is now, and the tail's state was rebuilt from it.
    restarted: bool = False

    def __bool__(self) -> bool:
        """Whether the poll found anything (events or problems)."""
        return bool(self.events or self.problems)


_NOTHING = TailBatch()


class JournalTail:
    """A lock-free follower of one incident's journal: each `poll` returns what was appended."""

    def __init__(self, incident_dir: Path, *, track_state: bool = True) -> None:
        """Follow `incident_dir`/journal.jsonl; the first poll reads the whole journal once."""
        self.path = Path(incident_dir) / JOURNAL_FILE
        self.track_state = track_state
        self.state = IncidentState()
        """The incident so far, updated in place by each poll (live: running steps stay running)."""
        self.problems: list[TailProblem] = []
        """Every problem reported so far, in order."""
        self._fd: int | None = None
        self._identity: tuple[int, int] | None = None  # (st_dev, st_ino) of the file being read
        self._seen: tuple[int, int, int] | None = None  # size, mtime and inode at the last read
        self._reset_position()

    def _reset_position(self) -> None:
        self.offset = 0
        """Bytes read and accounted for: every whole line so far."""
        self.line_count = 0
        self.last_hash = GENESIS
        self.next_seq = 1
        self.last_seq = 0
        """The seq of the last event read (0 before any)."""
        self.pending = 0
        """Bytes after the last whole line: a line being written, or one that is not valid."""
        self._last_line = b""
        self._flagged_line: int | None = None  # an invalid last line already reported

    def poll(self) -> TailBatch:
        """Read what was appended since the last poll; only a stat when the file is unchanged."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return self._gone()
        problems: list[TailProblem] = []
        restarted = False
        if self._fd is None or (st.st_dev, st.st_ino) != self._identity:
            if self._identity is not None:
                problems.append(self._restart(
                    TailProblemKind.REPLACED,
                    f"{self.path} was replaced by another file (inode changed) after "
                    f"{self.line_count} lines were read; reading it again from the start",
                ))
                restarted = True
            st = self._open()
        if (st.st_size, st.st_mtime_ns, st.st_ino) == self._seen:
            return _NOTHING
        self._seen = (st.st_size, st.st_mtime_ns, st.st_ino)
        if st.st_size < self.offset:
            problems.append(self._restart(
                TailProblemKind.SHRUNK,
                f"{self.path} shrank to {st.st_size} bytes after {self.offset} bytes "
                f"({self.line_count} lines) were read; reading it again from the start",
            ))
            restarted = True
        events = self._read_to(st.st_size, problems)
        return self._deliver(events, problems, restarted)

    def wait(self, timeout: float, *, interval: float = POLL_INTERVAL) -> TailBatch:
        """Poll every `interval` seconds until something new arrives or `timeout` passes."""
        deadline = time.monotonic() + timeout
        while True:
            batch = self.poll()
            left = deadline - time.monotonic()
            if batch or left <= 0:
                return batch
            time.sleep(min(interval, left))

    def close(self) -> None:
        """Close the file and forget the position: a later poll starts again like a new tail."""
        self._close_file()
        self._identity = self._seen = None
        self._reset_position()
        if self.track_state:
            self.state = IncidentState()

    def _close_file(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # interpreter shutdown: os may be gone already
            self._close_file()

    # ---- internals -------------------------------------------------------------------------

    def _open(self) -> os.stat_result:
        """Open the journal; return the stat of the file actually opened (it may be newer)."""
        self._close_file()
        self._fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        st = os.fstat(self._fd)
        self._identity = (st.st_dev, st.st_ino)
        self._seen = None
        return st

    def _gone(self) -> TailBatch:
        if self._fd is None:
            return _NOTHING  # not created yet, or its removal was already reported
        self._close_file()
        problem = TailProblem(
            TailProblemKind.REMOVED,
            f"{self.path} was removed after {self.line_count} lines were read; "
            "waiting for it to come back",
        )
        return self._deliver([], [problem], False)

    def _restart(self, kind: TailProblemKind, message: str) -> TailProblem:
        self._reset_position()
        if self.track_state:
            self.state = IncidentState()
        return TailProblem(kind, message + " (lines already shown may differ from it now)")

    def _read_to(self, size: int, problems: list[TailProblem]) -> list[JournalEvent]:
        """Parse the bytes from the last whole line to `size`; consume every whole line."""
        start = self.offset - len(self._last_line)
        chunk = self._pread(start, size - start)
        if len(chunk) < len(self._last_line):
            self._seen = None  # cut while being read: the next poll sees (and reports) the shrink
            return []
        known, new = chunk[: len(self._last_line)], chunk[len(self._last_line) :]
        if known != self._last_line:
            problems.append(TailProblem(
                TailProblemKind.ALTERED,
                f"{self.path}: line {self.line_count} changed after it was read "
                "(the journal was edited; `rollback incidents verify` checks the whole chain)",
                self.line_count,
            ))
        if not new:
            return []
        parsed = parse_journal(
            new, prev_hash=self.last_hash, next_seq=self.next_seq, first_line=self.line_count + 1
        )
        flagged, self._flagged_line = self._flagged_line, None
        for problem in parsed.problems:
            if problem.line != flagged:  # reported while it was the last line
                problems.append(TailProblem(TailProblemKind.LINE, problem.reason, problem.line))
        torn = parsed.torn_tail
        if torn is not None and new.endswith(b"\n"):
            # A whole line that is not an event, last in the file: the full parse calls that a
            # torn tail and a new writer sets it aside, so it is not consumed (the file may be
            # cut back to before it); but it is reported now, once.
            number = self.line_count + parsed.line_count + 1
            if number != flagged:
                problems.append(TailProblem(
                    TailProblemKind.LINE,
                    f"line {number}: {torn.reason.removeprefix('last line is ')} "
                    "(the last line of the journal; a writer opening it sets it aside)",
                    number,
                ))
            self._flagged_line = number
        consumed = parsed.valid_length
        if consumed:
            body = new[:consumed]
            self._last_line = body[body.rfind(b"\n", 0, consumed - 1) + 1 :]
        self.offset += consumed
        self.pending = len(new) - consumed
        self.line_count += parsed.line_count
        self.last_hash, self.next_seq = parsed.last_hash, parsed.next_seq
        if parsed.events:
            self.last_seq = parsed.events[-1].seq
        return parsed.events

    def _pread(self, offset: int, length: int) -> bytes:
        """Read `length` bytes at `offset` (fewer if the file ends first)."""
        assert self._fd is not None
        parts: list[bytes] = []
        while length > 0:
            part = os.pread(self._fd, length, offset)
            if not part:
                break
            parts.append(part)
            offset += len(part)
            length -= len(part)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _deliver(
        self, events: list[JournalEvent], problems: list[TailProblem], restarted: bool
    ) -> TailBatch:
        if self.track_state and events:
            state = self.state
            with gc_paused():
                for event in events:
                    apply_event(state, event)
        self.problems.extend(problems)
        return TailBatch(events, problems, restarted)


# ---- who is writing ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WriterStatus:
    """Who holds an incident's writer lock, read from the lock file without taking it."""

    pid: int | None
    host: str | None
    since: str | None
    # True: the lock is held now; False: its holder is gone (it crashed or was killed);
    # None: no holder recorded, or held from another host (cannot be checked from here).
    alive: bool | None

    @property
    def writing(self) -> bool:
        """Whether someone (probably) holds the incident now."""
        return self.pid is not None and self.alive is not False

    def describe(self) -> str:
        """One line for people following the incident."""
        if self.pid is None:
            return "no session is writing this incident now"
        who = f"pid {self.pid} on {self.host or '?'} since {self.since or '?'}"
        if self.alive is False:
            return f"no session is writing this incident now (the last one, {who}, has stopped)"
        return f"written by {who}"


def writer_status(incident_dir: Path) -> WriterStatus:
    """Read the lock file's holder record and check, on this host, that the holder still lives."""
    path = Path(incident_dir) / LOCK_FILE
    try:
        raw = path.read_bytes()
        inode = os.stat(path).st_ino
    except OSError:
        return WriterStatus(None, None, None, None)
    record = _holder_record(raw)
    pid = record.get("pid")
    if type(pid) is not int:
        return WriterStatus(None, None, None, None)
    host, since = record.get("host"), record.get("since")
    alive = _flock_held(inode) if host == socket.gethostname() else None
    return WriterStatus(pid, str(host) if host else None, str(since) if since else None, alive)


def _holder_record(raw: bytes) -> dict[str, Any]:
    try:
        record = json.loads(raw or b"{}")
    except ValueError:
        return {}  # being rewritten by a writer taking the lock: read again next time
    return record if isinstance(record, dict) else {}


def _flock_held(inode: int) -> bool:
    """Whether any process holds a flock on the file with this inode (Linux /proc/locks)."""
    try:
        table = Path("/proc/locks").read_text()
    except OSError:
        return True  # cannot tell: trust the record
    for row in table.splitlines():
        fields = row.split()
        # "1: FLOCK  ADVISORY  WRITE 4242 08:01:131 0 EOF" (blocked waiters have a "->" column)
        if "FLOCK" in fields:
            ident = fields[fields.index("FLOCK") + 4] if len(fields) > 5 else ""
            if ident.rsplit(":", 1)[-1] == str(inode):
                return True
    return False

