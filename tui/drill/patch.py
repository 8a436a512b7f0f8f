"""Patch application for the drill cluster: JSON patch, JSON merge patch, strategic merge patch.

Pure functions over JSON-like values (what `json.loads` returns). Inputs are never mutated, and
results share no dict or list with them, so the store can keep a result as the new object.
Errors are `PatchError`s whose message and `code` (400 or 422) go into a Kubernetes `Status`.
"""

from __future__ import annotations

from typing import Any

from tui.drill.patch_json import PatchError, apply_json_patch, json_copy, json_equal
from tui.drill.patch_strategic import KINDS, apply_strategic_merge_patch

__all__ = [
    "KINDS",
    "PatchError",
    "apply_json_patch",
    "apply_merge_patch",
    "apply_strategic_merge_patch",
    "json_copy",
    "json_equal",
    "patch_is_noop",
]


def apply_merge_patch(doc: Any, patch: Any) -> Any:
    """Apply an RFC 7386 JSON merge patch to `doc` and return the patched copy."""
    return _merge(json_copy(doc), patch)


def _merge(target: Any, patch: Any) -> Any:
    """RFC 7386 MergePatch on a target this module owns (already copied)."""
    if not isinstance(patch, dict):
        return json_copy(patch)
    # RFC 7386 section 2: an object patch turns a non-object target into {} first.
    if not isinstance(target, dict):
        target = {}
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = _merge(target.get(key), value)
    return target


def patch_is_noop(before: Any, after: Any) -> bool:
    """Whether a patch changed nothing (JSON deep equality), so resourceVersion must not move."""
    return json_equal(before, after)
