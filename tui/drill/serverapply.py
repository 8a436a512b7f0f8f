"""Server-side apply (`PATCH` with `application/apply-patch+yaml`) and field validation.

An applied configuration creates the object when it is missing and is otherwise merged into it
(strategic merge, keyed as the described types say); the fields this manager applied last time
and no longer applies are removed, and its `managedFields` entry records what it now owns.
Conflicts with other managers are not detected: the drill has one user.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import yaml

from tui.drill.clock import rfc3339
from tui.drill.fieldcheck import (
    applied_fields,
    prune,
    strict_message,
    unknown_fields,
    warning_header,
)
from tui.drill.httpserver import Request, Response, json_response
from tui.drill.patch import PatchError, apply_strategic_merge_patch, json_copy
from tui.drill.validation import check_depth, type_causes

if TYPE_CHECKING:
    from tui.drill.api import KubeAPI, Target

APPLY_PATCH = "application/apply-patch+yaml"


def check_fields(request: Request, kind: str, version: str, body: Any, *, applying: str = ""
                 ) -> dict[str, str]:
    """Validate `body` as `fieldValidation` asks: raise on Strict, warn (headers) on Warn.

    `applying` names the object of a server-side apply (`ns/name; apps/v1, Kind=Deployment`),
    whose errors the API server words differently.
    """
    from tui.drill.api import ApiError  # the API module imports this one

    mode = request.query.get("fieldValidation", "Warn")
    if mode == "Ignore":
        return {}
    unknown = unknown_fields(kind, body)
    if not unknown:
        return {}
    if mode == "Strict":
        if applying:
            detail = "; ".join(f".{path}: field not declared in schema" for path in unknown)
            raise ApiError(400, "BadRequest",
                           f"failed to create typed patch object ({applying}): {detail}")
        raise ApiError(400, "BadRequest", strict_message(kind, version, unknown))
    return {"Warning": warning_header(unknown)}


def _parse(request: Request) -> dict[str, Any]:
    from tui.drill.api import ApiError

    try:
        text = (request.body or b"").decode()
        body = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    except (ValueError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ApiError(400, "BadRequest", f"error decoding YAML: {exc}") from exc
    except RecursionError:
        raise ApiError(400, "BadRequest", "error decoding YAML: it nests too deep") from None
    check_depth(body)
    if not isinstance(body, dict):
        raise ApiError(400, "BadRequest", "an applied configuration must be an object")
    return body


def server_side_apply(api: KubeAPI, request: Request, target: Target, dry_run: bool
                      ) -> Response:
    """Create or merge the applied configuration; record what the manager owns."""
    from tui.drill.api import ApiError

    res = target.resource
    manager = request.query.get("fieldManager", "")
    if not manager:
        raise ApiError(400, "BadRequest", "PATCH, application/apply-patch+yaml requests must "
                       "provide a fieldManager")
    body = _parse(request)
    where = f"{target.namespace}/{target.name}" if target.namespace else str(target.name)
    headers = check_fields(request, res.kind, res.version, body,
                           applying=f"{where}; {res.api_version}, Kind={res.kind}")
    # Wrong types are refused before the merge, which would trip over them.
    api.refuse_invalid(res.kind, res.group, body, type_causes(res.kind, body, complete=False))
    owned = applied_fields(res.kind, body)
    entry = {"manager": manager, "operation": "Apply", "apiVersion": res.api_version,
             "time": rfc3339(api.store.clock.now()), "fieldsType": "FieldsV1",
             "fieldsV1": owned}
    with api.store.lock:
        current = api.store.get(res.name, target.namespace or "", target.name or "")
        if current is None:
            obj = json_copy(body)
            obj.setdefault("metadata", {})["managedFields"] = [entry]
            obj["metadata"].setdefault("name", target.name)
            prepared = api.prepare(target, obj)
            created = api.store.create(res.name, prepared, dry_run=dry_run)
            api.wake()
            return json_response(201, created, headers)
        live = current.obj
        fields = live["metadata"].get("managedFields") or []
        before = next((f.get("fieldsV1") or {} for f in fields
                       if f.get("manager") == manager and f.get("operation") == "Apply"), {})
        try:
            merged = apply_strategic_merge_patch(prune(live, before, owned), body, res.kind)
        except PatchError as exc:
            raise ApiError(exc.code, "Invalid", str(exc)) from exc
        others = [f for f in fields
                  if not (f.get("manager") == manager and f.get("operation") == "Apply")]
        merged["metadata"]["managedFields"] = [*others, entry]
        merged["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
        stored = api.store.replace(res.name, api.prepare(target, merged), dry_run=dry_run)
    api.wake()
    return json_response(200, stored, headers)
