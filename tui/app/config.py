"""The user's settings file (`config.yaml` in the config folder), validated like a runbook."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tui.domain.schema import Checker, Field, Obj, Problem, Str
from tui.domain.yamlload import load_nodes

CONFIG_SPEC = Obj(
    (
        Field("actor", Str(templated=False), "name to journal instead of user@host"),
        Field("kubeconfig", Str(templated=False), "kubeconfig file (default: like kubectl)"),
        Field("context", Str(templated=False), "kubeconfig context to use"),
        Field("namespace", Str(templated=False), "default namespace"),
        Field("prometheus_url", Str(templated=False), "Prometheus base URL"),
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
    root, text, problems = load_nodes(data)
    if root is None:
        if problems and problems[0].message in ("file is empty", "document is empty"):
            return Settings()
        raise ConfigError("\n".join(p.format(str(path)) for p in problems))
    ck = Checker(text)
    ck.problems.extend(problems)
    values = CONFIG_SPEC.check(root, ck)
    if ck.problems:
        ordered: list[Problem] = sorted(ck.problems, key=lambda p: (p.line, p.col))
        raise ConfigError("\n".join(p.format(str(path)) for p in ordered))
    return Settings(**(values or {}))
