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
from tui.adapters.templates import TemplateProblem, render
from tui.domain.exports import (
    DOCUMENT_FORMATS,
    DOCUMENTS,
    FORMATS,
    ON_REQUEST,
    JournalHead,
    checklist_document,
    journal_head,
    line_hashes,
    read_stamp,
    timeline_document,
)
from tui.domain.exports_drill import drill_report_document
from tui.domain.exports_report import decision_document, report_document
from tui.domain.incident import IncidentState, JournalEvent, parse_journal, replay
from tui.domain.journal_auth import JournalKey, verify_journal
from tui.domain.runbook import Runbook

EXPORTS_FOLDER = "exports"
Builder = Callable[[IncidentState, Sequence[JournalEvent], Runbook | None, JournalHead, datetime],
                   dict[str, Any]]


BUILDERS: dict[str, Builder] = {
    "checklist": checklist_document, "report": report_document, "decision": decision_document,
    "timeline": lambda state, events, _runbook, head, now: timeline_document(state, events, head,
                                                                             now),
    "drill-report": drill_report_document}


class ExportError(Exception):
    """An export that cannot be made or written; the message says what and what to do."""


def plan(what: str, fmt: str) -> list[tuple[str, str]]:
    """The (document, format) pairs `--what` and `--format` ask for (`all` for every one)."""
    if what != "all" and what not in (*DOCUMENTS, *ON_REQUEST):
        raise ExportError(f"no document {what!r} (documents: "
                          f"{', '.join((*DOCUMENTS, *ON_REQUEST))}, all)")
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
        # Whole seconds: the time every export states is all a check needs to remake it.
        made = (now or datetime.now(UTC)).replace(microsecond=0)
        return cls(Path(folder), runbook, replay(parsed.events), parsed.events,
                   journal_head(parsed), made, templates)

    @classmethod
    def at_line(cls, folder: Path, runbook: Runbook | None, data: bytes, line: int,
                generated_at: datetime, templates: Path | None = None) -> Exporter:
        """The exporter as it was when the journal ended at `line` (what an export made then
        shows), from the journal's bytes."""
        events = parse_journal(data).events[:line]
        head = JournalHead(line_hashes(data)[line - 1], line)
        return cls(Path(folder), runbook, replay(events), events, head, generated_at,
                   templates)

    @property
    def incident_id(self) -> str:
        """The incident's id (the folder's name when the journal lacks one)."""
        return str(self.state.incident_id or self.folder.name)

    def document(self, what: str) -> dict[str, Any]:
        """The document's data (what the JSON export holds); ExportError for a drill report
        of an incident that is no drill."""
        if what in ON_REQUEST and not (self.state.drill or self.state.drill_scenario):
            raise ExportError(f"incident {self.incident_id} is not a drill: the drill report "
                              "exists for drills only (rollback drill history lists them)")
        return BUILDERS[what](self.state, self.events, self.runbook, self.head,
                              self.generated_at)

    def text(self, what: str, fmt: str) -> str:
        """The document rendered in one format."""
        return render(self.document(what), fmt, self.templates)

    def write(self, pairs: Sequence[tuple[str, str]], destination: Path,
              as_folder: bool | None = None) -> list[Path]:
        """Write each (document, format) as a file: into `destination` when it is (or must
        be) a folder, else to `destination` itself (one document)."""
        destination = Path(destination)
        if as_folder is None:
            as_folder = destination.is_dir() or len(pairs) > 1 or \
                str(destination).endswith(os.sep)
        if as_folder and destination.exists() and not destination.is_dir():
            raise ExportError(f"{destination} is a file; give a folder to export into")
        written = []
        for what, fmt in pairs:
            path = destination / file_name(self.incident_id, what, fmt) if as_folder \
                else destination
            _write_atomically(path, self.text(what, fmt))
            written.append(path)
        return written


def export_files(folder: Path, runbook: Runbook | None, what: str, fmt: str,
                 destination: Path) -> list[Path]:
    """Write the documents asked for into the folder `destination` (the TUI's export);
    ExportError says why not."""
    from tui.adapters.templates import template_dir
    from tui.app.paths import resolve_paths

    templates = template_dir(resolve_paths().config_file.parent)
    exporter = Exporter.load(folder, runbook, templates=templates)
    try:
        return exporter.write(plan(what, fmt), destination, as_folder=True)
    except TemplateProblem as exc:
        raise ExportError(f"template {exc}") from None


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


def check_export(folder: Path, export_file: Path, runbook: Runbook | None = None,
                 templates: Path | None = None) -> ExportCheck:
    """Compare an export with the journal: the head it states must be a line of the chain (the
    head now, or a line the journal has grown past, named), and its text must be what that
    line of the journal gives, so an edited mark, value or note is caught too."""
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
    # Any line of the journal may be the export's head, so the seal is not asked for here;
    # a line that fails the chain or its MAC is.
    chain = verify_journal(data, _installation_key(), live=True)
    if chain.altered:
        return ExportCheck(False, f"FAILED: the journal of {incident_id} fails verification at "
                           f"line {chain.bad_line}: {chain.reason}")
    hashes = line_hashes(data)[: chain.lines]
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
    made = _stamp_time(stamp.made)
    remade = Exporter.at_line(folder, runbook, data, line, made, templates) if made else None
    if remade is None or not _same_as_remade(text, remade, Path(export_file).suffix):
        return ExportCheck(False, f"FAILED: {export_file} names line {line} of the journal, "
                           "but its content is not what that line gives: the export was "
                           "edited (or made with other templates or another version of the "
                           "runbook)")
    if line == len(hashes):
        return ExportCheck(True, f"OK: {export_file} matches the journal's head (line {line}, "
                           f"sha256 {short}…), made {stamp.made}")
    later = len(hashes) - line
    return ExportCheck(True, f"OK: {export_file} was made from line {line} of the journal "
                       f"(sha256 {short}…, made {stamp.made}); {later} line(s) were journaled "
                       "since, so it does not show them")


def _installation_key() -> JournalKey | None:
    """This installation's journal key, if it has a usable one (a check never makes one)."""
    from tui.adapters.journal_key import JournalKeyError, load_key
    from tui.app.paths import resolve_paths

    try:
        return load_key(resolve_paths().config_file.parent)
    except JournalKeyError:
        return None


def _stamp_time(text: str) -> datetime | None:
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=UTC)
    except ValueError:
        return None


def _same_as_remade(text: str, remade: Exporter, suffix: str) -> bool:
    """Whether any document, in the format the file's name gives (else any), renders to
    `text` (line endings aside: an editor may have changed them)."""
    wanted = text.replace("\r\n", "\n")
    fmt = suffix.removeprefix(".").lower()
    formats = (fmt,) if fmt in FORMATS else FORMATS
    for what in (*DOCUMENTS, *ON_REQUEST):
        for form in formats:
            try:
                if form in DOCUMENT_FORMATS[what] and remade.text(what, form) == wanted:
                    return True
            except ExportError:
                continue  # (a drill report of an incident that is no drill)
            except TemplateProblem:
                return False
    return False
