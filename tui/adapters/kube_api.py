"""The few Kubernetes API endpoints the adapter calls, as raw requests on the official client's
ApiClient (its credentials, TLS, proxy and retry handling) without its generated API classes.

Why: `kubernetes` 37's CoreV1Api and AppsV1Api modules build about 300 pydantic models and
validators when imported; that churn triggers full garbage collections that hold the GIL for
40+ ms, freezing a UI loop while a worker thread connects. The adapter only ever asks for raw
JSON (`_preload_content=False`), so it needs none of that machinery. Method names and
arguments match the generated client's, so call sites read the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubernetes.client.api_client import ApiClient
from kubernetes.client.exceptions import ApiException

# Python keyword arguments → API query parameters (the generated client's spelling).
QUERY_NAMES = {
    "label_selector": "labelSelector", "field_selector": "fieldSelector", "limit": "limit",
    "_continue": "continue", "resource_version": "resourceVersion", "watch": "watch",
    "allow_watch_bookmarks": "allowWatchBookmarks", "timeout_seconds": "timeoutSeconds",
    "dry_run": "dryRun", "field_manager": "fieldManager",
    "container": "container", "previous": "previous", "tail_lines": "tailLines",
}
STRATEGIC_MERGE = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"


class Endpoints:
    """Raw requests against one API group/version; every call returns the unread response."""

    def __init__(self, api_client: ApiClient) -> None:
        """Share the connection pool and credentials of `api_client`."""
        self.api_client = api_client

    def call(self, method: str, path: str, path_params: dict[str, str], *, body: Any = None,
             content_type: str | None = None, _preload_content: bool = False,
             _request_timeout: Any = None, **query: Any) -> Any:
        """One request; raises ApiException on a non-2xx answer, as the generated client does."""
        if _preload_content:
            raise TypeError("these endpoints return raw responses: pass _preload_content=False")
        params = []
        for key, value in query.items():
            if key not in QUERY_NAMES:
                raise TypeError(f"unexpected query argument {key!r} for {method} {path}")
            if value is not None:
                params.append((QUERY_NAMES[key], value))
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type or "application/json"
        request = self.api_client.param_serialize(
            method=method, resource_path=path, path_params=path_params, query_params=params,
            header_params=headers, body=body, auth_settings=["BearerToken"])
        answer = self.api_client.call_api(*request, _request_timeout=_request_timeout)
        if not 200 <= answer.status <= 299:
            answer.read()
            raise ApiException.from_response(http_resp=answer, body=None, data=None)
        return answer.response


def _lister(path: str) -> Callable[..., Any]:
    def list_objects(self: Endpoints, namespace: str, **kwargs: Any) -> Any:
        return self.call("GET", path, {"namespace": namespace}, **kwargs)
    list_objects.__doc__ = f"GET {path} (list or watch)."
    return list_objects


def _reader(path: str) -> Callable[..., Any]:
    def read_object(self: Endpoints, name: str, namespace: str, **kwargs: Any) -> Any:
        return self.call("GET", path, {"name": name, "namespace": namespace}, **kwargs)
    read_object.__doc__ = f"GET {path}."
    return read_object


def _patcher(path: str) -> Callable[..., Any]:
    def patch_object(self: Endpoints, name: str, namespace: str, body: Any, *,
                     _content_type: str | None = None, **kwargs: Any) -> Any:
        # As the generated client: a list is a JSON patch, an object a strategic merge.
        kind = _content_type or (JSON_PATCH if isinstance(body, list) else STRATEGIC_MERGE)
        return self.call("PATCH", path, {"name": name, "namespace": namespace}, body=body,
                         content_type=kind, **kwargs)
    patch_object.__doc__ = f"PATCH {path}."
    return patch_object


CORE = "/api/v1/namespaces/{namespace}"
APPS = "/apis/apps/v1/namespaces/{namespace}"


class CoreV1(Endpoints):
    """The core/v1 endpoints the adapter uses."""

    list_namespaced_pod = _lister(CORE + "/pods")
    read_namespaced_pod = _reader(CORE + "/pods/{name}")
    read_namespaced_pod_log = _reader(CORE + "/pods/{name}/log")
    list_namespaced_service = _lister(CORE + "/services")
    list_namespaced_event = _lister(CORE + "/events")
    read_namespaced_service = _reader(CORE + "/services/{name}")
    patch_namespaced_service = _patcher(CORE + "/services/{name}")
    read_namespaced_config_map = _reader(CORE + "/configmaps/{name}")
    patch_namespaced_config_map = _patcher(CORE + "/configmaps/{name}")


class AppsV1(Endpoints):
    """The apps/v1 endpoints the adapter uses."""

    list_namespaced_deployment = _lister(APPS + "/deployments")
    list_namespaced_replica_set = _lister(APPS + "/replicasets")
    read_namespaced_deployment = _reader(APPS + "/deployments/{name}")
    patch_namespaced_deployment = _patcher(APPS + "/deployments/{name}")
    read_namespaced_deployment_scale = _reader(APPS + "/deployments/{name}/scale")
    patch_namespaced_deployment_scale = _patcher(APPS + "/deployments/{name}/scale")


class AuthorizationV1(Endpoints):
    """SelfSubjectAccessReview."""

    def create_self_subject_access_review(self, body: Any, **kwargs: Any) -> Any:
        """POST a SelfSubjectAccessReview."""
        return self.call("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {},
                         body=body, **kwargs)


class Version(Endpoints):
    """/version."""

    def get_code(self, **kwargs: Any) -> Any:
        """GET /version."""
        return self.call("GET", "/version/", {}, **kwargs)
