"""The shared core of the Kubernetes adapter: clients, raw-JSON requests, error conversion,
label selectors, interruptible watch streams and reconnect backoff."""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Self

from kubernetes.client.api_client import ApiClient

from tui.adapters import kube_retry
from tui.adapters.kube_api import AppsV1, AuthorizationV1, CoreV1, Version
from tui.adapters.kube_errors import (
    TRANSPORT_ERRORS,
    ApiException,
    Op,
    from_api_exception,
    from_transport_error,
)
from tui.adapters.kube_types import KubeError, Target
from tui.domain.gc_pause import gc_paused

CONNECT_TIMEOUT = 5.0
PAGE_SIZE = 500
READ_VERBS = frozenset({"get", "list", "watch"})
# Access reviews only ask a question: as safe to repeat as a read.
REVIEW_RESOURCES = frozenset({"selfsubjectaccessreviews.authorization.k8s.io"})
FIELD_MANAGER = "rollback-tui"
Json = dict[str, Any]


def label_selector(selector: Json | None) -> str:
    """A LabelSelector object as the `labelSelector=` query string ("" selects everything)."""
    if not selector:
        return ""
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in sorted(selector.get("matchExpressions") or [], key=lambda e: e.get("key", "")):
        key, operator = expr.get("key", ""), expr.get("operator", "")
        values = ",".join(sorted(expr.get("values") or []))
        if operator == "In":
            parts.append(f"{key} in ({values})")
        elif operator == "NotIn":
            parts.append(f"{key} notin ({values})")
        elif operator == "Exists":
            parts.append(key)
        elif operator == "DoesNotExist":
            parts.append(f"!{key}")
        else:
            raise KubeError(f"unsupported selector operator {operator!r} on key {key!r}",
                            reason="Invalid")
    return ",".join(parts)


CONTINUE_FIELD = re.compile(rb'"continue"\s*:\s*"([^"\\]*)"')


def continue_token(raw: bytes) -> str | None:
    """A list's continue token read from its bytes before the items ("" on the last page).

    The API server writes a list's metadata before its items, so the token is found without
    parsing the page; None when the bytes are not laid out that way.
    """
    end = raw.find(b'"items"')
    head = raw[:end] if end != -1 else b""
    if (found := CONTINUE_FIELD.search(head)) is not None:
        return found.group(1).decode("ascii", "replace")
    return "" if b'"metadata"' in head else None


def parse_json(data: bytes) -> Any:
    """json.loads with the cyclic GC paused."""
    with gc_paused():
        return json.loads(data)


class Backoff:
    """Exponential reconnect delays with jitter (0.5 s doubling to 10 s)."""

    def __init__(self, first: float = 0.5, cap: float = 10.0) -> None:
        """Start at `first` seconds; never exceed `cap` (before jitter)."""
        self.first, self.cap, self.failures = first, cap, 0

    def next(self) -> float:
        """The delay before the next attempt."""
        delay = min(self.cap, self.first * 2 ** self.failures)
        self.failures += 1
        # Jitter keeps many clients from reconnecting to a recovering server in lock-step.
        return delay * random.uniform(0.8, 1.2)

    def reset(self) -> None:
        """After a success, start again from the first delay."""
        self.failures = 0


class Watchdog:
    """Shuts a streaming response's socket when `stop` is set or the deadline passes: a thread
    blocked reading a watch cannot look at a flag, but a shut socket wakes it."""

    def __init__(self, response: Any, stop: threading.Event | None,
                 deadline: float | None = None) -> None:
        """Watch `response` on behalf of `stop` and the monotonic `deadline`."""
        self.response, self.stop, self.deadline = response, stop, deadline
        self.fired = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kube-watchdog", daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join(timeout=1.0)

    def _run(self) -> None:
        while not self._done.wait(0.05):
            late = self.deadline is not None and time.monotonic() >= self.deadline
            if late or (self.stop is not None and self.stop.is_set()):
                self.fired = True
                try:
                    self.response.shutdown()
                except (OSError, ValueError, RuntimeError, AttributeError):
                    self.response.close()
                return


def stream_events(response: Any) -> Iterator[Json]:
    """Watch events, one JSON object per line, as they arrive on the chunked response."""
    for line in stream_lines(response):
        yield json.loads(line)


def stream_lines(response: Any) -> Iterator[bytes]:
    """The non-blank lines of a chunked watch response, unparsed."""
    buffer = bytearray()
    for chunk in response.stream(amt=None, decode_content=False):
        buffer += chunk
        start = 0
        # Cut lines by offset and trim once per chunk: a burst of thousands of events in one
        # chunk would otherwise be copied once per line.
        while (end := buffer.find(b"\n", start)) != -1:
            line = bytes(buffer[start:end])
            start = end + 1
            if line.strip():
                yield line
        del buffer[:start]


class KubeBase:
    """Clients for one cluster and the request helpers every operation uses."""

    def __init__(self, api_client: ApiClient, target: Target,
                 request_timeout: float = 30.0) -> None:
        """Wrap an ApiClient built from our own Configuration."""
        self.api_client = api_client
        self.target = target
        self.request_timeout = request_timeout
        self.core = CoreV1(api_client)
        self.apps = AppsV1(api_client)
        self.authz = AuthorizationV1(api_client)
        self.version_api = Version(api_client)

    @property
    def namespace(self) -> str:
        """The namespace used when a call names none."""
        return self.target.namespace

    def _ns(self, namespace: str | None) -> str:
        return namespace or self.target.namespace

    def _timeout(self, read: float | None = None) -> tuple[float, float]:
        return (min(CONNECT_TIMEOUT, self.request_timeout), read or self.request_timeout)

    def _convert(self, op: Op, exc: BaseException) -> KubeError:
        if isinstance(exc, KubeError):
            return exc
        if isinstance(exc, ApiException):
            return from_api_exception(op, exc, self.target)
        return from_transport_error(op, exc, self.target, self.request_timeout)

    def _open(self, op: Op, call: Callable[..., Any], *args: Any, read_timeout: float | None = None,
              **kwargs: Any) -> Any:
        """Start a request and return the unread urllib3 response (for watches)."""
        try:
            return call(*args, _preload_content=False,
                        _request_timeout=self._timeout(read_timeout), **kwargs)
        except (ApiException, *TRANSPORT_ERRORS) as exc:
            raise self._convert(op, exc) from exc

    def _fetch(self, op: Op, call: Callable[..., Any], *args: Any, **kwargs: Any) -> bytes:
        """Make one API call and return its raw body; every failure becomes a KubeError.

        Idempotent calls (reads, access reviews) that got a 5xx or 429 are tried up to
        kube_retry.ATTEMPTS times, each retry reported and waited for (see kube_retry).
        """
        idempotent = op.verb in READ_VERBS or op.resource in REVIEW_RESOURCES
        attempts = kube_retry.ATTEMPTS if idempotent else 1
        for attempt in range(1, attempts + 1):
            try:
                response = call(*args, _preload_content=False, _request_timeout=self._timeout(),
                                **kwargs)
                try:
                    return response.data
                finally:
                    response.release_conn()
            except ApiException as exc:
                retry = exc.status is not None and (exc.status >= 500 or exc.status == 429)
                if not retry or attempt == attempts:
                    raise self._convert(op, exc) from exc
                headers = exc.headers or {}
                info = {"verb": op.verb, "resource": op.resource, "name": op.name,
                        "namespace": op.namespace, "status": exc.status,
                        "reason": str(exc.reason or "")}
                if not kube_retry.wait_before_retry(info, attempt, headers.get("Retry-After")):
                    raise self._convert(op, exc) from exc
            except TRANSPORT_ERRORS as exc:
                raise self._convert(op, exc) from exc
        raise AssertionError("unreachable")

    def _parse(self, op: Op, data: bytes) -> Any:
        try:
            return parse_json(data)
        except ValueError as exc:
            raise self._convert(op, exc) from exc

    def _request(self, op: Op, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Make one API call and return its JSON body; every failure becomes a KubeError."""
        return self._parse(op, self._fetch(op, call, *args, **kwargs))

    def _list(self, op: Op, call: Callable[..., Any], *args: Any, **kwargs: Any
              ) -> tuple[list[Json], str, int]:
        """Every item of a list, fetched in pages of PAGE_SIZE: (items, resourceVersion, pages)."""
        items: list[Json] = []
        version, pages = "", 0
        # One pause for all pages: re-enabling between pages would let each collection walk
        # every item parsed so far.
        with gc_paused():
            for page, version in self._pages(op, call, *args, **kwargs):
                if version == "":
                    items.clear()  # the list started again after an expired continue token
                    pages = 0
                    continue
                items.extend(page)
                pages += 1
        return items, version, pages

    def _pages(self, op: Op, call: Callable[..., Any], *args: Any, page_size: int = PAGE_SIZE,
               **kwargs: Any) -> Iterator[tuple[list[Json], str]]:
        """Each page of a list as (items, resourceVersion).

        The next page is fetched while the caller parses and handles this one (socket reads
        release the GIL), so waiting for the server overlaps the client's work. A continue
        token that outlived the server's history (410) starts the list again: an empty page
        with resourceVersion "" tells the caller to drop what it kept.
        """
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kube-list")

        def fetch(token: str) -> Future[bytes]:
            extra = {"_continue": token} if token else {}
            return pool.submit(self._fetch, op, call, *args, limit=page_size, **extra, **kwargs)

        try:
            restarts, version, token = 0, "", ""
            ahead = fetch(token)
            while True:
                try:
                    raw = ahead.result()
                except KubeError as exc:
                    if exc.status != 410 or restarts == 2:
                        raise
                    restarts += 1
                    version, token = "", ""
                    ahead = fetch(token)
                    yield [], ""
                    continue
                guess = continue_token(raw)
                if guess:
                    ahead = fetch(guess)
                body = self._parse(op, raw)
                del raw
                meta = body.get("metadata") or {}
                version = version or str(meta.get("resourceVersion") or "")
                token = meta.get("continue") or ""
                if token and token != guess:
                    ahead = fetch(token)  # the bytes did not show the token: fetch it now
                items = body.get("items") or []
                del body
                yield items, version
                # Drop this page before the next: callers that keep compact rows only should
                # never hold more than one parsed page.
                del items
                if not token:
                    return
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    @staticmethod
    def _require_name(resource: str, name: str) -> None:
        # An empty name would turn a GET of one object into a list of them all.
        if not name or "/" in name:
            raise KubeError(f"invalid {resource} name {name!r} — give the object's name",
                            reason="Invalid", resource=resource, name=name)

    def _get_deployment(self, name: str, namespace: str | None = None) -> Json:
        self._require_name("deployments.apps", name)
        ns = self._ns(namespace)
        return self._request(Op("get", "deployments.apps", name, ns),
                             self.apps.read_namespaced_deployment, name, ns)

    def server_version(self) -> str:
        """The API server's version (`v1.32.4`); a cheap reachability check."""
        body = self._request(Op("get", "version"), self.version_api.get_code)
        return str(body.get("gitVersion") or f"v{body.get('major')}.{body.get('minor')}")

    def close(self) -> None:
        """Release the connection pool."""
        self.api_client.close()
