"""`/openapi/v2` and `/openapi/v3/…` as the API server answers them."""

from __future__ import annotations

import functools
import json

from tui.drill import openapi, openapi_proto
from tui.drill.httpserver import Request, Response, json_response

# What the API server answers (kubectl asks with "…spec.v2@v1.0+protobuf", not a valid type).
V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"


def _not_found(path: str) -> Response:
    return json_response(404, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                               "status": "Failure", "reason": "NotFound", "code": 404,
                               "message": f"the server could not find the requested resource "
                                          f"({path})"})


def serve_openapi(request: Request, rest: list[str]) -> Response:
    """Answer `/openapi/v2`, `/openapi/v3` or `/openapi/v3/<group version>`."""
    if rest == ["v2"]:
        # client-go asks for protobuf only; a browser or curl gets JSON.
        if "protobuf" in request.headers.get("accept", ""):
            return Response(200, _v2_protobuf(), V2_PROTOBUF)
        return Response(200, _v2_json(), "application/json")
    if rest == ["v3"]:
        return Response(200, openapi.v3_index(), "application/json")
    if rest and rest[0] == "v3":
        body = openapi.v3_document("/".join(rest[1:]))
        if body is not None:
            return Response(200, body, "application/json")
    return _not_found(request.path)


@functools.cache
def _v2_json() -> bytes:
    return json.dumps(openapi.v2_document()).encode()


@functools.cache
def _v2_protobuf() -> bytes:
    return openapi_proto.document(openapi.v2_document())
