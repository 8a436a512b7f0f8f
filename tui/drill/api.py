"""The Kubernetes REST API of the drill cluster: discovery, CRUD, patch, watch, logs, SSAR."""

from __future__ import annotations

import base64
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tui.drill import discovery
from tui.drill.defaults import apply_defaults
from tui.drill.faults import Faults
from tui.drill.httpserver import BadRequest, Request, Response, json_response
from tui.drill.openapi_serve import serve_openapi
from tui.drill.patch import (
    PatchError,
    apply_json_patch,
    apply_merge_patch,
    apply_strategic_merge_patch,
    json_copy,
)
from tui.drill.protobuf import ProtobufError, decode_rules_review, decode_ssar
from tui.drill.protobuf_objects import UnsupportedProtobuf, decode_object
from tui.drill.resources import RESOURCES, Resource
from tui.drill.reviews import USER, rules_review, self_subject_review
from tui.drill.selectors import (
    SelectorError,
    format_label_selector,
    parse_field_selector,
    parse_label_selector,
    selector_from_spec,
)
from tui.drill.serverapply import APPLY_PATCH, check_fields, server_side_apply
from tui.drill.store import Entry, Store, StoreError, encode
from tui.drill.tables import to_table
from tui.drill.validation import (
    load_json,
    message,
    object_causes,
    review_causes,
    type_causes,
)
from tui.drill.watch import serve_watch


class ApiError(Exception):
    """An error answered as a Kubernetes Status."""

    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None
                 ) -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details or {}


def status_response(code: int, reason: str, message: str, details: dict[str, Any] | None = None
                    ) -> Response:
    """A Kubernetes `Status` failure."""
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}
    if details:
        body["details"] = details
    return json_response(code, body)


@dataclass
class Target:
    """What a resource URL names."""

    resource: Resource
    namespace: str | None
    name: str | None
    sub: str | None


def _parse_target(segments: list[str], group: str, version: str) -> Target | None:
    if not segments:
        return None
    if segments[0] == "namespaces" and len(segments) >= 3:
        ns, res_name, rest = segments[1], segments[2], segments[3:]
    elif segments[0] == "namespaces":
        ns, res_name, rest = None, "namespaces", segments[1:]
    else:
        ns, res_name, rest = None, segments[0], segments[1:]
    resource = RESOURCES.get(res_name)
    if resource is None or resource.group != group or resource.version != version:
        return None
    if len(rest) > 2 or (rest[1:] and rest[1] not in resource.subresources):
        return None
    name = rest[0] if rest else None
    if name and resource.namespaced and ns is None:
        return None
    return Target(resource, ns, name, rest[1] if len(rest) > 1 else None)


def _entry_key(entry: Entry) -> tuple[str, str]:
    # The order Store.entries returns, which continue tokens rely on.
    return entry.obj["metadata"].get("namespace", ""), entry.obj["metadata"]["name"]


def _wants_table(request: Request) -> bool:
    return "as=Table" in request.headers.get("accept", "")


class KubeAPI:
    """Routes /version, /api, /apis and /openapi to the store."""

    def __init__(self, store: Store, faults: Faults, wake: Callable[[], None],
                 logs: Callable[[dict[str, Any], Request], Response],
                 terminate_pod: Callable[[dict[str, Any]], None]) -> None:
        self.store, self.faults, self.wake = store, faults, wake
        self.logs, self.terminate_pod = logs, terminate_pod
        self.address = "127.0.0.1:0"
        # A bearer token requests must carry, else 401 (None: open). client-go (kubectl) reads
        # a kubeconfig's credentials only for an https server, so the plain-http drill leaves
        # it unset; the official Python client does send it.
        self.token: str | None = None
        # Set when the cluster stops: open watch streams end (see DrillCluster.stop).
        self.shutdown = threading.Event()

    # ---- entry -----------------------------------------------------------------------------
    def route(self, request: Request) -> Response | None:
        """Answer a request under /version, /api, /apis or /openapi (None: not ours)."""
        segments = [s for s in request.path.split("/") if s]
        if not segments or segments[0] not in ("version", "api", "apis", "openapi"):
            return None
        if segments[0] != "version" and not self._authenticated(request):
            # /version stays public, as the API server's system:public-info-viewer role has it.
            return status_response(401, "Unauthorized", "Unauthorized")
        if self.faults.latency:
            time.sleep(self.faults.latency)
        if segments[0] == "version":
            return json_response(200, discovery.version_info())
        if segments[0] == "openapi":
            return serve_openapi(request, segments[1:])
        if self.faults.should_fail():
            return status_response(500, "InternalError", "Internal error occurred: injected "
                                   "fault error-rate (drill)")
        try:
            return self._route(request, segments)
        except ApiError as exc:
            return status_response(exc.code, exc.reason, exc.message, exc.details)
        except BadRequest as exc:
            return status_response(400, "BadRequest", str(exc))
        except StoreError as exc:
            details = {"name": exc.name, "kind": exc.kind} if exc.name else None
            return status_response(exc.code, exc.reason, exc.message, details)

    def _authenticated(self, request: Request) -> bool:
        if self.token is None:
            return True
        scheme, _, sent = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(),
                                                                  self.token.encode())

    def _route(self, request: Request, segments: list[str]) -> Response | None:
        if segments == ["api"]:
            return json_response(200, discovery.api_versions(self.address))
        if segments == ["apis"]:
            return json_response(200, discovery.api_group_list())
        if segments[0] == "api":
            if len(segments) < 2 or segments[1] != "v1":
                return None
            group, version, rest = "", "v1", segments[2:]
        else:
            if len(segments) < 3:
                return None
            group, version, rest = segments[1], segments[2], segments[3:]
        if not rest:
            listing = discovery.resource_list(group, version)
            return json_response(200, listing) if listing else None
        if group == "authorization.k8s.io" and rest == ["selfsubjectaccessreviews"]:
            return self._ssar(request)
        if group == "authorization.k8s.io" and rest == ["selfsubjectrulesreviews"]:
            review = self._review_body(request, decode_rules_review)
            if not isinstance(review.get("spec") or {}, dict):
                raise ApiError(422, "Invalid", "SelfSubjectRulesReview is invalid: spec: must "
                               "be of type object")
            return json_response(201, rules_review(self.faults, review))
        if group == "authentication.k8s.io" and rest == ["selfsubjectreviews"]:
            self._review_body(request, lambda body: {})
            return json_response(201, self_subject_review())
        target = _parse_target(rest, group, version)
        if target is None:
            return None
        return self._resource(request, target)

    # ---- authorization ---------------------------------------------------------------------
    def _authorize(self, verb: str, target: Target) -> None:
        res = target.resource.name
        full = f"{res}/{target.sub}" if target.sub else res
        if self.faults.denied(verb, res) or self.faults.denied(verb, full):
            group = target.resource.group
            where = f' in the namespace "{target.namespace}"' if target.namespace else ""
            what = f'{res}.{group} "{target.name}"' if group and target.name else (
                f'{res} "{target.name}"' if target.name else res + (f".{group}" if group else ""))
            raise ApiError(403, "Forbidden",
                           f'{what} is forbidden: User "{USER}" cannot {verb} resource '
                           f'"{full}" in API group "{group}"{where}',
                           {"name": target.name or "", "group": group, "kind": res})

    def _review_body(self, request: Request,
                     decode: Callable[[bytes], dict[str, Any]]) -> dict[str, Any]:
        """The posted review, protobuf (as kubectl sends it) or JSON."""
        if request.method != "POST":
            raise ApiError(405, "MethodNotAllowed", "only create is supported")
        if "protobuf" in request.headers.get("content-type", ""):
            try:
                return decode(request.body)
            except ProtobufError as exc:
                raise ApiError(400, "BadRequest", f"cannot decode protobuf body: {exc}") from exc
        return self._json_body(request) if request.body else {}

    def _ssar(self, request: Request) -> Response:
        review = self._review_body(request, decode_ssar)
        spec = review.get("spec")
        attrs = spec.get("resourceAttributes") if isinstance(spec, dict) else None
        causes = review_causes(spec, attrs)
        if causes:
            raise ApiError(422, "Invalid", message("SelfSubjectAccessReview.authorization.k8s.io",
                                                   "", causes),
                           {"group": "authorization.k8s.io", "kind": "SelfSubjectAccessReview",
                            "causes": causes})
        attrs = attrs or {}
        verb, resource = attrs.get("verb", ""), attrs.get("resource", "")
        if attrs.get("subresource"):
            resource_full = f"{resource}/{attrs['subresource']}"
        else:
            resource_full = resource
        denied = self.faults.denied(verb, resource) or self.faults.denied(verb, resource_full)
        status: dict[str, Any] = {"allowed": not denied}
        if denied:
            status.update(denied=True, reason=f"drill fault: deny={verb}:{resource}")
        else:
            status["reason"] = "drill cluster: every verb is allowed unless a fault denies it"
        review = {**review, "apiVersion": "authorization.k8s.io/v1",
                  "kind": "SelfSubjectAccessReview", "metadata": {"creationTimestamp": None},
                  "status": status}
        return json_response(201, review)

    # ---- resources -------------------------------------------------------------------------
    @staticmethod
    def _json_body(request: Request) -> dict[str, Any]:
        ctype = request.headers.get("content-type", "")
        if "protobuf" in ctype:
            try:
                return decode_object(request.body)  # kubectl create secret|configmap|…
            except UnsupportedProtobuf as exc:
                raise ApiError(415, "UnsupportedMediaType", f"{exc}: send it as JSON, e.g. "
                               "kubectl create … --dry-run=client -o yaml | kubectl apply -f -"
                               ) from exc
            except ProtobufError as exc:
                raise ApiError(400, "BadRequest", f"cannot decode protobuf body: {exc}"
                               ) from exc
        if "yaml" in ctype:
            raise ApiError(415, "UnsupportedMediaType",
                           f'the body of the request was in an unknown format - accepted media '
                           f'types include: application/json (got "{ctype}")')
        body = load_json(request.body)
        if not isinstance(body, dict):
            raise ApiError(400, "BadRequest", "the request body must be a JSON object")
        return body

    def _resource(self, request: Request, target: Target) -> Response:
        method, dry_run = request.method, request.query.get("dryRun") == "All"
        if method == "GET":
            if target.name is None:
                watching = request.query.get("watch", "") in ("true", "1", "True")
                self._authorize("watch" if watching else "list", target)
                if watching:
                    serve_watch(self, request, target)
                    return Response(200, b"")
                return self._list(request, target)
            self._authorize("get", target)
            return self._get(request, target)
        verbs = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}
        verb = verbs.get(method)
        if verb is None or (verb != "create" and target.name is None):
            raise ApiError(405, "MethodNotAllowed", f"{method} is not supported here")
        self._authorize(verb, target)
        if verb != "delete" and self.faults.take_conflict():
            raise ApiError(409, "Conflict",
                           f'Operation cannot be fulfilled on {target.resource.name} '
                           f'"{target.name or ""}": the object has been modified; please apply '
                           "your changes to the latest version and try again (injected fault)")
        if verb == "patch" and request.headers.get("content-type", "").startswith(APPLY_PATCH):
            return server_side_apply(self, request, target, dry_run)
        if verb == "create":
            return self._create(request, target, dry_run)
        if verb == "delete":
            return self._delete(target, dry_run)
        return self._update(request, target, dry_run, verb)

    def _entry(self, target: Target) -> dict[str, Any]:
        return self.store.require(target.resource.name, target.namespace or "",
                                  target.name or "").obj

    def _get(self, request: Request, target: Target) -> Response:
        obj = self._entry(target)
        if target.sub == "log":
            return self.logs(obj, request)
        if target.sub == "scale":
            return json_response(200, self._scale_of(obj))
        if _wants_table(request):
            return json_response(200, to_table(target.resource.kind, [obj],
                                               now=self.store.clock.now(),
                                               resource_version=str(
                                                   self.store.resource_version),
                                               include_object=request.query.get(
                                                   "includeObject", "Metadata")))
        entry = self.store.require(target.resource.name, target.namespace or "",
                                   target.name or "")
        return Response(200, entry.raw)

    def matcher(self, request: Request, kind: str) -> Callable[[dict[str, Any]], bool]:
        """A predicate for the label and field selectors of a list or watch."""
        try:
            labels = parse_label_selector(request.query.get("labelSelector", ""))
            fields = parse_field_selector(request.query.get("fieldSelector", ""), kind)
        except SelectorError as exc:
            raise ApiError(400, "BadRequest", str(exc)) from exc
        return lambda obj: labels.matches(obj["metadata"].get("labels")) and fields.matches(obj)

    def _list(self, request: Request, target: Target) -> Response:
        res = target.resource
        match = self.matcher(request, res.kind)
        after, rv = None, ""
        token = request.query.get("continue")
        if token:
            # The token names the last key served (entries are sorted by namespace and name), so
            # objects created or deleted before it while paging neither repeat nor get skipped;
            # every page reports the first page's resourceVersion, as the API server's do.
            try:
                cursor = json.loads(base64.urlsafe_b64decode(token.encode()))
                after = (str(cursor["after"][0]), str(cursor["after"][1]))
                rv = str(int(cursor["rv"]))
            except (ValueError, KeyError, TypeError, IndexError) as exc:
                raise ApiError(400, "BadRequest", "invalid continue token") from exc
        limit = max(request.query_int("limit", 0), 0)
        with self.store.lock:
            rv = rv or str(self.store.resource_version)
            page, more, left = self.store.page(res.name, target.namespace, after, match, limit)
        cont = ""
        remaining = None
        if more:
            cursor = {"rv": rv, "after": list(_entry_key(page[-1]))}
            cont = base64.urlsafe_b64encode(json.dumps(cursor).encode()).decode()
            # As the API server: the count is only known when no selector filters the list.
            if not (request.query.get("labelSelector") or request.query.get("fieldSelector")):
                remaining = left
        if _wants_table(request):
            try:
                table = to_table(res.kind, [e.obj for e in page], now=self.store.clock.now(),
                                 resource_version=rv, continue_token=cont,
                                 remaining_item_count=remaining,
                                 include_object=request.query.get("includeObject", "Metadata"))
            except ValueError as exc:
                raise ApiError(400, "BadRequest", str(exc)) from exc
            return json_response(200, table)
        meta: dict[str, Any] = {"resourceVersion": rv}
        if cont:
            meta["continue"] = cont
        if remaining is not None:
            meta["remainingItemCount"] = remaining
        head = encode({"kind": res.list_kind, "apiVersion": res.api_version, "metadata": meta})
        body = head[:-1] + b',"items":[' + b",".join(e.raw for e in page) + b"]}"
        return Response(200, body)

    def prepare(self, target: Target, obj: dict[str, Any]) -> dict[str, Any]:
        """Check an object for `target` and fill its namespace and API defaults."""
        res = target.resource
        obj.setdefault("apiVersion", res.api_version)
        obj.setdefault("kind", res.kind)
        if obj["kind"] != res.kind:
            raise ApiError(400, "BadRequest", f"expected kind {res.kind}, got {obj['kind']}")
        self.refuse_invalid(res.kind, res.group, obj, object_causes(res.name, res.kind, obj))
        meta = obj.setdefault("metadata", {})
        if res.namespaced:
            if meta.get("namespace") not in (None, "", target.namespace):
                raise ApiError(400, "BadRequest", "the namespace of the provided object does "
                               "not match the namespace sent on the request")
            meta["namespace"] = target.namespace
            if self.store.get("namespaces", "", target.namespace or "") is None:
                raise ApiError(404, "NotFound", f'namespaces "{target.namespace}" not found',
                               {"name": target.namespace, "kind": "namespaces"})
        for key in ("labels", "annotations", "creationTimestamp"):
            if key in meta and not meta[key]:
                del meta[key]  # `null` as kubectl expose sends it: the server stamps it
        apply_defaults(res.name, obj, self._cluster_ip())
        if res.name == "deployments":
            self._validate_deployment(obj)
        return obj

    @staticmethod
    def refuse_invalid(kind: str, group: str, obj: Any, causes: list[dict[str, str]]) -> None:
        """Raise 422 Invalid listing `causes` (field paths) for a `kind` object, if any."""
        if not causes:
            return
        meta = obj.get("metadata") if isinstance(obj, dict) else None
        name = meta.get("name") if isinstance(meta, dict) else None
        name = name if isinstance(name, str) else ""
        qualified = f"{kind}.{group}" if group else kind
        raise ApiError(422, "Invalid", message(qualified, name, causes),
                       {"name": name, "group": group, "kind": kind, "causes": causes})

    def _cluster_ip(self) -> str:
        taken = {s["spec"].get("clusterIP") for s in self.store.objects("services")}
        n = 10
        while f"10.96.{n // 250}.{n % 250}" in taken:
            n += 1
        return f"10.96.{n // 250}.{n % 250}"

    @staticmethod
    def _validate_deployment(obj: dict[str, Any]) -> None:
        spec = obj["spec"]
        labels = spec.get("template", {}).get("metadata", {}).get("labels") or {}
        selector = spec.get("selector")
        name = obj["metadata"].get("name", "")
        if not selector:
            raise ApiError(422, "Invalid", f'Deployment.apps "{name}" is invalid: '
                           "spec.selector: Required value")
        if not selector_from_spec(selector).matches(labels):
            raise ApiError(422, "Invalid", f'Deployment.apps "{name}" is invalid: '
                           "spec.template.metadata.labels: Invalid value: "
                           f"{json.dumps(labels)}: `selector` does not match template `labels`")
        if not spec["template"].get("spec", {}).get("containers"):
            raise ApiError(422, "Invalid", f'Deployment.apps "{name}" is invalid: '
                           "spec.template.spec.containers: Required value")
        replicas = spec.get("replicas")
        if not isinstance(replicas, int) or replicas < 0:
            raise ApiError(422, "Invalid", f'Deployment.apps "{name}" is invalid: '
                           f"spec.replicas: Invalid value: {replicas}: must be greater than or "
                           "equal to 0")

    def _create(self, request: Request, target: Target, dry_run: bool) -> Response:
        body = self._json_body(request)
        warnings = check_fields(request, target.resource.kind, target.resource.version, body)
        obj = self.prepare(target, body)
        meta = obj["metadata"]
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + self.store.new_uid()[:5]
        if not meta.get("name"):
            raise ApiError(422, "Invalid", f"{target.resource.kind} is invalid: metadata.name: "
                           "Required value: name or generateName is required")
        created = self.store.create(target.resource.name, obj, dry_run=dry_run)
        self.wake()
        return json_response(201, created, warnings)

    def _delete(self, target: Target, dry_run: bool) -> Response:
        obj = self._entry(target)
        if target.resource.name == "pods" and not dry_run:
            self.terminate_pod(obj)
            self.wake()
            return json_response(200, self._entry(target))
        gone = self.store.delete(target.resource.name, target.namespace or "", target.name or "",
                                 dry_run=dry_run)
        if not dry_run:
            self._cascade(gone)
            self.wake()
        return json_response(200, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                   "status": "Success",
                                   "details": {"name": target.name,
                                               "group": target.resource.group,
                                               "kind": target.resource.name,
                                               "uid": gone["metadata"].get("uid")}})

    def _cascade(self, owner: dict[str, Any]) -> None:
        uid = owner["metadata"].get("uid")
        for res in ("replicasets", "pods"):
            for obj in list(self.store.objects(res, owner["metadata"].get("namespace"))):
                if any(ref.get("uid") == uid for ref in obj["metadata"].get("ownerReferences", [])):
                    if res == "pods":
                        self.terminate_pod(obj)
                    else:
                        gone = self.store.delete(res, obj["metadata"]["namespace"],
                                                 obj["metadata"]["name"])
                        self._cascade(gone)

    # ---- update and patch ------------------------------------------------------------------
    def _scale_of(self, obj: dict[str, Any]) -> dict[str, Any]:
        meta = obj["metadata"]
        return {"kind": "Scale", "apiVersion": "autoscaling/v1",
                "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion",
                                                  "creationTimestamp") if k in meta},
                "spec": {"replicas": obj["spec"].get("replicas", 1)},
                "status": {"replicas": obj.get("status", {}).get("replicas", 0),
                           "selector": format_label_selector(obj["spec"].get("selector"))}}

    def _patched(self, request: Request, current: dict[str, Any], kind: str) -> dict[str, Any]:
        ctype = request.headers.get("content-type", "").split(";")[0].strip()
        patch = load_json(request.body, "the patch")
        if isinstance(patch, dict) and ctype != "application/json-patch+json":
            # A merge patch names fields as the object does: a wrong type is refused before
            # it is merged (strategic merge would trip over `containers: 5`).
            group = next((r.group for r in RESOURCES.values() if r.kind == kind), "autoscaling")
            self.refuse_invalid(kind, group, current, type_causes(kind, patch, complete=False))
        try:
            if ctype == "application/json-patch+json":
                if not isinstance(patch, list):
                    raise ApiError(400, "BadRequest", "a json patch must be a JSON array")
                return apply_json_patch(current, patch)
            if ctype == "application/merge-patch+json":
                return apply_merge_patch(current, patch)
            if ctype in ("application/strategic-merge-patch+json", ""):
                if isinstance(patch, list):
                    return apply_json_patch(current, patch)
                return apply_strategic_merge_patch(current, patch, kind)
        except PatchError as exc:
            raise ApiError(exc.code, "Invalid" if exc.code == 422 else "BadRequest",
                           str(exc)) from exc
        raise ApiError(415, "UnsupportedMediaType", f'the server does not support patches of '
                       f'type "{ctype}"; use json, merge or strategic merge patch')

    def _update(self, request: Request, target: Target, dry_run: bool, verb: str) -> Response:
        res = target.resource
        with self.store.lock:
            current = self._entry(target)
            if target.sub == "scale":
                scale = self._scale_of(current)
                new_scale = (self._patched(request, scale, "Scale") if verb == "patch"
                             else self._json_body(request))
                replicas = new_scale.get("spec", {}).get("replicas")
                if not isinstance(replicas, int) or replicas < 0:
                    raise ApiError(422, "Invalid", f"Scale.autoscaling \"{target.name}\" is "
                                   f"invalid: spec.replicas: Invalid value: {replicas}")
                updated = json_copy(current)
                updated["spec"]["replicas"] = replicas
                stored = self.store.replace(res.name, updated, dry_run=dry_run)
                self.wake()
                return json_response(200, self._scale_of(stored))
            if verb == "patch":
                updated = self._patched(request, current, res.kind)
                sent: Any = json.loads(request.body or b"null")  # _patched has parsed it once
                if isinstance(sent, list):
                    sent = None  # a JSON patch names paths, not fields
            else:
                updated = sent = self._json_body(request)
            warnings = check_fields(request, res.kind, res.version, sent)
            if not isinstance(updated, dict):
                raise ApiError(422, "Invalid", "the result is not an object")
            meta = updated.setdefault("metadata", {})
            if meta.get("name") != target.name:
                raise ApiError(400, "BadRequest", "the name of the object does not match the "
                               "name on the URL")
            if target.sub == "status":
                updated = {**json_copy(current), "status": updated.get("status", {})}
            expect = meta.get("resourceVersion") or None
            updated = self.prepare(target, updated)
            stored = self.store.replace(res.name, updated, expect_rv=expect, dry_run=dry_run)
        self.wake()
        return Response(200, encode(stored), headers=warnings)
