"""Exporting an incident: read its journal, build the documents, render them, write the files;
and checking an export against the journal it was made from. Used by `rollback export`,
`rollback incidents verify --export` and the TUI's export dialog."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tui.adapters.journal import JOURNAL_FILE, read_journal
from tui.adapters.templates import render
from tui.domain.exports import (
    DOCUMENT_FORMATS,
    DOCUMENTS,
    FORMATS,
    JournalHead,
    checklist_document,
    journal_head,
    line_hashes,
    read_stamp,
    timeline_document,
)
from tui.domain.exports_report import decision_document, report_document
from tui.domain.incident import IncidentState, JournalEvent, replay, verify_chain
from tui.domain.runbook import Runbook

EXPORTS_FOLDER = "exports"
Builder = Callable[[IncidentState, Sequence[JournalEvent], Runbook | None, JournalHead, datetime],
                   dict[str, Any]]


BUILDERS: dict[str, Builder] = {
    "checklist": checklist_document, "report": report_document, "decision": decision_document,
    "timeline": lambda state, events, _runbook, head, now: timeline_document(state, events, head,
                                                                             now)}


class ExportError(Exception):
    """An export that cannot be made or written; the message says what and what to do."""


def plan(what: str, fmt: str) -> list[tuple[str, str]]:
    """The (document, format) pairs `--what` and `--format` ask for (`all` for every one)."""
    if what != "all" and what not in DOCUMENTS:
        raise ExportError(f"no document {what!r} (documents: {', '.join(DOCUMENTS)}, all)")
    if fmt != "all" and fmt not in FORMATS:
        raise ExportError(f"no format {fmt!r} (formats: {', '.join(FORMATS)}, all)")
    documents = DOCUMENTS if what == "all" else (what,)
    pairs = [(d, f) for d in documents for f in DOCUMENT_FORMATS[d] if fmt in ("all", f)]
    if not pairs:
        having = [d for d in DOCUMENTS if fmt in DOCUMENT_FORMATS[d]]
        raise ExportError(f"the {what} has no {fmt} form (formats: "
                          f"{', '.join(DOCUMENT_FORMATS[what])}; {fmt} exists for "
                          f"{', '.join(having)})")
    return pairs


def file_name(incident_id: str, what: str, fmt: str) -> str:
    """`20261130-041207-revert-deployment-checklist.md`."""
    return f"{incident_id}-{what}.{fmt}"


def default_folder(incident_folder: Path) -> Path:
    """Where exports go unless told otherwise: the incident's own `exports/`."""
    return Path(incident_folder) / EXPORTS_FOLDER


@dataclass(frozen=True)
class Exporter:
    """One incident's journal, read once, rendered into any document and format."""

    folder: Path
    runbook: Runbook | None
    state: IncidentState
    events: Sequence[JournalEvent]
    head: JournalHead
    generated_at: datetime
    templates: Path | None = None

    @classmethod
    def load(cls, folder: Path, runbook: Runbook | None, *, now: datetime | None = None,
             templates: Path | None = None) -> Exporter:
        """Read and replay the journal as it is now."""
        parsed = read_journal(folder)
        return cls(Path(folder), runbook, replay(parsed.events), parsed.events,
                   journal_head(parsed), now or datetime.now(UTC), templates)

    @property
    def incident_id(self) -> str:
        """The incident's id (the folder's name when the journal lacks one)."""
        return str(self.state.incident_id or self.folder.name)

    def document(self, what: str) -> dict[str, Any]:
        """The document's data (what the JSON export holds)."""
        return BUILDERS[what](self.state, self.events, self.runbook, self.head,
                              self.generated_at)

    def text(self, what: str, fmt: str) -> str:
        """The document rendered in one format."""
        return render(self.document(what), fmt, self.templates)

    def write(self, pairs: Sequence[tuple[str, str]], destination: Path) -> list[Path]:
        """Write each (document, format) as a file: into `destination` when it is (or must
        be) a folder, else to `destination` itself (one document)."""
        destination = Path(destination)
        as_folder = destination.is_dir() or len(pairs) > 1 or str(destination).endswith(os.sep)
        if as_folder and destination.exists() and not destination.is_dir():
            raise ExportError(f"{destination} is a file; give a folder for several exports")
        written = []
        for what, fmt in pairs:
            path = destination / file_name(self.incident_id, what, fmt) if as_folder \
                else destination
            _write_atomically(path, self.text(what, fmt))
            written.append(path)
        return written


def _write_atomically(path: Path, text: str) -> None:
    """Write a whole file or nothing (a reader never sees half an export)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
                out.write(text)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None


@dataclass(frozen=True)
class ExportCheck:
    """Whether an export matches the journal, and the sentence that says so."""

    ok: bool
    message: str
    usage_error: bool = False


def check_export(folder: Path, export_file: Path) -> ExportCheck:
    """Compare the journal head an export states with the journal: the head now, or a line the
    journal has grown past (named), or not in the chain at all (refused)."""
    try:
        text = Path(export_file).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return ExportCheck(False, f"cannot read {export_file}: {exc.strerror or exc}", True)
    stamp = read_stamp(text)
    if stamp is None:
        return ExportCheck(False, f"{export_file}: no journal head found (is it an export "
                           "made by rollback export?)", True)
    incident_id = Path(folder).name
    if stamp.incident_id != incident_id:
        return ExportCheck(False, f"{export_file} is an export of incident "
                           f"{stamp.incident_id}, not {incident_id}")
    data = (Path(folder) / JOURNAL_FILE).read_bytes()
    chain = verify_chain(data)
    if not chain.ok:
        return ExportCheck(False, f"the journal of {incident_id} fails verification at line "
                           f"{chain.first_bad_line}: {chain.reason}")
    hashes = line_hashes(data)[: chain.lines_checked]
    short = stamp.head[:12]
    if stamp.head not in hashes:
        return ExportCheck(False, f"FAILED: {export_file} states journal head {short}… (line "
                           f"{stamp.line}), which is no line of the journal of {incident_id} "
                           f"({len(hashes)} lines): the export was altered or is of another "
                           "copy of the journal")
    line = hashes.index(stamp.head) + 1
    if line != stamp.line:
        return ExportCheck(False, f"FAILED: {export_file} states line {stamp.line} but its head "
                           f"{short}… is line {line} of the journal: the export was altered")
    if line == len(hashes):
        return ExportCheck(True, f"OK: {export_file} matches the journal's head (line {line}, "
                           f"sha256 {short}…), made {stamp.made}")
    later = len(hashes) - line
    return ExportCheck(True, f"OK: {export_file} was made from line {line} of the journal "
                       f"(sha256 {short}…, made {stamp.made}); {later} line(s) were journaled "
                       "since, so it does not show them")
