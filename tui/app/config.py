"""The user's settings file (`config.yaml` in the config folder), validated like a runbook."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def config_spec() -> Any:
    """The settings file's schema (built on first use: a missing file needs no parser)."""
    from tui.domain.schema import Field, MapOf, Obj, Str

    return Obj(
        (
            Field("actor", Str(templated=False), "name to journal instead of user@host"),
            Field("kubeconfig", Str(templated=False), "kubeconfig file (default: like kubectl)"),
            Field("context", Str(templated=False), "kubeconfig context to use"),
            Field("namespace", Str(templated=False), "default namespace"),
            Field("prometheus_url", Str(templated=False), "Prometheus base URL"),
            Field("production_pattern", Str(templated=False),
                  "regular expression of the context names shown as production"),
            Field("theme", Str(templated=False), "Textual theme, e.g. textual-light"),
            Field("keymap", MapOf(Str(templated=False)),
                  "keys for bindings by id, e.g. {stop: 'ctrl+c', note: 'N'}"),
        ),
        what="the settings",
    )


@dataclass(frozen=True)
class Settings:
    """Settings in force; None means 'not set, use the default'."""

    actor: str | None = None
    kubeconfig: str | None = None
    context: str | None = None
    namespace: str | None = None
    prometheus_url: str | None = None
    production_pattern: str | None = None
    theme: str | None = None
    keymap: Mapping[str, str] = field(default_factory=dict)


class ConfigError(ValueError):
    """The settings file has problems; the message lists them as FILE:LINE:COL."""


def load_settings(path: Path) -> Settings:
    """Read settings; a missing file means defaults, a bad one raises ConfigError."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    from tui.domain.schema import Checker, Problem
    from tui.domain.yamlload import load_nodes

    root, text, problems = load_nodes(data)
    if root is None:
        if problems and problems[0].message in ("file is empty", "document is empty"):
            return Settings()
        raise ConfigError("\n".join(p.format(str(path)) for p in problems))
    ck = Checker(text)
    ck.problems.extend(problems)
    values = config_spec().check(root, ck)
    if ck.problems:
        ordered: list[Problem] = sorted(ck.problems, key=lambda p: (p.line, p.col))
        raise ConfigError("\n".join(p.format(str(path)) for p in ordered))
    return Settings(**(values or {}))
