"""The HTML checklist and incident report printed to PDF by a real headless browser (Debian's
chromium), read back with pdftotext: every checklist item, value and mark is on paper, and the
page count is sane."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import require_tool
from exports_scenario import exporter, write_incident

from tui.app.exports import Exporter


@pytest.fixture(scope="module")
def incident(tmp_path_factory: pytest.TempPathFactory) -> Exporter:
    """The known incident, closed."""
    return exporter(write_incident(tmp_path_factory.mktemp("incident")))


@dataclass(frozen=True)
class Printed:
    """A printed page's text: `flat` has no whitespace and no hyphens (cells wrap anywhere,
    pdftotext joins a word broken at a hyphen); `lines` keeps the layout (a table row's cells
    share its first line)."""

    flat: str
    lines: list[str]
    pages: int
    paper: str  # pdfinfo's page size, e.g. "612 x 792 pts (letter)"

    def has(self, *parts: Any) -> None:
        """Every part is printed, in this order, with nothing but whitespace between."""
        wanted = "".join(_flat(str(p)) for p in parts)
        assert wanted in self.flat, f"not on paper: {parts!r}"

    def row(self, mark: str, text: str, *cells: str) -> None:
        """A table row starts with `mark` then the first words of `text`, and its first line
        holds `cells` (the status, the owner...)."""
        first = re.escape(" ".join(text.split()[:2]))
        start = re.compile(rf"^\s*(\d+\s+)?{re.escape(mark)}\s+{first}" if mark else
                           rf"^\s*(\d+\s+)?{first}")
        found = [line for line in self.lines if start.search(line)]
        assert found, f"no row starting {mark} {text!r}"
        assert any(all(c in line for c in cells) for line in found), (found, cells)


def _flat(text: str) -> str:
    return re.sub(r"[\s-]", "", text)


def _print(html: str, folder: Path) -> Printed:
    """Print the page as chromium does and read the PDF's text back."""
    chromium, pdftotext = require_tool("chromium"), require_tool("pdftotext")
    page, pdf = folder / "page.html", folder / "page.pdf"
    page.write_text(html, encoding="utf-8")
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                    "--no-pdf-header-footer", f"--user-data-dir={folder / 'profile'}",
                    f"--print-to-pdf={pdf}", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    assert pdf.read_bytes().startswith(b"%PDF-")

    def text(*options: str) -> str:
        return subprocess.run([pdftotext, *options, "-enc", "UTF-8", str(pdf), "-"],
                              capture_output=True, text=True, timeout=60, check=True).stdout

    raw = text()
    info = subprocess.run([require_tool("pdfinfo"), str(pdf)], capture_output=True, text=True,
                          timeout=60, check=True).stdout
    paper = re.search(r"^Page size:\s*(.+)$", info, re.MULTILINE)
    # pdftotext ends every page with a form feed.
    return Printed(_flat(raw), text("-layout").splitlines(), raw.count("\f"),
                   paper.group(1) if paper else "")


@pytest.mark.parametrize("paper", ["Letter", "A4"])
def test_checklist_prints_every_item_value_and_mark(incident: Exporter, tmp_path: Path,
                                                    paper: str) -> None:
    document = incident.document("checklist")
    # Headless chromium prints on Letter; a printer set to A4 is what this style says.
    html = incident.text("checklist", "html")
    if paper == "A4":
        html = html.replace("</head>", "<style>@page { size: A4; }</style>\n</head>", 1)
    printed = _print(html, tmp_path)
    assert printed.paper.lower().endswith(f"({paper.lower()})"), printed.paper
    assert 1 <= printed.pages <= 4, printed.pages
    printed.has(document["heading"])
    printed.has(document["stamp"])
    for section in document["seed"]:  # the seed's layout: mark, label: value, note
        printed.has(section["title"])
        for line in section["lines"]:
            printed.has(line["mark"], f"{line['label']}: {line['value']}")
            if line["note"]:
                printed.has(line["note"])
        for metric in section["metrics"]:
            printed.has(metric["mark"], f"{metric['name']}: {metric['value_text']} (baseline: "
                        f"{metric['baseline_text']}, threshold: {metric['threshold_text']})",
                        metric["word"])
    items = [i for s in document["sections"] for i in s["items"]]
    assert len(items) == len(incident.runbook.checklist_items())
    for item in items:  # the table: mark, item, status, note, by, time
        printed.has(item["text"])
        printed.row(item["mark"], item["text"], item["word"], item["time"])
        if item["note"]:
            printed.has(item["note"])
    printed.has("Rollback Status:", document["status"])
    printed.has("Verified By:", document["verified_by"])
    printed.has("Time:", document["verified_at_text"])
    assert {"✓", "✗", "◌"} <= set(printed.flat)


def test_report_prints_its_record(incident: Exporter, tmp_path: Path) -> None:
    document = incident.document("report")
    printed = _print(incident.text("report", "html"), tmp_path)
    assert 1 <= printed.pages <= 6, printed.pages
    printed.has(document["heading"])
    printed.has(document["stamp"])
    summary = document["summary"]
    for label, key in (("Date:", "date"), ("Severity:", "severity"),
                       ("Users Impacted:", "users_impacted"), ("Duration:", "duration")):
        printed.has(label, summary[key])
    for row in document["timeline"]:
        printed.has(row["time"], row["symbol"], row["text"])
    written = document["written"]
    for number, why in enumerate(written["five_whys"], 1):
        printed.has(f"{number}. Why?", why)
    for action in written["action_items"]:
        printed.has(action["text"])
        printed.row("", action["text"], action["owner"], action["due"],
                    "✓ done" if action["done"] else "◌ open")
    for criterion in written["re_release"]:
        printed.has("✓" if criterion["done"] else "◌", criterion["text"])
    for category in written["fishbone"]:
        for cause in category["causes"]:
            printed.has(cause)
    for section in written["text"].values():
        for paragraph in section["paragraphs"]:
            printed.has(paragraph)


def test_long_text_wraps_instead_of_leaving_the_page(tmp_path: Path) -> None:
    """A note far wider than the page is printed whole (wrapped, not cut at the edge)."""
    long_word = "x" * 400
    folder = write_incident(tmp_path / "incident", extra=[("04:50:00", "check.recorded", {
        "item_id": "smoke_tests", "status": "pass", "note": f"see {long_word} end"})])
    printed = _print(exporter(folder).text("checklist", "html"), tmp_path)
    assert 1 <= printed.pages <= 5, printed.pages
    printed.has("see", long_word, "end")
