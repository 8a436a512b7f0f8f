"""The communication templates rendered with Jinja2: the built-ins in `tui/templates/`
(`status-update.txt.j2`, …), each overridden by a file of the same name in
`<config folder>/templates/`.

Plain text for chat and status pages: no autoescaping (an `&` stays an `&`), a sandbox (a
template cannot reach Python objects) and strict variables (a misspelt name is an error naming
the file and line, not an empty gap in a message someone sends).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from tui.domain.comms import Renderer

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "templates"
SUFFIX = ".txt.j2"  # plain text for chat and status pages, never markup


class CommsTemplateError(Exception):
    """A template that cannot be read or rendered; the message names its file and line."""


def template_dirs(user_templates: Path | None) -> list[Path]:
    """Where templates are looked up, first match wins: the user's, then the built-ins."""
    dirs = [user_templates] if user_templates is not None else []
    return [*dirs, BUILTIN_DIR]


def template_file(template_id: str, user_templates: Path | None = None) -> Path:
    """The file a template comes from (the user's override when there is one)."""
    for folder in template_dirs(user_templates):
        path = folder / f"{template_id}{SUFFIX}"
        if path.is_file():
            return path
    raise CommsTemplateError(f"no template file {template_id}{SUFFIX} in "
                             f"{', '.join(str(d) for d in template_dirs(user_templates))}")


@lru_cache(maxsize=8)
def _environment(folders: tuple[str, ...]) -> Any:
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(loader=FileSystemLoader(list(folders)), autoescape=False,
                                trim_blocks=True, lstrip_blocks=True, undefined=StrictUndefined,
                                auto_reload=True)


def render(template_id: str, values: Mapping[str, Any],
           user_templates: Path | None = None) -> str:
    """Apply the template to `values`; CommsTemplateError says which file and line failed."""
    import jinja2

    folders = tuple(str(d) for d in template_dirs(user_templates))
    name = f"{template_id}{SUFFIX}"
    try:
        return _environment(folders).get_template(name).render(values)
    except jinja2.TemplateNotFound:
        raise CommsTemplateError(f"no template file {name} in {', '.join(folders)}") from None
    except jinja2.TemplateSyntaxError as exc:
        where = f"{exc.filename or name}:{exc.lineno}"
        raise CommsTemplateError(f"{where}: {exc.message} — fix the template, or delete it to "
                                 "use the built-in one") from None
    except (jinja2.TemplateError, TypeError, ValueError) as exc:
        where = template_file(template_id, user_templates)
        raise CommsTemplateError(f"{where}: cannot fill it: {exc} — the values a template "
                                 "may use are listed in tui/domain/comms.py (context)") from None


def renderer(user_templates: Path | None = None) -> Renderer:
    """A renderer for `tui.domain.comms.fill` that reads the user's overrides first."""
    def apply(template_id: str, values: Mapping[str, Any]) -> str:
        return render(template_id, values, user_templates)

    return apply
