"""`rollback export` and `rollback incidents verify ID --export FILE` as real processes: every
document and format written and checked against the journal; errors a user can act on (no
traceback); an edited export, a forged head and an altered journal refused."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from exports_scenario import ACTOR, INCIDENT_ID, write_incident

from tui.adapters.journal import JournalWriter
from tui.app.commands_export import schema_path
from tui.app.paths import resolve_paths


@pytest.fixture
def incident(rollback_home: Path) -> Path:
    """The known incident, closed, in this test's ROLLBACK_HOME."""
    return write_incident(resolve_paths().incidents_dir)


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def _refused(result: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    for word in words:
        assert word in result.stderr, (word, result.stderr)
    return result.stderr


def test_every_document_and_format_written_and_each_verifies(run_cli, incident: Path,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "out"
    written = _ok(run_cli("export", INCIDENT_ID, "--what", "all", "--format", "all",
                          "-o", str(out))).split()
    assert sorted(Path(p).name for p in written) == sorted(p.name for p in out.iterdir())
    assert len(written) == 14
    for path in written:
        verdict = _ok(run_cli("incidents", "verify", INCIDENT_ID, "--export", path))
        assert verdict.startswith(f"OK: {path} matches the journal's head (line 61")


def test_one_document_to_stdout_or_a_file(run_cli, incident: Path, tmp_path: Path) -> None:
    text = _ok(run_cli("export", INCIDENT_ID, "--what", "checklist"))
    assert text.startswith("## Rollback Verification - 2026-11-30 04:41 UTC\n")
    target = tmp_path / "report.html"
    assert _ok(run_cli("export", INCIDENT_ID, "--what", "report", "--format", "html", "-o",
                       str(target))).strip() == str(target)
    assert target.read_text().startswith("<!DOCTYPE html>")
    default = _ok(run_cli("export", INCIDENT_ID, "--what", "timeline", "--format", "all"))
    assert sorted(Path(p).name for p in default.split()) == [
        f"{INCIDENT_ID}-timeline.{f}" for f in ("csv", "html", "json", "md")]
    assert all(Path(p).parent == incident / "exports" for p in default.split())


def test_errors_name_the_problem_and_the_next_step(run_cli, incident: Path,
                                                   tmp_path: Path) -> None:
    _refused(run_cli("export", "no-such-incident"), 2, "no incident 'no-such-incident'",
             INCIDENT_ID)
    _refused(run_cli("export"), 2, "needs an incident ID", "rollback incidents list")
    _refused(run_cli("export", INCIDENT_ID, "--what", "report", "--format", "csv"), 2,
             "the report has no csv form", "md, json, html", "checklist, timeline")
    _refused(run_cli("export", INCIDENT_ID, "--what", "minutes"), 2, "invalid choice")
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    _refused(run_cli("export", INCIDENT_ID, "-o", str(a_file / "x.md")), 1,
             f"cannot write {a_file / 'x.md'}")
    _refused(run_cli("export", INCIDENT_ID, "--what", "all", "-o", str(a_file)), 1,
             f"{a_file} is a file; give a folder to export into")
    assert a_file.read_text() == "x"
    templates = resolve_paths().config_file.parent / "templates"
    templates.mkdir(parents=True)
    (templates / "checklist.md").write_text("{% if %}\n")
    _refused(run_cli("export", INCIDENT_ID), 2, "checklist.md:1", "fix or remove the template")


def test_user_template_overrides_the_builtin(run_cli, incident: Path, tmp_path: Path) -> None:
    templates = resolve_paths().config_file.parent / "templates"
    templates.mkdir(parents=True)
    (templates / "timeline.md").write_text(
        "{{ doc.stamp }}\n{% for r in doc.rows %}{{ r.time }} {{ r.text }}\n{% endfor %}")
    target = tmp_path / "t.md"
    _ok(run_cli("export", INCIDENT_ID, "--what", "timeline", "-o", str(target)))
    lines = target.read_text().splitlines()
    assert lines[0].startswith(f"Incident {INCIDENT_ID} · exported ") and len(lines) == 62
    assert lines[-1].startswith("04:41:00 incident resolved: FAILED")
    _ok(run_cli("incidents", "verify", INCIDENT_ID, "--export", str(target)))


def test_schema_is_published(run_cli) -> None:
    printed = json.loads(_ok(run_cli("export", "--schema")))
    assert printed == json.loads(schema_path().read_text())
    assert printed["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def _export(run_cli: Any, tmp_path: Path, what: str, fmt: str) -> Path:
    target = tmp_path / f"{what}.{fmt}"
    _ok(run_cli("export", INCIDENT_ID, "--what", what, "--format", fmt, "-o", str(target)))
    return target


def test_verify_refuses_an_edited_export(run_cli, incident: Path, tmp_path: Path) -> None:
    md = _export(run_cli, tmp_path, "checklist", "md")
    text = md.read_text()
    row = "| ✗ | Response times normal | FAIL (automatic) |"
    assert row in text
    md.write_text(text.replace(row, "| ✓ | Response times normal | PASS (automatic) |"))
    _refused(run_cli("incidents", "verify", INCIDENT_ID, "--export", str(md)), 1,
             "FAILED", "its content is not what that line gives")
    data = _export(run_cli, tmp_path, "report", "json")
    report = json.loads(data.read_text())
    report["summary"]["severity"] = "P4"
    data.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    _refused(run_cli("incidents", "verify", INCIDENT_ID, "--export", str(data)), 1,
             "its content is not what that line gives")
    csv = _export(run_cli, tmp_path, "timeline", "csv")
    head = csv.read_text().split("sha256:")[1][:64]
    csv.write_text(csv.read_text().replace(head, "0" * 64))
    _refused(run_cli("incidents", "verify", INCIDENT_ID, "--export", str(csv)), 1,
             "which is no line of the journal")


def test_verify_refuses_when_the_journal_was_altered(run_cli, incident: Path,
                                                     tmp_path: Path) -> None:
    html = _export(run_cli, tmp_path, "report", "html")
    journal = incident / "journal.jsonl"
    original = journal.read_bytes()
    # The last line: the chain alone cannot tell, the head the export states can.
    journal.write_bytes(original.replace(b"bob (release manager)", b"mallory"))
    _refused(run_cli("incidents", "verify", INCIDENT_ID, "--export", str(html)), 1,
             "which is no line of the journal")
    # An earlier line: the chain breaks after it.
    journal.write_bytes(original.replace(b"Rollback of checkout 2.4.0 complete", b"Nothing happened"))
    assert journal.read_bytes() != original
    _refused(run_cli("incidents", "verify", INCIDENT_ID, "--export", str(html)), 1,
             "FAILED: the journal of", "fails verification at line")


def test_an_export_of_an_open_incident_stays_valid_as_the_journal_grows(
        run_cli, rollback_home: Path, tmp_path: Path) -> None:
    folder = write_incident(resolve_paths().incidents_dir, resolved=False)
    md = _export(run_cli, tmp_path, "decision", "md")
    assert md.read_text().startswith("**DRAFT — incident still open: this decision record "
                                     "shows the journal up to line 51")
    with JournalWriter(folder, actor=ACTOR) as writer:
        writer.append_durable("note.added", {"text": "still watching latency"})
    verdict = _ok(run_cli("incidents", "verify", INCIDENT_ID, "--export", str(md)))
    assert "made from line 51 of the journal" in verdict and "1 line(s) were journaled" \
        in verdict


def test_verify_names_a_file_that_is_no_export(run_cli, incident: Path,
                                               tmp_path: Path) -> None:
    other = tmp_path / "notes.md"
    other.write_text("# my notes\n")
    _refused(run_cli("incidents", "verify", INCIDENT_ID, "--export", str(other)), 2,
             "no journal head found")
    _refused(run_cli("incidents", "verify", INCIDENT_ID, "--export", str(tmp_path / "gone")),
             2, "cannot read")


def test_the_command_offers_what_the_domain_exports() -> None:
    # Kept apart so `rollback --help` loads no domain module; equal all the same.
    from screens.export import FORMATS as DIALOG_FORMATS
    from screens.export import WHAT
    from tui.app.commands_export import DOCUMENT_CHOICES, FORMAT_CHOICES
    from tui.domain.exports import DOCUMENTS, FORMATS, ON_REQUEST

    assert DOCUMENT_CHOICES == (*DOCUMENTS, *ON_REQUEST, "all")
    assert (*DOCUMENTS, "all") == tuple(key for key, _ in WHAT)  # a drill's report: CLI only
    assert FORMAT_CHOICES == (*FORMATS, "all")
    assert {key for key, _ in DIALOG_FORMATS} == set(FORMATS)
