"""Authenticated journal lines and seals: what `rollback incidents verify` proves with the key.

Each line a keyed writer writes ends in `"mac":"<HMAC-SHA256-128 hex>"`, computed with the
installation's key over the line's exact bytes without that field; the hash chain (`prev`) is
kept over the whole line. A writer that closes cleanly appends a seal (`journal.sealed`) naming
the line count and head before it, so a journal that stops anywhere but at a seal was cut short
or its last writer died. Pure: the key's file is the adapter's business.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from tui.domain.incident import ParsedJournal, TornTail, parse_journal

JOURNAL_SEALED = "journal.sealed"
KEY_BYTES = 32
_MAC_OPEN = b',"mac":"'
MAC_BYTES = 16  # HMAC-SHA256 truncated to 128 bits, as IPsec's HMAC-SHA-256-128 (RFC 4868)
_MAC_HEX = MAC_BYTES * 2
_MAC_SUFFIX = len(_MAC_OPEN) + _MAC_HEX + len(b'"}\n')


@dataclass(frozen=True, slots=True)
class JournalKey:
    """An installation's secret journal key and the public id that names it."""

    secret: bytes

    @property
    def key_id(self) -> str:
        """A short public name of the key (not the key: a one-way hash of it)."""
        return hashlib.sha256(b"rollback-tui journal key id\0" + self.secret).hexdigest()[:16]

    def mac(self, body: bytes) -> str:
        """The hex HMAC-SHA256 (first 128 bits) of a line's bytes without its mac field."""
        return hmac.digest(self.secret, body, "sha256")[:MAC_BYTES].hex()


def sign_line(line: bytes, key: JournalKey) -> bytes:
    """Add the mac field to a canonical journal line (`{…}\\n`), as its last field."""
    return b"".join((line[:-2], _MAC_OPEN, key.mac(line).encode("ascii"), b'"}\n'))


def split_mac(line: bytes) -> tuple[bytes, str] | None:
    """The line as it was signed and its mac, or None when the line carries no mac field."""
    if len(line) <= _MAC_SUFFIX or not line.endswith(b'"}\n'):
        return None
    start = len(line) - _MAC_SUFFIX
    if line[start : start + len(_MAC_OPEN)] != _MAC_OPEN:
        return None
    mac = line[start + len(_MAC_OPEN) : -3]
    return line[:start] + b"}\n", mac.decode("ascii", "replace")


@dataclass(frozen=True, slots=True)
class Verdict:
    """What verification found: `ok` only when every claim below holds."""

    ok: bool
    lines: int
    bad_line: int | None
    reason: str
    authenticated: int = 0  # lines whose mac the key confirmed
    unauthenticated: int = 0  # leading lines written without a key (before keys existed)
    sealed: bool = False
    torn_tail: TornTail | None = None
    last_hash: str = ""
    altered: bool = False  # a line fails the chain or its MAC (not merely incomplete)


def verify_journal(data: bytes, key: JournalKey | None, *, live: bool = False,
                   noted_seal: tuple[int, str] | None = None) -> Verdict:
    """Check the chain, every line's mac and the seal at the end (`live`: a writer holds the
    journal, so it may not be sealed yet; `noted_seal`: the line and hash of the last seal this
    installation wrote, which the journal must still hold)."""
    parsed = parse_journal(data)
    lines = [line + b"\n" for line in data[: parsed.valid_length].split(b"\n")[:-1]]
    base = {"lines": parsed.line_count, "torn_tail": parsed.torn_tail,
            "last_hash": parsed.last_hash}
    if parsed.problems:
        first = parsed.problems[0]
        return Verdict(False, bad_line=first.line, reason=first.reason, altered=True, **base)
    signed = [split_mac(line) for line in lines]
    first_signed = next((i for i, s in enumerate(signed) if s is not None), None)
    if first_signed is None:
        return _unauthenticated(parsed, base)
    if key is None:
        return Verdict(False, bad_line=first_signed + 1, reason=(
            f"line {first_signed + 1}: lines carry MACs but this installation has no journal "
            "key to check them (verify where the incident was written)"), **base)
    for index in range(first_signed, len(lines)):
        number = index + 1
        pair = signed[index]
        if pair is None:
            return Verdict(False, bad_line=number, reason=(
                f"line {number}: no MAC after authenticated lines (a line inserted, forged or "
                "stripped of its MAC)"), altered=True, **base)
        body, mac = pair
        if not hmac.compare_digest(mac, key.mac(body)):
            return Verdict(False, bad_line=number, reason=(
                f"line {number}: MAC does not match (the line was altered or forged, or written "
                f"with another installation's key; this one is {key.key_id})"), altered=True,
                **base)
    counts = {"authenticated": len(lines) - first_signed, "unauthenticated": first_signed}
    if noted_seal is not None:
        cut = _cut_before_noted_seal(lines, *noted_seal)
        if cut is not None:
            return Verdict(False, bad_line=min(noted_seal[0], len(lines)), reason=cut,
                           **base | counts)
    return _seal_verdict(parsed, live, base | counts)


def _cut_before_noted_seal(lines: list[bytes], seq: int, line_hash: str) -> str | None:
    """Why the journal no longer holds the seal this installation noted, or None if it does."""
    if seq > len(lines):
        return (f"this installation sealed the journal at line {seq} (sha256 "
                f"{line_hash[:12]}…) but it now ends at line {len(lines)}: lines were removed")
    if hashlib.sha256(lines[seq - 1]).hexdigest() != line_hash:
        return (f"line {seq}: not the seal this installation wrote there (sha256 "
                f"{line_hash[:12]}…): the journal was cut back and written again")
    return None


def _unauthenticated(parsed: ParsedJournal, base: dict[str, Any]) -> Verdict:
    """A journal without any mac: the chain holds, but anyone could have rewritten it."""
    reason = ("UNAUTHENTICATED: no line carries a MAC (written without a journal key, by a "
              "version before keys or by a tool that stripped them); the chain shows only "
              "accidental damage, not a rewrite")
    return Verdict(False, bad_line=None, reason=reason, unauthenticated=parsed.line_count, **base)


def _seal_verdict(parsed: ParsedJournal, live: bool, base: dict[str, Any]) -> Verdict:
    """The verdict once every line is authenticated: is the journal whole up to its end?"""
    count = parsed.line_count
    last = parsed.events[-1]
    sealed = last.type == JOURNAL_SEALED
    if sealed and (last.data.get("lines") != count - 1 or last.data.get("head") != last.prev):
        return Verdict(False, bad_line=count, reason=(
            f"line {count}: the seal names {last.data.get('lines')} lines, the journal has "
            f"{count - 1} before it"), altered=True, **base)
    if parsed.torn_tail is not None and not live:
        tail = parsed.torn_tail
        return Verdict(False, bad_line=count + 1, sealed=sealed, reason=(
            f"line {count + 1}: {tail.length} bytes after the last whole line are not an "
            f"authenticated line ({tail.reason}): altered, appended or torn by a crash "
            "(`rollback resume` quarantines a crash's torn line)"), **base)
    if sealed or live:
        return Verdict(True, bad_line=None, sealed=sealed, reason="", **base)
    return Verdict(False, bad_line=count, reason=(
        f"line {count}: the journal ends without a seal: lines after line {count} were "
        "removed, or its last writer died without closing (after a crash `rollback resume` "
        "seals it)"), **base)


def seal_data(lines: int, head: str, key: JournalKey) -> dict[str, object]:
    """The data of a seal: the whole lines before it, the last one's hash, the key's id."""
    return {"lines": lines, "head": head, "key_id": key.key_id}


__all__ = ["JOURNAL_SEALED", "KEY_BYTES", "JournalKey", "Verdict", "seal_data", "sign_line",
           "split_mac", "verify_journal"]
