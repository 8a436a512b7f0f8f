"""Posting messages to chat or status-page webhooks (httpx), with retries and a timeout.

A webhook's URL and token are secrets: they come from the settings file or the environment
(`ROLLBACK_WEBHOOK_<NAME>_URL`, `_TOKEN`, and for a webhook named only there `_FORMAT`), and
never reach the journal, an export or a message — messages name the webhook and show its URL
as `https://host/…` at most.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from tui.domain.durations import parse_duration
from tui.domain.redaction import Redactor
from tui.domain.safe_text import plain
from tui.domain.webhooks import WEBHOOK_FORMATS, WebhookSetting

ENV_PREFIX = "ROLLBACK_WEBHOOK_"
DEFAULT_TIMEOUT = 10.0
ATTEMPTS = 3
BACKOFF = 0.5  # seconds before the second attempt, doubled before each one after
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})  # 429: the server asks to come back
BODY_SHOWN = 200  # characters of an error answer quoted in the message
SEGMENT_MIN = 8  # path segments this long are masked too: shorter ones are words like "hooks"


class WebhookError(Exception):
    """A webhook that cannot be used as configured; the message says what to set."""


def env_name(name: str) -> str:
    """`ROLLBACK_WEBHOOK_TEAM_CHAT` for a webhook named `team-chat`."""
    return ENV_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def available(configured: Sequence[WebhookSetting], environ: Mapping[str, str]
              ) -> list[WebhookSetting]:
    """The webhooks of the settings file, then those named only in the environment
    (`ROLLBACK_WEBHOOK_<NAME>_URL`, format from `_FORMAT`, else slack)."""
    found = list(configured)
    known = {env_name(w.name) for w in found}
    for key in sorted(environ):
        if not (key.startswith(ENV_PREFIX) and key.endswith("_URL")) or not environ[key]:
            continue
        base = key[: -len("_URL")]
        if base in known or base == ENV_PREFIX.rstrip("_"):
            continue
        known.add(base)
        fmt = environ.get(f"{base}_FORMAT", "slack").strip().lower()
        found.append(WebhookSetting(base[len(ENV_PREFIX):].lower(), format=fmt))
    return found


def find(name: str, webhooks: Sequence[WebhookSetting]) -> WebhookSetting:
    """The webhook called `name`, or with no name the only one (WebhookError listing the
    known ones)."""
    names = ", ".join(w.name for w in webhooks) or "none configured: add webhooks: to the " \
        "settings file or set ROLLBACK_WEBHOOK_<NAME>_URL"
    if not name:
        if len(webhooks) == 1:
            return webhooks[0]
        raise WebhookError(f"say which webhook to send to (webhooks: {names})")
    match = next((w for w in webhooks if w.name == name), None)
    if match is None:
        match = next((w for w in webhooks if env_name(w.name) == env_name(name)), None)
    if match is None:
        raise WebhookError(f"no webhook {plain(name, 60)!r} (webhooks: {names})")
    return match


@dataclass(frozen=True)
class Webhook:
    """A webhook ready to post to: where, how, and the token (never shown)."""

    name: str
    url: str = field(repr=False)
    format: str
    token: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT

    @property
    def shown(self) -> str:
        """The webhook as messages name it: `chat (https://hooks.example.com/…)`."""
        return f"{self.name} ({mask_url(self.url)})"

    def redactor(self) -> Redactor:
        """Masks the URL, its path, its longer path segments, its query, and the token,
        wherever they appear (a server may echo one segment of the path: the key)."""
        parts = urlsplit(self.url)
        segments = [s for s in parts.path.split("/") if len(s) >= SEGMENT_MIN]
        secrets = [self.url, parts.path if len(parts.path) > 1 else "", *segments,
                   parts.query, parts.password or "", self.token or ""]
        return Redactor([s for s in secrets if s and len(s) >= 4])


def mask_url(url: str) -> str:
    """`https://hooks.example.com/…`: the scheme and host only (paths and queries hold the
    secret of most webhooks; user and password are dropped)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    tail = "/…" if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme or '?'}://{host}{port}{tail}"


def resolve(setting: WebhookSetting, environ: Mapping[str, str]) -> Webhook:
    """The webhook with its URL and token from the environment or the settings file."""
    base = env_name(setting.name)
    url = (environ.get(f"{base}_URL") or setting.url or "").strip()
    if not url:
        raise WebhookError(f"webhook {setting.name} has no URL: set url: in the settings file "
                           f"or {base}_URL in the environment")
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        raise WebhookError(f"webhook {setting.name}: the URL must be http:// or https:// with "
                           f"a host (it starts {plain(url, 12)!r}…)")
    if setting.token_env:
        token = environ.get(setting.token_env)
        if not token:
            raise WebhookError(f"webhook {setting.name} needs a token in {setting.token_env} "
                               "(token_env in the settings file); it is not set")
    else:
        token = environ.get(f"{base}_TOKEN") or None
    if setting.format not in WEBHOOK_FORMATS:
        raise WebhookError(f"webhook {setting.name}: format {plain(setting.format, 20)!r} is "
                           f"not one of {', '.join(WEBHOOK_FORMATS)}")
    try:
        timeout = parse_duration(setting.timeout) if setting.timeout else DEFAULT_TIMEOUT
    except ValueError as exc:
        raise WebhookError(f"webhook {setting.name}: timeout {exc}") from None
    return Webhook(setting.name, url, setting.format, token, timeout)


@dataclass(frozen=True)
class Delivery:
    """How a post went: delivered or not, the last HTTP status, attempts, what to tell."""

    ok: bool
    webhook: str
    status: int | None
    attempts: int
    message: str
    elapsed: float = 0.0

    def journal(self, format: str) -> dict[str, Any]:
        """What the journal keeps of it: never the URL or the token."""
        return {"name": self.webhook, "format": format, "status": self.status,
                "attempts": self.attempts, "elapsed": round(self.elapsed, 3)}


def post(webhook: Webhook, body: Mapping[str, Any], *, attempts: int = ATTEMPTS,
         backoff: float = BACKOFF, sleep: Callable[[float], None] = time.sleep) -> Delivery:
    """POST `body` as JSON; retry timeouts, connection errors, 5xx and 429 with backoff;
    a 4xx (or a redirect) is final. Never raises for the network: the Delivery says."""
    import httpx

    from tui import __version__

    headers = {"User-Agent": f"rollback-tui/{__version__}"}
    if webhook.token:
        headers["Authorization"] = f"Bearer {webhook.token}"
    redact = webhook.redactor()
    started = time.monotonic()
    status: int | None = None
    problem = ""
    tried = 0
    with httpx.Client(timeout=webhook.timeout, follow_redirects=False) as client:
        for tried in range(1, attempts + 1):
            try:
                response = client.post(webhook.url, json=dict(body), headers=headers)
            except httpx.TimeoutException:
                status, problem = None, f"no answer within {webhook.timeout:g}s"
            except httpx.HTTPError as exc:
                status, problem = None, f"cannot connect: {redact.text(_reason(exc))}"
            else:
                status = response.status_code
                if response.is_success:
                    return Delivery(True, webhook.name, status, tried,
                                    f"sent to {webhook.shown} (HTTP {status})",
                                    time.monotonic() - started)
                problem = f"HTTP {status} {response.reason_phrase}".rstrip()
                answer = plain(redact.text(response.text), BODY_SHOWN)
                problem += f": {answer}" if answer else ""
                if response.is_redirect:
                    problem += " (redirects are not followed: use the final URL)"
                if status not in RETRY_STATUSES:
                    break
            if tried < attempts:
                sleep(backoff * 2 ** (tried - 1))
    message = (f"webhook {webhook.shown}: not sent after {tried} attempt(s): {problem} — the "
               "draft is kept (journaled as drafted, not as sent); check the webhook and send "
               "again, or copy the text and mark it sent by hand")
    return Delivery(False, webhook.name, status, tried, message, time.monotonic() - started)


def _reason(exc: Exception) -> str:
    """The innermost cause of a transport error, without the request (which holds the URL)."""
    cause: BaseException = exc
    while cause.__cause__ is not None or cause.__context__ is not None:
        cause = cause.__cause__ or cause.__context__  # type: ignore[assignment]
    text = str(cause) or type(cause).__name__
    return plain(text, 160)
