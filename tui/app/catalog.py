"""Finding runbooks: a path given, then the user runbooks folder, then the built-ins."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import tui
from tui.app.paths import Paths

if TYPE_CHECKING:  # the validator is loaded by what validates, not by what only lists
    from tui.domain.runbook import ValidationResult

RUNBOOK_SUFFIXES = (".yaml", ".yml")
SCHEMA_FILE = "runbook.schema.json"
# Recording rules live beside the runbooks but are not runbooks.
NOT_RUNBOOKS = ("prometheus-rules.yaml",)


def builtin_dir() -> Path:
    """The built-in runbooks: inside the installed package, or `runbooks/` of a checkout."""
    package = Path(tui.__file__).resolve().parent
    installed = package / "builtin_runbooks"
    if installed.is_dir():
        return installed
    return package.parent / "runbooks"


@dataclass(frozen=True)
class CatalogEntry:
    """A runbook file and where it came from (user or builtin)."""

    path: Path
    origin: str


class RunbookNotFound(LookupError):
    """No runbook matches the reference."""


def runbook_files(folder: Path) -> list[Path]:
    """The runbook files in a folder, sorted by name."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.suffix in RUNBOOK_SUFFIXES and p.name not in NOT_RUNBOOKS and p.is_file())


def catalog(paths: Paths) -> list[CatalogEntry]:
    """User runbooks, then built-ins; a user file shadows a built-in of the same file name."""
    entries = [CatalogEntry(p, "user") for p in runbook_files(paths.runbooks_dir)]
    taken = {e.path.stem for e in entries}
    entries += [CatalogEntry(p, "builtin") for p in runbook_files(builtin_dir())
                if p.stem not in taken]
    return entries


def validate_file(path: Path) -> ValidationResult:
    """Read and validate one file; an unreadable file is a problem at 1:1, not an exception."""
    from tui.domain.runbook import ValidationResult, validate_runbook
    from tui.domain.schema import Problem

    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return ValidationResult(str(path), None, (Problem(1, 1, f"cannot read: {reason}",
                                                          "a readable runbook file"),))
    return validate_runbook(data, str(path))


def resolve(reference: str, paths: Paths) -> Path:
    """The file for a path or a runbook id (file name without suffix, or its `id:`)."""
    candidate = Path(reference).expanduser()
    if candidate.suffix in RUNBOOK_SUFFIXES or "/" in reference:
        if candidate.is_file():
            return candidate
        raise RunbookNotFound(f"no runbook file at {reference}")
    for entry in catalog(paths):
        if entry.path.stem == reference:
            return entry.path
    for entry in catalog(paths):
        result = validate_file(entry.path)
        if result.runbook is not None and result.runbook.id == reference:
            return entry.path
    known = ", ".join(e.path.stem for e in catalog(paths))
    raise RunbookNotFound(f"no runbook {reference!r} (known: {known})")
