"""Export documents rendered: Markdown and HTML through Jinja2 templates (the package's, each
overridable by a file of the same name in `<config folder>/templates/`), JSON and CSV directly.

HTML templates autoescape. Markdown templates escape every `{{ value }}` for Markdown (the
environment's finalize), so journal text renders literally; `| raw` marks what is already
Markdown.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from tui.domain.exports_report import decision_markdown
from tui.domain.markdown_text import md_inline

PACKAGE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
TEMPLATE_FORMATS = ("md", "html")
# Spreadsheets run a cell starting with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_BLANK_RUNS = re.compile(r"\n[ \t]*(?:\n[ \t]*)+\n")


class TemplateProblem(Exception):
    """A template that cannot be loaded or rendered; the message names the file and line."""


class Raw(str):
    """Text that is already Markdown: a Markdown template does not escape it again."""


def _markdown_value(value: Any) -> str:
    return value if isinstance(value, Raw) else md_inline(value)


def _html_value(value: Any) -> Any:
    return "" if value is None else value


@lru_cache(maxsize=8)
def _environment(markdown: bool, user_dir: Path | None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if user_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(user_dir)))
    loaders.append(jinja2.FileSystemLoader(str(PACKAGE_TEMPLATES)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        # Whatever the environment, a .html template escapes: an override in the wrong place
        # cannot turn journal text into markup.
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False,
                                            default_for_string=False),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_markdown_value if markdown else _html_value)
    if markdown:
        env.filters["raw"] = Raw
        env.filters["decision_record"] = lambda record: Raw(decision_markdown(record))
    return env


def template_dir(config_dir: Path | None) -> Path | None:
    """The user's template folder under the configuration folder, when there is one."""
    if config_dir is None:
        return None
    folder = Path(config_dir) / "templates"
    return folder if folder.is_dir() else None


def render(document: Mapping[str, Any], fmt: str, user_templates: Path | None = None) -> str:
    """One document in one format (md, html, json, csv) as text."""
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return render_csv(document)
    if fmt not in TEMPLATE_FORMATS:
        raise ValueError(f"no format {fmt!r} (formats: md, html, json, csv)")
    name = f"{document['document']}.{fmt}"
    env = _environment(fmt == "md", user_templates)
    try:
        text = env.get_template(name).render(doc=document)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateProblem(f"{exc.filename or name}:{exc.lineno}: {exc.message} "
                              "(fix or remove the template to use the built-in one)") from None
    except jinja2.TemplateError as exc:
        where = _origin(env, name)
        raise TemplateProblem(f"{where}: {exc} (fix or remove the template to use the "
                              "built-in one)") from None
    # Templates leave blank runs where optional parts are absent; one blank line means the same
    # in Markdown (there are no code blocks), and HTML ignores them.
    return _BLANK_RUNS.sub("\n\n", text).strip("\n") + "\n"


def _origin(env: jinja2.Environment, name: str) -> str:
    try:
        source = env.loader.get_source(env, name) if env.loader else None
    except jinja2.TemplateNotFound:
        return name
    return source[1] if source and source[1] else name


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def render_csv(document: Mapping[str, Any]) -> str:
    """The timeline (time, actor, category, event, seq) or the checklist (one row per item),
    after `#` lines with the DRAFT notice and the stamp."""
    out = io.StringIO()
    for line in (document.get("notice"), document.get("stamp")):
        if line:
            out.write(f"# {line}\n")
    writer = csv.writer(out, lineterminator="\n")
    if document["document"] == "timeline":
        writer.writerow(["time", "actor", "category", "event", "seq"])
        for row in document["rows"]:
            writer.writerow([_cell(row["ts"]), _cell(row["actor"]), _cell(row["category"]),
                             _cell(row["text"]), row["seq"]])
    elif document["document"] == "checklist":
        writer.writerow(["section", "item_id", "item", "status", "note", "by", "at",
                         "automatic"])
        for section in document["sections"]:
            for item in section["items"]:
                writer.writerow([_cell(section["title"]), _cell(item["id"]),
                                 _cell(item["text"]), item["word"], _cell(item["note"]),
                                 _cell(item["by"]), _cell(item["at"]),
                                 "yes" if item["automatic"] else "no"])
    else:
        raise ValueError(f"the {document['document']} has no CSV form (formats: md, html, json)")
    return out.getvalue()
