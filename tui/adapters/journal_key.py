"""The installation's journal key (`journal.key` in the configuration folder, mode 0600) and
its notes of the last seal written for each incident (`journal-seals/<id>.json`).

Created on first use by a journal writer (never by a reader or by verification: a new key would
only make every existing line fail), published atomically so two writers starting at once end
up with the same key.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
from pathlib import Path

from tui.domain.journal_auth import KEY_BYTES, JournalKey

KEY_FILE = "journal.key"


class JournalKeyError(Exception):
    """The key file exists but cannot be used; the message names it and what to do."""


def key_path(config_dir: Path) -> Path:
    """Where the installation's journal key lives."""
    return Path(config_dir) / KEY_FILE


def load_key(config_dir: Path) -> JournalKey | None:
    """The installation's key, or None when there is none yet; JournalKeyError when unusable."""
    path = key_path(config_dir)
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise JournalKeyError(_unusable(path, f"cannot be read ({exc})")) from None
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = b""
    if len(secret) != KEY_BYTES:
        raise JournalKeyError(_unusable(path, f"is not a journal key ({KEY_BYTES * 2} hex "
                                              "digits expected)"))
    return JournalKey(secret)


def key_exposure(config_dir: Path) -> str | None:
    """A warning when the key file can be read or written by others than its owner."""
    path = key_path(config_dir)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    if not mode & 0o077:
        return None
    return (f"warning: journal key {path} has mode {mode:04o}: others may read it and sign "
            f"lines that verify; run `chmod 600 {path}`")


def installation_key(config_dir: Path) -> JournalKey:
    """The installation's key, created (mode 0600) when there is none yet."""
    existing = load_key(config_dir)
    if existing is not None:
        return existing
    path = key_path(config_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        os.fchmod(fd, stat.S_IRUSR | stat.S_IWUSR)  # whatever the umask says
        os.write(fd, secrets.token_hex(KEY_BYTES).encode("ascii") + b"\n")
        os.fsync(fd)
        os.close(fd)
        fd = -1
        # link() fails when the name exists: the first writer to publish a key wins, the
        # others read that one, so no journal is ever signed with a key that was replaced.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        if fd >= 0:
            os.close(fd)
        temporary.unlink(missing_ok=True)
    key = load_key(config_dir)
    assert key is not None
    return key


def _unusable(path: Path, problem: str) -> str:
    return (f"journal key {path} {problem}: journals written with it cannot be verified "
            "without it — restore it from a backup, or move it away to start a new key")


SEALS_DIR = "journal-seals"


def seal_record_path(config_dir: Path, incident_id: str) -> Path:
    """Where this installation notes the last seal it wrote for an incident."""
    return Path(config_dir) / SEALS_DIR / f"{incident_id}.json"


def record_seal(path: Path, seq: int, line_hash: str) -> None:
    """Note the seal just written (its line and hash), replacing the previous note."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        with open(temporary, "w", encoding="utf-8") as out:
            json.dump({"seq": seq, "sha256": line_hash}, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def recorded_seal(path: Path) -> tuple[int, str] | None:
    """The last seal this installation wrote for an incident (line, sha256), if it noted one."""
    try:
        note = json.loads(path.read_text(encoding="utf-8"))
        return int(note["seq"]), str(note["sha256"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        # Written atomically, so only a hand can damage it: say nothing rather than guess.
        return None
