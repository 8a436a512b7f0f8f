"""The user's settings file (`config.yaml` in the config folder), validated like a runbook."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.domain.webhooks import WebhookSetting


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
            Field("webhooks", _webhooks_spec(),
                  "chat or status-page webhooks messages can be sent to"),
        ),
        what="the settings",
    )


def _webhooks_spec() -> Any:
    """`webhooks:` — a list of {name, url, format, token_env, timeout}, names unique."""
    from tui.domain.schema import Duration, Field, Obj, Str
    from tui.domain.webhooks import WEBHOOK_FORMATS

    item = Obj((
        Field("name", Str(templated=False, pattern="^[A-Za-z0-9][A-Za-z0-9_-]*$",
                          pattern_hint="letters, digits, - and _"),
              "what commands and the TUI call it (--send NAME)", required=True),
        Field("url", Str(templated=False),
              "where to POST; or set ROLLBACK_WEBHOOK_<NAME>_URL instead (keeps it out of "
              "the file)"),
        Field("format", Str(templated=False, choices=WEBHOOK_FORMATS),
              'slack: {"text": …}; json: {"template", "incident", "text", …}'),
        Field("token_env", Str(templated=False, pattern="^[A-Za-z_][A-Za-z0-9_]*$"),
              "environment variable holding a bearer token (default "
              "ROLLBACK_WEBHOOK_<NAME>_TOKEN)"),
        Field("timeout", Duration(), "how long one attempt may take (default 10s)"),
    ), what="a webhook")
    return _UniqueNames(item)


class _UniqueNames:
    """A list of webhooks whose names appear once each."""

    def __init__(self, item: Any) -> None:
        from tui.domain.schema import ListOf

        self.list = ListOf(item)

    def check(self, node: Any, ck: Any) -> Any:
        """Each item, then a problem at every repeated name."""
        items = self.list.check(node, ck)
        seen: set[str] = set()
        for child, value in zip(getattr(node, "value", ()), items or (), strict=False):
            name = (value or {}).get("name")
            if name in seen:
                ck.at(child, f"webhook name {name!r} is used twice", "each name once")
            seen.add(name)
        return items

    def json_schema(self) -> dict[str, Any]:
        """As a list of webhooks."""
        return self.list.json_schema()


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
    webhooks: tuple[WebhookSetting, ...] = ()


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
    values = dict(values or {})
    values["webhooks"] = tuple(WebhookSetting(**w) for w in values.get("webhooks") or ()
                               if w and w.get("name"))
    return Settings(**values)
