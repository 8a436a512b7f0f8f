"""The incident journal on disk: one locked writer with group-committed fsyncs, lock-free readers.

Layout: `<incidents_dir>/<incident_id>/journal.jsonl` (the hash-chained events) beside
`journal.lock` (who is writing) and any `journal.torn-<offset>.bin` (quarantined torn tails).
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import errno
import fcntl
import getpass
import hashlib
import json
import logging
import os
import re
import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, Self

from tui.adapters.journal_key import record_seal
from tui.adapters.journal_tail import JOURNAL_FILE, LOCK_FILE, JournalTail
from tui.domain.incident import (
    JOURNAL_VERSION,
    TORN_TAIL_QUARANTINED,
    IncidentState,
    JournalEvent,
    JournalProblem,
    ParsedJournal,
    Redactor,
    TornTail,
    canonical_line,
    parse_journal,
    replay,
)
from tui.domain.journal_auth import (
    JOURNAL_SEALED,
    JournalKey,
    seal_data,
    sign_line,
    verify_journal,
)

MAX_BATCH = 4096  # events per fsync: bounds how long the first event of a burst waits
_log = logging.getLogger(__name__)


class JournalError(Exception):
    """Base class for journal failures."""


class JournalLockedError(JournalError):
    """Another process holds the incident's writer lock."""

    def __init__(self, incident_id: str, holder: Mapping[str, Any]) -> None:
        """Build the message from the holder record found in the lock file."""
        self.incident_id = incident_id
        self.pid = holder.get("pid")
        self.host = holder.get("host")
        self.since = holder.get("since")
        who = (
            f"pid {self.pid} on host {self.host} since {self.since}"
            if self.pid
            else "another process (holder unknown)"
        )
        super().__init__(
            f"incident {incident_id} is being written by {who}; open it read-only with "
            f"`rollback follow {incident_id}`, or end that session"
        )


class JournalWriteError(JournalError):
    """The journal could not be written or made durable; nothing more will be appended."""


class JournalNotFoundError(JournalError, FileNotFoundError):
    """The incident folder has no journal."""


def utc_timestamp(epoch_seconds: float) -> str:
    """Format seconds since the epoch as UTC ISO-8601 with milliseconds and "Z"."""
    millis = int(epoch_seconds * 1000)
    seconds, ms = divmod(millis, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{ms:03d}Z"


def actor_name(environ: Mapping[str, str] | None = None) -> str:
    """Return "user@host", plus " (ssh from ADDR)" inside an SSH session."""
    env = os.environ if environ is None else environ
    user = env.get("USER") or env.get("LOGNAME")
    if not user:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry, e.g. an arbitrary uid in a container
            user = f"uid{os.getuid()}"
    name = f"{user}@{socket.gethostname()}"
    ssh = env.get("SSH_CLIENT") or env.get("SSH_CONNECTION")
    if ssh and ssh.split():
        name += f" (ssh from {ssh.split()[0]})"
    return name


def new_incident_id(slug: str, now: datetime) -> str:
    """Return an incident id such as "20261130-004512-checkout" (UTC time, sanitised slug)."""
    stamp = (now.astimezone(UTC) if now.tzinfo else now).strftime("%Y%m%d-%H%M%S")
    clean = re.sub(r"[^a-z0-9]+", "-", slug.lower()).strip("-")[:40].strip("-")
    return f"{stamp}-{clean or 'incident'}"


def create_incident_dir(incidents_dir: Path, slug: str, now: datetime) -> tuple[str, Path]:
    """Create a new, unique incident folder (two incidents in one second get -2, -3, …)."""
    base = new_incident_id(slug, now)
    Path(incidents_dir).mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 1000):
        incident_id = base if attempt == 1 else f"{base}-{attempt}"
        folder = Path(incidents_dir) / incident_id
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return incident_id, folder
    raise JournalError(f"cannot create an incident folder for {base} in {incidents_dir}")


class _HasIncidentsDir(Protocol):
    @property
    def incidents_dir(self) -> Path: ...


_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def incident_dir(paths: _HasIncidentsDir, incident_id: str) -> Path:
    """Return the folder of an incident; the id may not climb out of the incidents folder."""
    if not _SAFE_ID.fullmatch(incident_id) or ".." in incident_id:
        raise ValueError(f"not an incident id: {incident_id!r} (expected e.g. 20261130-004512-x)")
    return Path(paths.incidents_dir) / incident_id


@dataclass(frozen=True, slots=True)
class IncidentSummary:
    """One line of `rollback incidents list`: the folder, its replayed state, chain intact?"""

    incident_id: str
    path: Path
    state: IncidentState
    intact: bool  # no line fails the chain (nor, with a key, its MAC)
    torn_tail: TornTail | None = None


def list_incidents(incidents_dir: Path, key: JournalKey | None = None) -> list[IncidentSummary]:
    """Summarise every incident folder that has a journal, newest first (with `key`, a line
    whose MAC fails makes the incident not intact)."""
    summaries: list[IncidentSummary] = []
    root = Path(incidents_dir)
    if not root.is_dir():
        return summaries
    for folder in sorted(root.iterdir(), reverse=True):
        path = folder / JOURNAL_FILE
        if not path.is_file():
            continue
        data = path.read_bytes()
        parsed = parse_journal(data)
        intact = not parsed.problems
        if intact and key is not None:
            intact = not verify_journal(data, key, live=True).altered
        summaries.append(IncidentSummary(folder.name, folder, replay(parsed.events), intact,
                                         parsed.torn_tail))
    return summaries


def read_journal(incident_dir: Path) -> ParsedJournal:
    """Read and parse an incident's journal without taking the lock."""
    path = Path(incident_dir) / JOURNAL_FILE
    try:
        return parse_journal(path.read_bytes())
    except FileNotFoundError:
        raise _no_journal(path) from None


def _no_journal(path: Path) -> JournalNotFoundError:
    return JournalNotFoundError(f"{path}: no journal here (is this an incident folder?)")


def load_state(incident_dir: Path, *, live: bool = False) -> tuple[IncidentState, ParsedJournal]:
    """Replay an incident's journal; `live` keeps running steps running (someone is writing)."""
    parsed = read_journal(incident_dir)
    return replay(parsed.events, live=live), parsed


class JournalReader:
    """A read-only view of a journal that another process may be writing, as state + events.

    It reads incrementally through `JournalTail` (new code can use the tail directly). A line
    caught half-written shows up as a torn tail until a later poll sees it whole.
    """

    def __init__(self, incident_dir: Path) -> None:
        """Follow the journal in `incident_dir`; nothing is read until `poll`."""
        self.path = Path(incident_dir) / JOURNAL_FILE
        self.tail = JournalTail(incident_dir)
        self._events: list[JournalEvent] = []
        self._problems: list[JournalProblem] = []
        self._polled = False

    def poll(self) -> tuple[IncidentState, ParsedJournal] | None:
        """Return the live state and the events so far when something new was read, else None.

        The state is the tail's, updated in place by later polls, and the events list is the
        reader's own, extended by them: neither is copied, so a poll costs what it reads.
        """
        if not self._polled and not self.path.exists():
            raise _no_journal(self.path)
        batch = self.tail.poll()
        if batch.restarted:
            self._events, self._problems = [], []
        if self._polled and not batch:
            return None
        self._polled = True
        self._events.extend(batch.events)
        self._problems.extend(JournalProblem(p.line or 0, p.message) for p in batch.problems)
        tail = self.tail
        torn = TornTail(tail.offset, tail.pending, "last line has no newline or is not an event")
        parsed = ParsedJournal(
            events=self._events,
            torn_tail=torn if tail.pending else None,
            problems=self._problems,
            last_hash=tail.last_hash,
            valid_length=tail.offset,
            line_count=tail.line_count,
            next_seq=tail.next_seq,
        )
        return tail.state, parsed


def writer_is_live(incident_dir: Path) -> bool:
    """Whether a process holds the incident's writer lock right now (the lock, not the holder
    record: a record outlives a crash and anyone can write one)."""
    try:
        fd = os.open(Path(incident_dir) / LOCK_FILE, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EACCES, errno.EAGAIN):
            return True
        raise
    finally:
        os.close(fd)  # also drops the shared lock at once, if it was taken
    return False


def _fsync_dir(path: Path) -> None:
    """Make a file's creation, rename or truncation in `path` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class JournalLock:
    """An exclusive, non-blocking per-incident writer lock (flock on `journal.lock`)."""

    def __init__(self, incident_dir: Path) -> None:
        """Prepare the lock of the incident in `incident_dir`; `acquire` takes it."""
        self.path = Path(incident_dir) / LOCK_FILE
        self.incident_id = Path(incident_dir).name
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock and record the holder, or raise JournalLockedError naming the holder."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EACCES, errno.EAGAIN):
                raise
            raise JournalLockedError(self.incident_id, self.holder()) from None
        since = utc_timestamp(time.time())
        record = {"pid": os.getpid(), "host": socket.gethostname(), "since": since}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode() + b"\n", 0)
        self._fd = fd

    def holder(self) -> dict[str, Any]:
        """Return the holder record in the lock file ({} when unreadable or being rewritten)."""
        try:
            record = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return {}
        return record if isinstance(record, dict) else {}

    def release(self) -> None:
        """Clear the holder record and drop the lock."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
        finally:
            os.close(fd)  # closing the descriptor releases the flock

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class Ack:
    """Acknowledgement of one append; `wait` returns the event once it is durable on disk."""

    # The queued item and its acknowledgement are one small object: the caller's whole cost
    # per append is building it and a deque append.
    __slots__ = ("_actor", "_data", "_error", "_event", "_ts", "_type", "_writer")

    def __init__(
        self, writer: JournalWriter, event_type: str, data: Any, ts: float, actor: str
    ) -> None:
        """Hold an event waiting to be written; only the writer resolves it."""
        self._writer = writer
        self._type, self._data, self._ts, self._actor = event_type, data, ts, actor
        self._event: JournalEvent | None = None
        self._error: JournalWriteError | None = None

    @property
    def done(self) -> bool:
        """Whether the event is durable or has failed."""
        return self._event is not None or self._error is not None

    def wait(self, timeout: float | None = None) -> JournalEvent:
        """Block until the event is written, flushed and fsync'ed; raise JournalWriteError."""
        if self._event is None and self._error is None:
            deadline = None if timeout is None else time.monotonic() + timeout
            cond = self._writer._acked
            with cond:
                while self._event is None and self._error is None:
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        raise TimeoutError(f"journal event not durable after {timeout}s")
                    cond.wait(left)
        if self._error is not None:
            self._writer._error_reported = True
            raise self._error
        assert self._event is not None
        return self._event


_open_writers: weakref.WeakSet[JournalWriter] = weakref.WeakSet()


@atexit.register
def _close_open_writers() -> None:
    # The writer thread is a daemon (it must not keep a crashed UI alive), so drain at exit.
    for writer in list(_open_writers):
        try:
            writer.close()
        except Exception:  # noqa: BLE001 - one failing journal must not stop the others closing
            _log.exception("closing journal %s at exit", writer.path)


class JournalWriter:
    """The only writer of an incident's journal: appends return at once, a thread makes them
    durable (one fsync per batch) and acknowledges them in order."""

    def __init__(
        self,
        incident_dir: Path,
        *,
        actor: str,
        secret_values: Iterable[str] = (),
        on_durable: Callable[[JournalEvent], None] | None = None,
        clock: Callable[[], float] = time.time,
        key: JournalKey | None = None,
        seal_note: Path | None = None,
    ) -> None:
        """Prepare a writer; `open` (or `with`) takes the lock and starts the writer thread.

        With a `key` every line carries its MAC and a clean `close` appends a seal, noted (line
        and hash) in `seal_note` when given, so a journal later cut back before it is caught.
        """
        self.incident_dir = Path(incident_dir)
        self.path = self.incident_dir / JOURNAL_FILE
        self.actor = actor
        self.on_durable = on_durable
        self.recovered_torn_tail: TornTail | None = None
        self.quarantine_file: Path | None = None
        self.problems: list[str] = []  # chain problems found on open (the file was altered)
        self.fsync_count = 0  # batches committed: group commit makes this far below the events
        self._redact = Redactor(secret_values)
        self.key, self.seal_note = key, seal_note
        self._clock = clock
        self._lock = JournalLock(self.incident_dir)
        self._queue: collections.deque[Ack] = collections.deque()
        self._wake = threading.Event()
        self._acked = threading.Condition()
        self._idle = False
        self._stopping = False
        self._accepting = False
        # Makes append's accept-check + enqueue and close's flag flip atomic: once close has
        # flipped the flags no append can enqueue, so the writer drains everything accepted.
        self._accept_lock = threading.Lock()
        self._error: JournalWriteError | None = None
        self._error_reported = False
        self._thread: threading.Thread | None = None
        self._fd = -1
        self._seq = 0
        self._last_hash = ""
        self._last_type = ""
        self._opened_at_seq = 0
        self._size = 0

    @property
    def last_seq(self) -> int:
        """The seq of the last event written (durable once its Ack resolved)."""
        return self._seq

    def open(self) -> JournalWriter:
        """Take the lock, recover the journal's tail and start the writer thread."""
        if self._thread is not None:
            raise JournalError(f"{self.path}: this writer is already open")
        self._stopping = False
        self.incident_dir.mkdir(parents=True, exist_ok=True)
        self._lock.acquire()
        try:
            created = not self.path.exists()
            flags = os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
            self._fd = os.open(self.path, flags, 0o600)
            if created:
                _fsync_dir(self.incident_dir)
            data = self.path.read_bytes()
            parsed = parse_journal(data)
            self.problems = [problem.reason for problem in parsed.problems]
            if self.key is not None and not self.problems and parsed.line_count:
                verdict = verify_journal(data[: parsed.valid_length], self.key, live=True)
                if verdict.bad_line is not None:  # an unauthenticated old journal is no problem
                    self.problems.append(verdict.reason)
            self._seq = parsed.events[-1].seq if parsed.events else 0
            self._last_type = parsed.events[-1].type if parsed.events else ""
            self._opened_at_seq = self._seq
            self._last_hash, self._size = parsed.last_hash, parsed.valid_length
            if parsed.torn_tail is not None:
                self._quarantine(data, parsed.torn_tail)
        except BaseException:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1
            self._lock.release()
            raise
        self._accepting = True
        self._thread = threading.Thread(
            target=self._run, name=f"journal-writer-{self.incident_dir.name}", daemon=True
        )
        self._thread.start()
        _open_writers.add(self)
        return self

    def _quarantine(self, data: bytes, torn: TornTail) -> None:
        """Save a torn tail beside the journal, cut it off and journal that it happened."""
        torn_bytes = data[torn.offset :]
        target = self.incident_dir / f"journal.torn-{torn.offset}.bin"
        suffix = 1
        while target.exists() and target.read_bytes() != torn_bytes:
            suffix += 1  # an older, different tail was cut at the same offset: keep both
            target = self.incident_dir / f"journal.torn-{torn.offset}-{suffix}.bin"
        with target.open("wb") as saved:
            saved.write(torn_bytes)
            saved.flush()
            os.fsync(saved.fileno())
        _fsync_dir(self.incident_dir)
        # Only now that the bytes are safe elsewhere may the journal lose them.
        os.ftruncate(self._fd, torn.offset)
        os.fsync(self._fd)
        record = {
            "offset": torn.offset,
            "length": torn.length,
            "sha256": hashlib.sha256(torn_bytes).hexdigest(),
            "saved_as": target.name,
            "reason": torn.reason,
        }
        ack = Ack(self, TORN_TAIL_QUARANTINED, record, self._clock(), self.actor)
        self._commit([ack])
        ack.wait()
        self.recovered_torn_tail, self.quarantine_file = torn, target

    def append(
        self, event_type: str, data: Mapping[str, Any] | None = None, *, actor: str | None = None
    ) -> Ack:
        """Queue an event and return at once; the Ack resolves when it is durable.

        `data` is redacted and serialised later, on the writer thread: do not change it after.
        """
        ack = Ack(self, event_type, data, self._clock(), actor or self.actor)
        with self._accept_lock:
            if not self._accepting:
                self._raise_unusable()
            self._queue.append(ack)
        if self._idle:
            self._wake.set()
        return ack

    def append_durable(
        self,
        event_type: str,
        data: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
    ) -> JournalEvent:
        """Append an event and wait until it is durable."""
        return self.append(event_type, data).wait(timeout)

    def _raise_unusable(self) -> None:
        if self._error is not None:
            self._error_reported = True
            raise JournalWriteError(f"{self.path}: journal unusable after: {self._error}")
        raise JournalWriteError(f"{self.path}: journal is not open for writing")

    def close(self) -> None:
        """Write and fsync everything queued, stop the thread and release the lock."""
        if self._thread is None:
            return
        with self._accept_lock:
            self._accepting = False
            self._stopping = True
        self._wake.set()
        self._thread.join()
        self._thread = None
        if self._queue:  # appended by another thread while closing: never written
            self._fail(RuntimeError("appended while the journal was closing"))
            self._commit(list(self._queue))
        self._seal()
        _open_writers.discard(self)
        os.close(self._fd)
        self._fd = -1
        self._lock.release()
        if self._error is not None and not self._error_reported:
            self._error_reported = True
            raise self._error

    def _seal(self) -> None:
        """Append the seal (line count and head so far) when this writer wrote anything: a
        session that only looked, or was refused, leaves the journal as it found it."""
        if self.key is None or self._error is not None or self._seq == self._opened_at_seq:
            return
        if self._last_type == JOURNAL_SEALED:
            return
        data = seal_data(self._seq, self._last_hash, self.key)
        self._commit([Ack(self, JOURNAL_SEALED, data, self._clock(), self.actor)])
        if self.seal_note is not None and self._error is None:
            try:
                record_seal(self.seal_note, self._seq, self._last_hash)
            except OSError:  # the journal is sealed either way; only the cross-check is lost
                _log.exception("cannot note the seal of %s in %s", self.path, self.seal_note)

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        """Writer thread: drain the queue in batches until closed and empty."""
        queue = self._queue
        while True:
            if not queue:
                if self._stopping:
                    if queue:  # accepted just before close flipped the flag: write it too
                        continue
                    return
                # Announce idleness, then look again: an append racing with this sees _idle
                # set and wakes us, or it landed before the second look.
                self._wake.clear()
                self._idle = True
                if not queue and not self._stopping:
                    self._wake.wait()
                self._idle = False
                continue
            batch = [queue.popleft() for _ in range(min(len(queue), MAX_BATCH))]
            self._commit(batch)

    def _commit(self, batch: list[Ack]) -> None:
        """Encode, write and fsync a batch, then resolve its Acks (group commit)."""
        events: list[JournalEvent] = []
        if self._error is None:
            try:
                events = self._write(batch)
            except Exception as exc:  # noqa: BLE001 - any failure must reach the Acks, not vanish
                self._fail(exc)
        for ack, event in zip(batch, events, strict=False):
            ack._event, ack._data = event, None  # drop the unredacted data
        if self._error is not None:
            for ack in batch:
                ack._error, ack._data = self._error, None
        with self._acked:
            self._acked.notify_all()
        if self.on_durable is not None:
            for event in events:
                try:
                    self.on_durable(event)
                except Exception:  # noqa: BLE001 - a UI callback bug must not stop journaling
                    _log.exception("journal on_durable callback failed for seq %d", event.seq)

    def _write(self, batch: list[Ack]) -> list[JournalEvent]:
        seq, prev = self._seq, self._last_hash
        lines: list[bytes] = []
        events: list[JournalEvent] = []
        redact, key = self._redact, self.key
        for ack in batch:
            seq += 1
            data = redact(ack._data) if ack._data is not None else {}
            if not isinstance(data, dict):
                data = {"value": data}
            event = JournalEvent(
                JOURNAL_VERSION, seq, utc_timestamp(ack._ts), ack._actor, ack._type, data, prev
            )
            line = canonical_line(event.to_dict())
            if key is not None:
                line = sign_line(line, key)
            prev = hashlib.sha256(line).hexdigest()
            lines.append(line)
            events.append(event)
        chunk = b"".join(lines)
        view = memoryview(chunk)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        os.fsync(self._fd)
        self._seq, self._last_hash = seq, prev
        if events:
            self._last_type = events[-1].type
        self._size += len(chunk)
        self.fsync_count += 1
        return events

    def _fail(self, exc: Exception) -> None:
        """Enter the failed state: keep the file at its last durable line, refuse more."""
        self._accepting = False
        self._error = JournalWriteError(f"{self.path}: cannot write the journal: {exc}")
        self._error.__cause__ = exc
        with contextlib.suppress(OSError):  # the disk may refuse this too; nothing more to try
            os.ftruncate(self._fd, self._size)  # drop a half-written batch: no torn tail
