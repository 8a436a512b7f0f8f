"""Turn every client-side failure (ApiException, urllib3, sockets, config) into a KubeError."""

from __future__ import annotations

import json
import socket
import ssl
from dataclasses import dataclass

import urllib3.exceptions
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from tui.adapters.kube_types import KubeError, Target


@dataclass(frozen=True)
class Op:
    """The request being made, as the error message will name it."""

    verb: str
    resource: str  # `deployments.apps`, `pods`, `deployments.apps/scale`
    name: str = ""
    namespace: str = ""

    def what(self) -> str:
        """`deployments.apps "checkout" in namespace "production"`."""
        text = f'{self.resource} "{self.name}"' if self.name else self.resource
        return text + (f' in namespace "{self.namespace}"' if self.namespace else "")

    def error(self, message: str, *, status: int | None = None, reason: str = "",
              detail: str = "") -> KubeError:
        """A KubeError carrying this request's verb, resource, name and namespace."""
        return KubeError(message, status=status, reason=reason, verb=self.verb,
                         resource=self.resource, name=self.name, namespace=self.namespace,
                         detail=detail)


def _status_body(body: object) -> tuple[str, str]:
    """(reason, message) of a Kubernetes Status body, or ("", short text) for anything else."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not isinstance(body, str) or not body:
        return "", ""
    try:
        status = json.loads(body)
    except ValueError:
        return "", body.strip()[:300]
    if not isinstance(status, dict):
        return "", body.strip()[:300]
    return str(status.get("reason") or ""), str(status.get("message") or "")


def from_api_exception(op: Op, exc: ApiException, target: Target) -> KubeError:
    """An HTTP error answer as a KubeError with the next step for the operator."""
    code = int(exc.status or 0)
    reason, server_message = _status_body(exc.body)
    what = op.what()
    if code == 0:
        # The client reports TLS failures as status 0 with the error text as the reason.
        return op.error(f"TLS error talking to the API server at {target.server} (context "
                        f"{target.context}): {exc.reason} — check the cluster's CA and the "
                        "context", reason="TLSError", detail=str(exc.reason))
    if code == 401:
        text = (f"unauthorized: the API server at {target.server} rejected the credentials of "
                f"context {target.context} ({op.verb} {what}) — log in again or refresh the "
                "token")
        reason = reason or "Unauthorized"
    elif code == 403 and server_message and "cannot" not in server_message:
        # Admission and quota refusals are 403s too; they are not a missing permission.
        text = (f"forbidden: the API server refused to {op.verb} {what}: {server_message} — "
                "fix what it names, then retry")
        reason = reason or "Forbidden"
    elif code == 403:
        text = (f"forbidden: cannot {op.verb} {what} — ask for the permission or use a context "
                "that has it")
        reason = reason or "Forbidden"
    elif code == 404:
        text = (f"not found: {what} ({server_message or 'no such object'}) — check the name, "
                f"the namespace and the context ({target.context})")
        reason = reason or "NotFound"
    elif code == 409 and reason == "AlreadyExists":
        text = f"already exists: {what} — pick another name or update the existing object"
    elif code == 409:
        text = (f"conflict: {what} was changed by someone else while we wrote it — re-read it "
                "(rollout history / get) and retry")
        reason = reason or "Conflict"
    elif code == 410:
        text = (f"expired: the resourceVersion used to {op.verb} {what} is too old — list "
                "again")
        reason = reason or "Expired"
    elif code == 422:
        text = (f"invalid: the API server refused to {op.verb} {what}: {server_message} — fix "
                "the request")
        reason = reason or "Invalid"
    elif code == 429:
        text = (f"too many requests: the API server throttled {op.verb} {what} — wait a "
                "moment and retry")
        reason = reason or "TooManyRequests"
    elif code >= 500:
        text = (f"server error {code} ({reason or exc.reason}) on {op.verb} {what}: "
                f"{server_message or exc.reason} — the API server failed; retry, and check the "
                "control plane if it persists")
        reason = reason or "InternalError"
    else:
        text = (f"the API server answered {code} {exc.reason} to {op.verb} {what}: "
                f"{server_message}")
        reason = reason or str(exc.reason or "")
    return op.error(text, status=code, reason=reason, detail=server_message)


def _root(exc: BaseException) -> BaseException:
    """The innermost cause urllib3 wraps (MaxRetryError → NewConnectionError → OSError)."""
    seen = 0
    while seen < 10:
        inner = getattr(exc, "reason", None)
        if isinstance(inner, BaseException) and inner is not exc:
            exc = inner
        elif exc.__cause__ is not None:
            exc = exc.__cause__
        else:
            break
        seen += 1
    return exc


def _is_timeout(exc: BaseException) -> bool:
    timeouts = (urllib3.exceptions.TimeoutError, socket.timeout, TimeoutError)
    return isinstance(exc, timeouts) or isinstance(_root(exc), timeouts)


def from_transport_error(op: Op, exc: BaseException, target: Target, timeout: float
                         ) -> KubeError:
    """A network-level failure (no HTTP answer) as a KubeError."""
    where = f"the API server at {target.server} (context {target.context})"
    root = _root(exc)
    # NewConnectionError subclasses urllib3's ConnectTimeoutError: test for it first.
    if isinstance(root, (urllib3.exceptions.NewConnectionError, ConnectionRefusedError,
                         socket.gaierror)):
        return op.error(f"cannot reach {where}: {_short(root)} — check the VPN or tunnel, the "
                        "context, and that the cluster is up", reason="Unreachable",
                        detail=str(exc))
    if _is_timeout(exc):
        return op.error(f"timed out after {timeout:g}s waiting for {where} to {op.verb} "
                        f"{op.what()} — check the network or VPN and retry",
                        reason="Timeout", detail=str(exc))
    if isinstance(root, (ssl.SSLError, urllib3.exceptions.SSLError)):
        return op.error(f"TLS error talking to {where}: {_short(root)} — check the cluster's CA "
                        "and the context", reason="TLSError", detail=str(exc))
    if isinstance(exc, ValueError) and not isinstance(exc, OSError):
        return op.error(f"unexpected answer from {where} to {op.verb} {op.what()}: "
                        f"{_short(exc)} — is the server URL a Kubernetes API server?",
                        reason="BadResponse", detail=str(exc))
    return op.error(f"lost the connection to {where} during {op.verb} {op.what()}: "
                    f"{_short(root)} — retry", reason="ConnectionLost", detail=str(exc))


def from_config_exception(exc: ConfigException, source: str) -> KubeError:
    """A kubeconfig problem as a KubeError naming the file."""
    return KubeError(f"cannot use the kubeconfig {source}: {exc} — check the file, or pass "
                     "--kubeconfig / --context", reason="Config", detail=str(exc))


def _short(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror.lower()
    elif "Connection refused" in text:
        text = "connection refused"
    return text[:200]


TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    urllib3.exceptions.HTTPError, OSError, ValueError)
"""What a request may raise besides ApiException (ValueError covers JSON decoding)."""

__all__ = ["TRANSPORT_ERRORS", "ApiException", "ConfigException", "Op", "from_api_exception",
           "from_config_exception", "from_transport_error"]
