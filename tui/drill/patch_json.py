"""JSON patch (RFC 6902) and the JSON-value helpers shared by the drill cluster's patch code.

Import the public names from `tui.drill.patch`; this module exists to keep that one small.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["PatchError", "apply_json_patch", "json_copy", "json_equal"]

# RFC 6901 array indexes: no sign, no leading zeros ("01" is a member name, not an index).
_INDEX = re.compile(r"0|[1-9][0-9]*")
# A "~" not followed by 0 or 1 is an invalid escape in a JSON pointer (RFC 6901 section 3).
_BAD_ESCAPE = re.compile(r"~(?![01])")
_OPS = ("add", "remove", "replace", "move", "copy", "test")


class PatchError(ValueError):
    """A patch that cannot be applied; `code` is the HTTP status for the Kubernetes Status."""

    def __init__(self, message: str, code: int = 422) -> None:
        super().__init__(message)
        # 400: the patch document itself is malformed; 422: it is well-formed but does not
        # apply to this object. The server copies this into the Status it answers with.
        self.code = code


def json_copy(value: Any) -> Any:
    """A deep copy of a JSON-like value: dicts and lists are new, scalars are shared."""
    if isinstance(value, dict):
        return {key: json_copy(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_copy(item) for item in value]
    return value


def json_equal(left: Any, right: Any) -> bool:
    """JSON equality: 1 == 1.0 but True != 1, object key order ignored, array order significant."""
    # Python's == says True == 1 (also inside containers); JSON booleans are not numbers.
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    if isinstance(left, dict):
        return (isinstance(right, dict) and left.keys() == right.keys()
                and all(json_equal(item, right[key]) for key, item in left.items()))
    if isinstance(left, list | tuple):
        return (isinstance(right, list | tuple) and len(left) == len(right)
                and all(json_equal(a, b) for a, b in zip(left, right, strict=True)))
    if isinstance(left, str):
        return isinstance(right, str) and left == right
    if left is None or right is None:
        return left is None and right is None
    return bool(left == right)


def _brief(value: Any) -> str:
    """A short JSON rendering of a value for error messages."""
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


class _Op:
    """One RFC 6902 operation being applied: its name and pointer, for error messages."""

    def __init__(self, name: str, pointer: str) -> None:
        self.name = name
        self.pointer = pointer

    def fail(self, reason: str, code: int = 422) -> PatchError:
        """The error for this operation failing, naming the op and its path."""
        return PatchError(f"json patch {self.name} operation failed at {self.pointer}: {reason}",
                          code)

    def missing(self) -> PatchError:
        """The error for a path that does not exist in the document."""
        return self.fail("path does not exist in the document")


def apply_json_patch(doc: Any, ops: list) -> Any:
    """Apply an RFC 6902 JSON patch to `doc` and return the patched copy."""
    if not isinstance(ops, list):
        raise PatchError("json patch must be a JSON array of operations", 400)
    # Operations apply in order to one working copy; an error anywhere abandons the copy,
    # which makes the patch atomic as RFC 6902 section 5 requires.
    result = json_copy(doc)
    for number, op in enumerate(ops):
        result = _apply_one(result, op, number)
    return result


def _member(op: dict, name: str, number: int) -> Any:
    """A required member of an operation object."""
    if name not in op:
        raise PatchError(f"json patch operation {number} ({op.get('op')}) is missing {name!r}",
                         400)
    return op[name]


def _pointer(text: Any, number: int) -> list[str]:
    """The reference tokens of a JSON pointer (RFC 6901), unescaped."""
    if not isinstance(text, str) or (text and not text.startswith("/")):
        raise PatchError(f"json patch operation {number}: invalid JSON pointer {text!r}", 400)
    if _BAD_ESCAPE.search(text):
        raise PatchError(f"json patch operation {number}: invalid escape in JSON pointer {text!r}",
                         400)
    # "~1" first, then "~0": the reverse order would turn "~01" into "/" instead of "~1".
    return [token.replace("~1", "/").replace("~0", "~") for token in text.split("/")[1:]]


def _apply_one(doc: Any, op: Any, number: int) -> Any:
    """Apply operation `number` to the working document and return the new document."""
    if not isinstance(op, dict):
        raise PatchError(f"json patch operation {number} is not a JSON object", 400)
    name = op.get("op")
    if name not in _OPS:
        raise PatchError(f"json patch operation {number} has unknown op {name!r}", 400)
    path_text = _member(op, "path", number)
    path = _pointer(path_text, number)
    ctx = _Op(name, path_text)
    if name == "add":
        return _add(doc, path, json_copy(_member(op, "value", number)), ctx)
    if name == "remove":
        return _remove(doc, path, ctx)[0]
    if name == "replace":
        value = json_copy(_member(op, "value", number))
        _walk(doc, path, ctx)  # the target must exist, unlike for add
        return _add(doc, path, value, ctx, replace=True)
    if name == "test":
        expected = _member(op, "value", number)
        actual = _walk(doc, path, ctx)
        if not json_equal(actual, expected):
            raise ctx.fail(f"found {_brief(actual)}, expected {_brief(expected)}")
        return doc
    from_text = _member(op, "from", number)
    source = _pointer(from_text, number)
    if name == "copy":
        return _add(doc, path, json_copy(_walk(doc, source, _Op(name, from_text))), ctx)
    if path[:len(source)] == source and len(path) > len(source):
        raise ctx.fail(f"cannot move {from_text} into one of its own children", 400)
    if path == source:
        _walk(doc, source, _Op(name, from_text))  # a no-op move still needs its source
        return doc
    doc, value = _remove(doc, source, _Op(name, from_text))
    return _add(doc, path, value, ctx)


def _index(token: str, size: int, ctx: _Op, *, insert: bool = False) -> int:
    """The array index a token names; `insert` allows "-" and one past the end."""
    if insert and token == "-":
        return size
    if not _INDEX.fullmatch(token):
        raise ctx.fail(f"{token!r} is not an array index")
    index = int(token)
    if index > (size if insert else size - 1):
        raise ctx.fail(f"array index {index} is out of range (length {size})")
    return index


def _walk(doc: Any, path: list[str], ctx: _Op) -> Any:
    """The value at `path`; an error if any step of it does not exist."""
    node = doc
    for token in path:
        if isinstance(node, dict):
            if token not in node:
                raise ctx.missing()
            node = node[token]
        elif isinstance(node, list):
            if not _INDEX.fullmatch(token) or int(token) >= len(node):
                raise ctx.missing()
            node = node[int(token)]
        else:
            raise ctx.missing()
    return node


def _add(doc: Any, path: list[str], value: Any, ctx: _Op, *, replace: bool = False) -> Any:
    """Add (or, with `replace`, overwrite) `value` at `path` and return the document."""
    if not path:
        return value
    parent = _walk(doc, path[:-1], ctx)
    token = path[-1]
    if isinstance(parent, dict):
        parent[token] = value
    elif isinstance(parent, list):
        if replace:
            parent[_index(token, len(parent), ctx)] = value
        else:
            parent.insert(_index(token, len(parent), ctx, insert=True), value)
    else:
        raise ctx.fail("the parent of the path is not an object or an array")
    return doc


def _remove(doc: Any, path: list[str], ctx: _Op) -> tuple[Any, Any]:
    """Remove the value at `path`; return the document and the removed value."""
    if not path:
        # Kubernetes objects cannot become "nothing"; refuse rather than return None.
        raise ctx.fail("cannot remove the whole document")
    parent = _walk(doc, path[:-1], ctx)
    token = path[-1]
    if isinstance(parent, dict):
        if token not in parent:
            raise ctx.missing()
        return doc, parent.pop(token)
    if isinstance(parent, list):
        if not _INDEX.fullmatch(token) or int(token) >= len(parent):
            raise ctx.missing()
        return doc, parent.pop(int(token))
    raise ctx.missing()
