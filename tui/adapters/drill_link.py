"""The drill cluster's own endpoints (`/drill/...`), reached over the kubeconfig's connection.

A drill serves its admin API beside the Kubernetes API, so the incident's cluster connection
(its TLS trust and token) is all a session needs to ask the drill for its scenario, its twists
and its record of changes. Against a real cluster these paths do not exist: `DrillLinkError`.
"""

from __future__ import annotations

import json
from typing import Any

from kubernetes.client.api_client import ApiClient
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError


class DrillLinkError(Exception):
    """The drill did not answer: gone, not a drill, or it refused the request (message says)."""


class DrillLink:
    """JSON requests to the drill's admin endpoints with the cluster connection's credentials."""

    def __init__(self, api_client: ApiClient, timeout: float = 5.0) -> None:
        """Share `api_client`'s connection pool, TLS settings and token."""
        self.api_client, self.timeout = api_client, timeout

    def get(self, path: str) -> Any:
        """GET `path` (e.g. `/drill/info`) and decode its JSON answer."""
        return self._call("GET", path, None)

    def post(self, path: str, body: Any) -> Any:
        """POST `body` as JSON to `path` and decode the JSON answer."""
        return self._call("POST", path, body)

    def _call(self, method: str, path: str, body: Any) -> Any:
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            request = self.api_client.param_serialize(
                method=method, resource_path=path, header_params=headers, body=body,
                auth_settings=["BearerToken"])
            answer = self.api_client.call_api(*request, _request_timeout=self.timeout)
            data = answer.response.data if hasattr(answer.response, "data") else answer.read()
            status = answer.status
        except (ApiException, HTTPError, OSError) as exc:
            raise DrillLinkError(f"the drill cluster did not answer {method} {path}: "
                                 f"{exc}; is the drill still running?") from None
        try:
            decoded = json.loads(data or b"null")
        except ValueError:
            decoded = None
        if not 200 <= status <= 299:
            reason = decoded.get("error") if isinstance(decoded, dict) else None
            raise DrillLinkError(f"the drill cluster refused {method} {path} (HTTP {status})"
                                 + (f": {reason}" if reason else ""))
        if decoded is None and data:
            raise DrillLinkError(f"the drill cluster answered {method} {path} with no JSON; "
                                 "is this cluster a drill?")
        return decoded
