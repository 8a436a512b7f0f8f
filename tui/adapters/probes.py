"""HTTP probes and API calls for `http.check` and `http.request`: results, never exceptions."""

from __future__ import annotations

import asyncio
import json
import re
import ssl
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

import tui
from tui.domain.incident import MASK, Redactor
from tui.domain.redaction import mask_userinfo

JOURNAL_EXCERPT = 2048  # bytes of response body a journal entry keeps
KEEP_EXCERPT = 4096  # kept in memory: a secret straddling 2 KB is still whole when redacted
MAX_BODY = 1 << 20  # bytes read for body checks; a probe must not swallow a huge download
# Who the drill's record (and a server's access log) says made the request: the product.
USER_AGENT = f"rollback-tui/{tui.__version__}"
_SENSITIVE_HEADER = re.compile(
    r"auth|token|cookie|secret|passw|key|session|signature|credential", re.IGNORECASE)


class _Unset:
    """The default of `json_equals`: the field only has to exist (None is a real JSON value)."""

    def __repr__(self) -> str:
        return "<unset>"


UNSET: Any = _Unset()


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """The outcome of one probe or API call."""

    ok: bool
    status: int | None
    latency_s: float | None
    detail: str
    body_excerpt: str = ""
    url: str = ""
    method: str = "GET"
    attempts: int = 1
    # Out of repr: they may hold tokens, and a result may end up in a log line.
    request_headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    found: Any = None
    body_json: Any = None

    def for_journal(self, redactor: Redactor) -> dict[str, Any]:
        """A JSON-safe dict with secrets masked and the body cut to 2 KB."""
        headers = {name: MASK if _SENSITIVE_HEADER.search(name) else redactor.text(value)
                   for name, value in self.request_headers.items()}
        return {
            "ok": self.ok,
            "method": self.method,
            "url": redactor.text(safe_url(self.url)),
            "status": self.status,
            "latency_s": None if self.latency_s is None else round(self.latency_s, 4),
            "attempts": self.attempts,
            "detail": redactor.text(self.detail),
            "request_headers": headers,
            "found": redactor(self.found),
            # Redact before cutting: a cut could split a secret so the redactor misses it.
            "body_excerpt": _cut(redactor.text(self.body_excerpt), JOURNAL_EXCERPT),
        }


def safe_url(url: str) -> str:
    """The URL without the password (or token user name) of its user-info part."""
    return mask_userinfo(url)


def ssl_verify(verify: bool | str) -> bool | ssl.SSLContext:
    """What httpx takes as `verify`: a context for a CA bundle path (str is deprecated there)."""
    if isinstance(verify, str):
        return ssl.create_default_context(cafile=verify)
    return verify


def _cut(text: str, limit: int) -> str:
    """At most `limit` UTF-8 bytes of `text`, not splitting a character."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", "ignore") + "…"


def _lookup(data: Any, path: str) -> tuple[bool, Any]:
    """Follow a dotted path (`a.b.0.c`) into parsed JSON; (found, value)."""
    current = data
    for part in path.split("."):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.lstrip("-").isdigit() and (
                -len(current) <= int(part) < len(current)):
            current = current[int(part)]
        else:
            return False, None
    return True, current


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def same_value(found: Any, expected: Any) -> bool:
    """JSON equality where true is not 1, and a templated string matches its JSON text."""
    if isinstance(found, bool) != isinstance(expected, bool):
        # Templated arguments arrive as text: "false" must match a JSON false.
        return isinstance(expected, str) and _as_text(found) == expected
    if found == expected:
        return True
    return isinstance(expected, str) and _as_text(found) == expected


def _reason(text: str, data: Any) -> str:
    """What an error body says, briefly: its reason/error/message field or its first line."""
    if isinstance(data, Mapping):
        said = [str(data[k]) for k in ("status", "reason", "error", "message") if k in data
                and isinstance(data[k], str | int | float)]
        if said:
            return ": ".join(said)
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line[:200]


@dataclass(slots=True)
class _Answer:
    status: int
    latency_s: float
    text: str
    data: Any
    truncated: bool


def with_user_agent(headers: Mapping[str, str] | None) -> dict[str, str]:
    """`headers` with the product's User-Agent unless they name one themselves."""
    sent = dict(headers or {})
    if not any(name.lower() == "user-agent" for name in sent):
        sent["User-Agent"] = USER_AGENT
    return sent


async def _send(method: str, url: str, *, headers: Mapping[str, str] | None, timeout: float,
                verify: bool | str, content: bytes | None = None
                ) -> _Answer | tuple[str, float | None]:
    """Make one request and read at most MAX_BODY; (why it failed, elapsed) instead of raising."""
    shown = safe_url(url)
    started = time.perf_counter()
    try:
        async with httpx.AsyncClient(timeout=timeout, verify=ssl_verify(verify)) as client:
            # Latency is the request's alone, not the client's set-up (loading CA bundles).
            started = time.perf_counter()
            async with client.stream(method, url, headers=with_user_agent(headers),
                                     content=content) as response:
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) >= MAX_BODY:
                        break
                elapsed = time.perf_counter() - started
    except httpx.ConnectTimeout:
        return f"cannot connect to {shown}: timed out after {timeout:g}s", None
    except httpx.ConnectError as exc:
        return f"cannot connect to {shown}: {exc or type(exc).__name__}", None
    except httpx.TimeoutException:
        return (f"cannot connect to {shown}: no answer within {timeout:g}s",
                time.perf_counter() - started)
    except httpx.HTTPError as exc:
        return f"request to {shown} failed: {exc or type(exc).__name__}", None
    except (httpx.InvalidURL, ValueError, ssl.SSLError, OSError) as exc:
        # Bad URLs, header values that are not ASCII, unreadable CA files.
        return f"cannot send to {shown}: {exc}", None
    truncated = len(body) >= MAX_BODY
    text = bytes(body[:MAX_BODY]).decode(response.encoding or "utf-8", "replace")
    data: Any = None
    if not truncated:
        try:
            data = json.loads(text)
        except ValueError:
            data = None
    return _Answer(response.status_code, elapsed, text, data, truncated)


def _judge(answer: _Answer, *, expect_status: int, body_contains: str | None,
           json_field: str | None, json_equals: Any, latency_budget: float | None
           ) -> tuple[bool, str, Any]:
    """(ok, detail, JSON field found) for one answer of `http_check`."""
    if answer.status != expect_status:
        why = _reason(answer.text, answer.data)
        return (False, f"expected HTTP {expect_status}, got {answer.status}"
                + (f" ({why})" if why else ""), None)
    said = [f"HTTP {answer.status}"]
    if body_contains is not None:
        if body_contains not in answer.text:
            cut = " (first 1 MiB searched)" if answer.truncated else ""
            return False, f"body does not contain {body_contains!r}{cut}", None
        said.append(f"body contains {body_contains!r}")
    found = None
    if json_field:
        if answer.data is None:
            return False, f"body is not JSON, cannot read {json_field!r}", None
        exists, found = _lookup(answer.data, json_field)
        if not exists:
            return False, f"JSON field {json_field!r} not found", None
        if json_equals is not UNSET and not same_value(found, json_equals):
            return (False, f"{json_field} is {_as_text(found)}, expected {_as_text(json_equals)}",
                    found)
        said.append(f"{json_field} = {_as_text(found)}")
    if latency_budget is not None and answer.latency_s > latency_budget:
        over = f"took {answer.latency_s:.2f}s, over the {latency_budget:g}s latency budget"
        return False, over, found
    said.append(f"in {answer.latency_s:.3f}s")
    return True, ", ".join(said), found


async def http_check(url: str, *, expect_status: int = 200, body_contains: str | None = None,
                     json_field: str | None = None, json_equals: Any = UNSET,
                     latency_budget: float | None = None, retries: int = 0,
                     retry_delay: float = 1.0, timeout: float = 5.0,
                     headers: Mapping[str, str] | None = None, verify: bool | str = True
                     ) -> ProbeResult:
    """GET `url` and check status, body text, a JSON field and latency; retry on failure."""
    result: ProbeResult | None = None
    for attempt in range(1, max(retries, 0) + 2):
        if attempt > 1:
            await asyncio.sleep(retry_delay)
        answer = await _send("GET", url, headers=headers, timeout=timeout, verify=verify)
        if isinstance(answer, tuple):
            detail, latency = answer
            result = ProbeResult(False, None, latency, detail, url=url, attempts=attempt,
                                 request_headers=dict(headers or {}))
        else:
            ok, detail, found = _judge(
                answer, expect_status=expect_status, body_contains=body_contains,
                json_field=json_field, json_equals=json_equals, latency_budget=latency_budget)
            result = ProbeResult(ok, answer.status, answer.latency_s, detail,
                                 _cut(answer.text, KEEP_EXCERPT), url, "GET", attempt,
                                 dict(headers or {}), found, answer.data)
        if result.ok:
            break
    assert result is not None  # the loop runs at least once
    if not result.ok and result.attempts > 1:
        result = replace(result, detail=f"{result.detail} (after {result.attempts} attempts)")
    return result


async def confirm_version(url: str, expected: str, *, retries: int = 0,
                          retry_delay: float = 1.0, **kw: Any) -> ProbeResult:
    """Check that `url` reports version `expected` (JSON field `version`, else in the body)."""
    result: ProbeResult | None = None
    for attempt in range(1, max(retries, 0) + 2):
        if attempt > 1:
            await asyncio.sleep(retry_delay)
        result = replace(_version_verdict(await http_check(url, **kw), expected, kw),
                         attempts=attempt)
        if result.ok:
            break
    assert result is not None  # the loop runs at least once
    return result


def _version_verdict(result: ProbeResult, expected: str, kw: Mapping[str, Any]) -> ProbeResult:
    """Judge the version in a probe's answer; a failed status check stays the verdict."""
    if result.status is None or result.status != kw.get("expect_status", 200):
        return result
    data = result.body_json
    found: Any = None
    if isinstance(data, Mapping) and "version" in data:
        found = data["version"]
        ok = same_value(found, expected)
        detail = (f"version {_as_text(found)} as expected" if ok
                  else f"expected version {expected}, found {_as_text(found)}")
    elif expected in result.body_excerpt:
        ok, found, detail = True, expected, f"body mentions version {expected}"
    else:
        shown = result.body_excerpt.strip()[:120] or "an empty body"
        ok, detail = False, (f"expected version {expected}, found no version field and the "
                             f"body does not mention it: {shown}")
    if not result.ok:  # e.g. over the latency budget: say both
        ok, detail = False, f"{detail}; {result.detail}"
    return replace(result, ok=ok, detail=detail, found=found)


async def http_request(method: str, url: str, *, headers: Mapping[str, str] | None = None,
                       json: Any = None, body: str | bytes | None = None,
                       expect_status: int | Iterable[int] | None = None, timeout: float = 10.0,
                       verify: bool | str = True) -> ProbeResult:
    """Call an API once (no retry: it may change state); ok when the status is expected."""
    method = method.upper()
    sent = dict(headers or {})
    content: bytes | None = None
    if json is not None:
        content = _json_dumps(json).encode("utf-8")
        if not any(k.lower() == "content-type" for k in sent):
            sent["Content-Type"] = "application/json"
    elif body is not None:
        content = body.encode("utf-8") if isinstance(body, str) else body
    answer = await _send(method, url, headers=sent, timeout=timeout, verify=verify,
                         content=content)
    if isinstance(answer, tuple):
        detail, latency = answer
        return ProbeResult(False, None, latency, detail, url=url, method=method,
                           request_headers=sent)
    if expect_status is None:
        ok = 200 <= answer.status < 300
        wanted = "2xx"
    else:
        codes = [expect_status] if isinstance(expect_status, int) else list(expect_status)
        ok = answer.status in codes
        wanted = " or ".join(str(c) for c in codes)
    if ok:
        detail = f"{method} {safe_url(url)} answered {answer.status} in {answer.latency_s:.3f}s"
    else:
        why = _reason(answer.text, answer.data)
        detail = (f"{method} {safe_url(url)}: expected HTTP {wanted}, got {answer.status}"
                  + (f" ({why})" if why else ""))
    return ProbeResult(ok, answer.status, answer.latency_s, detail,
                       _cut(answer.text, KEEP_EXCERPT), url, method, 1, sent, None,
                       answer.data)


def _json_dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
