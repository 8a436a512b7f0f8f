"""Feature flags of the simulated application: their effect on traffic, and a flag API."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from tui.drill.httpserver import Request, Response, json_response
from tui.drill.podsim import Behavior
from tui.drill.store import Store


class FlagAPI:
    """Flags live in ConfigMaps (or pod env vars); the API reads and writes the ConfigMap."""

    def __init__(self, store: Store, flags: list[dict[str, Any]]) -> None:
        self.store, self.flags = store, flags

    def _value(self, flag: dict[str, Any], namespace: str, pod: dict[str, Any] | None) -> str:
        if flag.get("configmap"):
            entry = self.store.get("configmaps", namespace, flag["configmap"])
            return (entry.obj.get("data") or {}).get(flag["key"], "") if entry else ""
        if pod is not None and flag.get("env"):
            for container in pod["spec"]["containers"]:
                for env in container.get("env") or []:
                    if env.get("name") == flag["env"]:
                        return str(env.get("value", ""))
        return ""

    def _on(self, flag: dict[str, Any], namespace: str, pod: dict[str, Any] | None) -> bool:
        return self._value(flag, namespace, pod) == flag.get("when", "true")

    def flagged(self, service: str, pod: dict[str, Any]) -> bool:
        """Whether one of the service's flags is on for this pod (its new flow serves)."""
        return any(flag["service"] == service and self._on(flag, pod["metadata"]["namespace"], pod)
                   for flag in self.flags)

    def pod_inputs(self, pod: dict[str, Any]) -> tuple[str, ...]:
        """What `adjust` reads from the pod itself: the values of flags held in its env."""
        return tuple(self._value(flag, pod["metadata"]["namespace"], pod)
                     for flag in self.flags if not flag.get("configmap"))

    def adjust(self, service: str, pod: dict[str, Any], behavior: Behavior) -> Behavior:
        """The behaviour of a pod with the service's flags applied."""
        for flag in self.flags:
            if flag["service"] == service and self._on(flag, pod["metadata"]["namespace"], pod):
                behavior = dataclasses.replace(
                    behavior, error_ratio=flag.get("error_ratio", behavior.error_ratio),
                    latency_p95=flag.get("latency_p95", behavior.latency_p95))
        return behavior

    def _namespace(self, service: str) -> str:
        for svc in self.store.objects("services"):
            if svc["metadata"]["name"] == service:
                return svc["metadata"]["namespace"]
        return "default"

    def states(self) -> dict[str, bool]:
        """`{"SERVICE/KEY": on}` of every flag held in a ConfigMap (env flags vary by pod)."""
        return {f"{f['service']}/{f['key']}": self._on(f, self._namespace(f["service"]), None)
                for f in self.flags if f.get("configmap")}

    def route(self, request: Request, service: str, rest: str) -> Response:
        """`GET /admin/feature-flags[/KEY]`, `PATCH|PUT /admin/feature-flags/KEY`."""
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or not auth.removeprefix("Bearer ").strip():
            return json_response(401, {"error": "missing bearer token"})
        namespace = self._namespace(service)
        mine = {f["key"]: f for f in self.flags if f["service"] == service}
        key = rest.strip("/")
        if not key:
            return json_response(200, {"flags": [
                {"key": k, "enabled": self._on(f, namespace, None)} for k, f in mine.items()]})
        flag = mine.get(key)
        if flag is None:
            return json_response(404, {"error": f"no flag {key!r}", "flags": sorted(mine)})
        if request.method == "GET":
            return json_response(200, {"key": key, "enabled": self._on(flag, namespace, None)})
        if request.method not in ("PATCH", "PUT"):
            return json_response(405, {"error": "use GET, PATCH or PUT"})
        try:
            body = json.loads(request.body or b"{}")
            enabled = body["enabled"]
            if not isinstance(enabled, bool):
                raise TypeError("enabled must be true or false")
        except (ValueError, KeyError, TypeError) as exc:
            return json_response(400, {"error": f'expected {{"enabled": true|false}}: {exc}'})
        if not flag.get("configmap"):
            return json_response(409, {"error": f"flag {key} is read from the environment "
                                                f"variable {flag.get('env')}; use kubectl set env"})
        with self.store.lock:
            entry = self.store.get("configmaps", namespace, flag["configmap"])
            if entry is None:
                return json_response(503, {"error": f"configmap {flag['configmap']} is gone"})
            on_value = flag.get("when", "true")
            value = on_value if enabled else ("false" if on_value == "true" else "true")
            data = {**(entry.obj.get("data") or {}), key: value}
            self.store.replace("configmaps", {**entry.obj, "data": data})
        return json_response(200, {"key": key, "enabled": enabled})
