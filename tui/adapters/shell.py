"""The `shell` step runner: an argv list (never a shell), a timeout, a capped output.

Synchronous on purpose: the app runs it in a thread worker, the headless runner in a thread.
"""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tui.domain.incident import Redactor

POLL = 0.1  # seconds between checks of the deadline and the cancel event
KILL_GRACE = 2.0  # seconds between SIGTERM and SIGKILL for the process group
DRAIN_GRACE = 1.0  # after exit, how long background children may hold the output open
JOURNAL_OUTPUT = 8192  # bytes of output a journal entry keeps (head and tail)

# CSI (ESC [ … final), OSC (ESC ] … BEL or ST), other ESC-letter escapes, and 8-bit CSI.
_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[ -/]*[0-~]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
    r"|\x1b"
)
# Control characters other than tab and newline would garble the step card.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def strip_ansi(text: str) -> str:
    """Remove terminal escape sequences (colours, cursor moves, titles, hyperlinks)."""
    return _ANSI.sub("", text)


def _clean(text: str) -> str:
    """What a terminal would show: no escapes, CRLF as LF, a carriage return overwrites."""
    text = strip_ansi(text).replace("\r\n", "\n")
    if "\r" in text:
        # Progress bars redraw a line with \r: keep only its last state.
        text = "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))
    return _CONTROL.sub("", text)


@dataclass(frozen=True, slots=True)
class ShellResult:
    """The outcome of one command."""

    ok: bool
    exit_code: int | None
    output: str
    truncated: bool
    duration_s: float
    detail: str
    timed_out: bool = False
    cancelled: bool = False
    argv: tuple[str, ...] = ()

    def for_journal(self, redactor: Redactor, max_output: int = JOURNAL_OUTPUT
                    ) -> dict[str, Any]:
        """A JSON-safe dict with secrets masked and the output cut to its head and tail."""
        # Redact the whole output first: a cut could split a secret so the redactor misses it.
        output = redactor.text(self.output)
        data = output.encode("utf-8")
        truncated = self.truncated
        if len(data) > max_output:
            half = max_output // 2
            omitted = len(data) - 2 * half
            output = (data[:half].decode("utf-8", "ignore")
                      + f"\n… [{omitted} bytes omitted] …\n"
                      + data[-half:].decode("utf-8", "ignore"))
            truncated = True
        return {
            "ok": self.ok,
            "argv": [redactor.text(arg) for arg in self.argv],
            "exit_code": self.exit_code,
            "duration_s": round(self.duration_s, 3),
            "detail": redactor.text(self.detail),
            "timed_out": self.timed_out,
            "cancelled": self.cancelled,
            "truncated": truncated,
            "output": output,
        }


class _CappedOutput:
    """Keeps the first and last bytes of a stream, and watches it for an expected text."""

    def __init__(self, cap: int, expect: str | None) -> None:
        self.head_cap = cap // 2
        self.tail_cap = cap - self.head_cap
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self.needle = expect.encode("utf-8") if expect else b""
        self.seen = False
        self._carry = b""

    def add(self, chunk: bytes) -> None:
        """Take the next chunk of output."""
        self.total += len(chunk)
        if self.needle and not self.seen:
            # Searched on the raw stream too, so text in the omitted middle still counts.
            window = self._carry + chunk
            self.seen = self.needle in window
            self._carry = window[-(len(self.needle) - 1):] if len(self.needle) > 1 else b""
        room = self.head_cap - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail += chunk
            if len(self.tail) > self.tail_cap:
                del self.tail[: len(self.tail) - self.tail_cap]

    @property
    def truncated(self) -> bool:
        return self.total > len(self.head) + len(self.tail)

    def text(self) -> str:
        """The kept output, decoded and cleaned, with a marker where bytes were dropped."""
        if not self.truncated:
            return _clean((self.head + self.tail).decode("utf-8", "replace"))
        omitted = self.total - len(self.head) - len(self.tail)
        return (_clean(self.head.decode("utf-8", "replace"))
                + f"\n… [{omitted} bytes of output omitted] …\n"
                + _clean(self.tail.decode("utf-8", "replace")))


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Stop the command and everything it started: TERM, a grace period, then KILL."""
    for sig, grace in ((signal.SIGTERM, KILL_GRACE), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        if sig == signal.SIGTERM:
            # The leader is gone; children that ignored TERM still get KILL.
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        return


def _not_started(argv: Sequence[str], exc: OSError | ValueError, cwd: str | None,
                 started: float) -> ShellResult:
    missing = getattr(exc, "filename", None)
    if cwd is not None and (missing == cwd or not os.path.isdir(cwd)):
        detail = f"working directory not found: {cwd}"
    elif isinstance(exc, FileNotFoundError):
        detail = f"command not found: {argv[0]}"
    elif isinstance(exc, PermissionError):
        detail = f"permission denied: {argv[0]} (not executable?)"
    else:
        detail = f"cannot start {argv[0]}: {getattr(exc, 'strerror', None) or exc}"
    return ShellResult(False, None, "", False, time.monotonic() - started, detail,
                       argv=tuple(argv))


def _describe_exit(code: int, expect_exit: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"killed by {name}"
    return f"exit {code}" + ("" if code == expect_exit else f" (expected {expect_exit})")


def run_argv(argv: Sequence[str | os.PathLike[str]], *, env: Mapping[str, str] | None = None,
             cwd: str | os.PathLike[str] | None = None, timeout: float | None = 60.0,
             output_cap: int = 65536, expect_exit: int = 0, expect_output: str | None = None,
             cancel: threading.Event | None = None) -> ShellResult:
    """Run a command without a shell, stdout and stderr merged; never raises for the command."""
    args = [os.fspath(a) for a in argv]
    workdir = os.fspath(cwd) if cwd is not None else None
    started = time.monotonic()
    if not args or not args[0]:
        return ShellResult(False, None, "", False, 0.0, "empty command", argv=tuple(args))
    # Runbook YAML may give numbers; the environment only holds text.
    environment = {**os.environ, **{k: str(v) for k, v in env.items()}} if env else None
    try:
        process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env=environment, cwd=workdir, start_new_session=True, close_fds=True)
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in an argument
        return _not_started(args, exc, workdir, started)
    output = _CappedOutput(max(output_cap, 2), expect_output)
    deadline = None if timeout is None else started + timeout
    timed_out = cancelled = lingering = False
    assert process.stdout is not None
    fd = process.stdout.fileno()
    exited_at: float | None = None
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            if selector.select(POLL):
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                output.add(chunk)
            now = time.monotonic()
            if cancel is not None and cancel.is_set():
                cancelled = True
            elif deadline is not None and now >= deadline:
                timed_out = True
            if timed_out or cancelled:
                _kill_group(process)
                _drain(fd, output)
                break
            if exited_at is None and process.poll() is not None:
                exited_at = now
            elif exited_at is not None and now - exited_at > DRAIN_GRACE:
                # Background children still hold the pipe: stop them, we will not wait.
                lingering = True
                _kill_group(process)
                _drain(fd, output)
                break
    process.stdout.close()
    code = process.wait()
    duration = time.monotonic() - started
    text = output.text()
    if timed_out or cancelled:
        why = "timed out" if timed_out else "cancelled"
        limit = f" after {timeout:g}s" if timed_out and timeout is not None else ""
        return ShellResult(False, code, text, output.truncated, duration,
                           f"{why}{limit}; process group killed", timed_out, cancelled,
                           tuple(args))
    ok = code == expect_exit
    detail = f"{_describe_exit(code, expect_exit)} in {duration:.2f}s"
    if expect_output is not None:
        found = output.seen or expect_output in text
        ok = ok and found
        detail += (f", output contains {expect_output!r}" if found
                   else f", output does not contain {expect_output!r}")
    if output.truncated:
        detail += f", output cut to {output_cap} of {output.total} bytes"
    if lingering:
        detail += "; background processes still holding the output were stopped"
    return ShellResult(ok, code, text, output.truncated, duration, detail, argv=tuple(args))


def _drain(fd: int, output: _CappedOutput) -> None:
    """Read what is left in the pipe after the group was killed, without blocking."""
    os.set_blocking(fd, False)
    try:
        while chunk := os.read(fd, 65536):
            output.add(chunk)
    except (BlockingIOError, OSError):
        pass
