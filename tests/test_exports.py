"""Every export of a known incident (exports_scenario: fixed clock, fixed export time) against
its golden file, in every format; what every export states; Markdown tables parsed by a
Markdown library; JSON validated against the published schema; CSV read back.

After an intended change to an export: `ROLLBACK_UPDATE_GOLDEN=1 pytest tests/test_exports.py`
rewrites tests/golden/exports/, then read the diff before committing it.
"""

from __future__ import annotations

import csv
import html as html_lib
import io
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from exports_scenario import GENERATED_AT, HOSTILE_NOTE, INCIDENT_ID, exporter, write_incident
from markdown_it import MarkdownIt

from tui.app.commands_export import schema_path
from tui.app.exports import Exporter, plan
from tui.domain.exports import read_stamp

GOLDEN = Path(__file__).resolve().parent / "golden" / "exports"
UPDATE = os.environ.get("ROLLBACK_UPDATE_GOLDEN") == "1"
PAIRS = plan("all", "all")
MADE_TEXT = "2026-11-30 05:02:03 UTC"


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> Exporter:
    """The closed incident's exporter."""
    return exporter(write_incident(tmp_path_factory.mktemp("resolved")))


@pytest.fixture(scope="module")
def in_progress(tmp_path_factory: pytest.TempPathFactory) -> Exporter:
    """The same incident before it was closed (no post-incident record, no resolution)."""
    return exporter(write_incident(tmp_path_factory.mktemp("open"), resolved=False))


@pytest.mark.parametrize(("what", "fmt"), PAIRS, ids=[f"{w}.{f}" for w, f in PAIRS])
def test_export_matches_its_golden_file(resolved: Exporter, what: str, fmt: str) -> None:
    text = resolved.text(what, fmt)
    golden = GOLDEN / f"{what}.{fmt}"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8", newline="")
    assert golden.exists(), f"no golden file {golden}: run with ROLLBACK_UPDATE_GOLDEN=1"
    assert text == golden.read_text(encoding="utf-8"), f"{what}.{fmt} differs from {golden}"


def test_there_are_fourteen_exports() -> None:
    # Checklist and timeline in all four formats; report and decision have no CSV form.
    assert len(PAIRS) == 14
    assert sorted(p.name for p in GOLDEN.iterdir()) == sorted(f"{w}.{f}" for w, f in PAIRS)


def _visible(html: str) -> list[str]:
    """The text an HTML page shows, one string per text node (head excluded)."""
    class Texts(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.parts: list[str] = []
            self.hidden = 0

        def handle_starttag(self, tag: str, attrs: Any) -> None:
            self.hidden += tag in ("head", "style", "script", "title")

        def handle_endtag(self, tag: str) -> None:
            self.hidden -= tag in ("head", "style", "script", "title")

        def handle_data(self, data: str) -> None:
            if not self.hidden and data.strip():
                self.parts.append(" ".join(data.split()))

    parser = Texts()
    parser.feed(html)
    return parser.parts


def _first_line(text: str, fmt: str) -> str:
    """What a reader sees first: the first line; the first text of an HTML page's body; the
    first field of a JSON object."""
    if fmt == "html":
        return _visible(text)[0]
    if fmt == "json":
        return next(iter(json.loads(text).values()))
    return text.splitlines()[0]


@pytest.mark.parametrize(("what", "fmt"), PAIRS, ids=[f"{w}.{f}" for w, f in PAIRS])
def test_every_export_states_incident_time_and_journal_head(
        resolved: Exporter, in_progress: Exporter, what: str, fmt: str) -> None:
    for source in (resolved, in_progress):
        text = source.text(what, fmt)
        stamp = read_stamp(text)
        assert stamp is not None, f"{what}.{fmt} states no journal head"
        assert (stamp.incident_id, stamp.made) == (INCIDENT_ID, MADE_TEXT)
        assert (stamp.head, stamp.line) == (source.head.sha256, source.head.line)
        if fmt == "html":  # stated on the page, not only in the markup
            assert any(f"journal head sha256:{source.head.sha256}" in t for t in _visible(text))
    first = _first_line(in_progress.text(what, fmt), fmt)
    assert re.match(r"(# |\*\*)?DRAFT — incident still open", first), first
    assert f"up to line {in_progress.head.line}" in first
    assert "DRAFT" not in _first_line(resolved.text(what, fmt), fmt)


def test_export_time_is_the_one_given(resolved: Exporter) -> None:
    assert json.loads(resolved.text("timeline", "json"))["generated_at"] == GENERATED_AT


# ---- Markdown --------------------------------------------------------------------------------
def _tables(markdown: str) -> list[list[list[str]]]:
    """Each table the parser finds, as rows of cell texts (header row first)."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    tables: list[list[list[str]]] = []
    for i, token in enumerate(tokens):
        if token.type == "table_open":
            tables.append([])
        elif token.type == "tr_open":
            tables[-1].append([])
        elif token.type in ("th_open", "td_open"):
            tables[-1][-1].append(tokens[i + 1].content if tokens[i + 1].type == "inline"
                                  else "")
    return tables


def _source_tables(markdown: str) -> list[list[int]]:
    """Each pipe table in the source as the cell count of each of its lines (a stray `|` in a
    cell shows here: parsers drop the cells past the header's)."""
    tables: list[list[int]] = []
    previous = ""
    for line in markdown.splitlines():
        if line.startswith("|"):
            if not previous.startswith("|"):
                tables.append([])
            tables[-1].append(len(re.split(r"(?<!\\)\|", line.strip())) - 2)
        previous = line
    return tables


@pytest.mark.parametrize("what", ["checklist", "report", "decision", "timeline"])
def test_markdown_tables_parse_as_tables_with_their_columns(resolved: Exporter,
                                                            what: str) -> None:
    markdown = resolved.text(what, "md")
    tables, source = _tables(markdown), _source_tables(markdown)
    assert tables, f"the {what} has no table the parser recognises"
    assert [len(t[0]) for t in tables] == [lines[0] for lines in source]
    for table, lines in zip(tables, source, strict=True):
        assert len(table) >= 2, "a table without rows"
        assert {len(row) for row in table} == {len(table[0])}
        # Header, delimiter and every row: as many cells as the header has.
        assert set(lines) == {lines[0]} and len(lines) == len(table) + 1


def test_markdown_hostile_text_stays_literal(resolved: Exporter) -> None:
    md = MarkdownIt("commonmark").enable("table")
    row = next(r for t in _tables(resolved.text("checklist", "md")) for r in t
               if r[1] == "Resource utilization stable")
    # In its cell, rendered, the note reads exactly as typed (on one line).
    assert html_lib.unescape(md.renderInline(row[3])) == " ".join(HOSTILE_NOTE.split())
    rendered = MarkdownIt("commonmark").enable("table").render(resolved.text("checklist", "md"))
    # The note's pipe stays inside its cell, its HTML is text, its markup is not markup.
    assert "pipe | in a cell, &lt;b&gt;html&lt;/b&gt; &amp; **bold** _x_ [link](http://x)" \
        in rendered
    assert "<b>html</b>" not in rendered and "<code>" not in rendered
    assert "<h1>not a heading" not in rendered and "<strong>bold" not in rendered
    html = resolved.text("checklist", "html")
    assert "<b>html</b>" not in html and "&lt;b&gt;html&lt;/b&gt;" in html


# ---- JSON ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def validator() -> Any:
    """The published schema, checked as a schema first."""
    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@pytest.mark.parametrize("what", ["checklist", "report", "decision", "timeline"])
def test_json_validates_against_the_published_schema(resolved: Exporter, in_progress: Exporter,
                                                     validator: Any, what: str) -> None:
    for source in (resolved, in_progress):
        document = json.loads(source.text(what, "json"))
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in
                  validator.iter_errors(document)]
        assert errors == []


def test_schema_rejects_what_it_does_not_describe(resolved: Exporter, validator: Any) -> None:
    document = json.loads(resolved.text("checklist", "json"))
    assert validator.is_valid(document)
    for broken in ({**document, "surprise": 1}, {**document, "journal": {"head": "x"}},
                   {k: v for k, v in document.items() if k != "stamp"}):
        assert not validator.is_valid(broken)


# ---- CSV -------------------------------------------------------------------------------------
def test_csv_reads_back_row_for_row(resolved: Exporter) -> None:
    for what, rows in (("timeline", len(resolved.events)),
                       ("checklist", len(resolved.runbook.checklist_items()))):
        text = resolved.text(what, "csv")
        body = [line for line in text.splitlines(keepends=True) if not line.startswith("#")]
        table = list(csv.reader(io.StringIO("".join(body))))
        assert len(table) == rows + 1 and len({len(r) for r in table}) == 1
    checklist = resolved.text("checklist", "csv")
    note = next(r for r in csv.reader(io.StringIO(checklist)) if r[1:2] == ["resources_stable"])[4]
    assert note == HOSTILE_NOTE  # multi-line text survives, quoted


def test_csv_cells_never_start_a_formula(tmp_path: Path) -> None:
    formula = '=HYPERLINK("http://x","y")'
    folder = write_incident(tmp_path, extra=[("04:50:00", "check.recorded", {
        "item_id": "smoke_tests", "status": "pass", "note": formula})])
    text = exporter(folder).text("checklist", "csv")
    row = next(r for r in csv.reader(io.StringIO(text)) if r[1:2] == ["smoke_tests"])
    assert row[4] == "'" + formula  # shown as text by spreadsheets, not run
