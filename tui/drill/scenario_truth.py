"""A scenario's ground truth: the right decision, strategy and end state, checked against the
scenario itself so that a truth can only name deployments, revisions and versions it has."""

from __future__ import annotations

from typing import Any

from yaml.nodes import MappingNode, Node, SequenceNode

from tui.domain.assessment import Decision, Severity
from tui.domain.schema import Bool, Checker, Duration, Field, Int, ListOf, MapOf, Obj, Str
from tui.domain.strategies import STRATEGIES


def _text(name: str, description: str, required: bool = False) -> Field:
    return Field(name, Str(templated=False, min_length=1), description, required)


TARGET = Obj((
    _text("namespace", "namespace of the deployment", True),
    _text("deployment", "a deployment of this scenario", True),
    Field("revision", Int(minimum=1), "the revision it must run at the end, as the drill "
          "numbers the scenario's revisions (1 = the first, oldest entry)"),
    _text("version", "the version it must serve at the end (that revision's version)"),
    _text("image", "the image it must run at the end (that revision's image)"),
), what="a target")

UNTOUCHED = Obj((
    _text("namespace", "namespace of the deployment", True),
    _text("deployment", "a deployment the right play never changes", True),
), what="an untouched deployment")

SELECTOR = Obj((
    _text("namespace", "namespace of the Service", True),
    _text("service", "a Service of this scenario", True),
    Field("selector", MapOf(Str(templated=False), templated_keys=False),
          "the pod selector the Service must have at the end", True),
), what="a service selector")

FLAG_STATE = Obj((
    _text("service", "the service the flag belongs to (as in the scenario's flags)", True),
    _text("key", "the flag's key", True),
    Field("enabled", Bool(), "whether the flag is on at the end", True),
), what="a flag state")

FIX_FORWARD = Decision.FIX_FORWARD.value

TRUTH = Obj((
    Field("decision", Str(templated=False, choices=tuple(d.value for d in Decision)),
          "the right decision", True),
    Field("strategy", Str(templated=False, choices=tuple(s.id for s in STRATEGIES),
                          what="strategy"),
          f"the right rollback strategy; required unless the decision is {FIX_FORWARD}"),
    Field("severity", Str(templated=False, choices=tuple(s.value for s in Severity)),
          "the incident's severity", True),
    Field("targets", ListOf(TARGET), "what must run where at the end (an incomplete "
          "rollback otherwise); required for ROLLBACK"),
    Field("untouched", ListOf(UNTOUCHED), "deployments the right play does not change"),
    Field("selectors", ListOf(SELECTOR), "Service selectors at the end (a blue-green "
          "switchback)"),
    Field("flags", ListOf(FLAG_STATE), "feature flags' state at the end"),
    Field("restore_within", Duration(), "scenario time from detection to restored service "
          "(default: the strategy's upper time from the playbook)"),
    _text("why", "one paragraph: why this is the right call, in the playbook's terms", True),
    Field("practise", ListOf(Str(templated=False, min_length=1)),
          "what to practise next when this drill went wrong"),
), what="the truth")


def child(node: Node | None, *path: str | int) -> Node | None:
    """The node at `path` (mapping keys and list indexes) under `node`, or None."""
    for step in path:
        if isinstance(node, MappingNode) and isinstance(step, str):
            node = next((v for k, v in node.value if getattr(k, "value", None) == step), None)
        elif isinstance(node, SequenceNode) and isinstance(step, int):
            node = node.value[step] if step < len(node.value) else None
        else:
            return None
    return node


def pod_labels(spec: dict[str, Any], revision: dict[str, Any]) -> dict[str, Any]:
    """The labels the drill gives the pods of a scenario deployment's revision."""
    return {"app": spec.get("name"), **(spec.get("labels") or {}),
            **(revision.get("labels") or {})}


def check_truth(raw: dict[str, Any], root: Node, ck: Checker) -> None:
    """Cross-check the validated truth against the scenario; problems at the truth's nodes."""
    truth = raw.get("truth")
    node = child(root, "truth")
    if not isinstance(truth, dict) or node is None:
        return
    deployments = {(d.get("namespace"), d.get("name")): d
                   for d in raw.get("deployments") or [] if isinstance(d, dict)}
    known = ", ".join(f"{ns}/{name}" for ns, name in deployments) or "none"
    decision, strategy = truth.get("decision"), truth.get("strategy")
    if decision and decision != FIX_FORWARD and "strategy" not in truth:
        ck.at(node, f"missing strategy for decision {decision}",
              "strategy: " + ", ".join(s.id for s in STRATEGIES))
    if decision == FIX_FORWARD and strategy:
        ck.at(child(node, "strategy") or node, f"a {FIX_FORWARD} decision takes no strategy",
              "no strategy key")
    if decision == Decision.ROLLBACK.value and not truth.get("targets"):
        ck.at(child(node, "targets") or node, "a ROLLBACK truth needs targets",
              "targets: [{namespace, deployment, revision, version}]")
    for section in ("targets", "untouched"):
        for index, item in enumerate(truth.get(section) or []):
            if not isinstance(item, dict):
                continue
            at = child(node, section, index) or node
            spec = deployments.get((item.get("namespace"), item.get("deployment")))
            if spec is None:
                ck.at(child(at, "deployment") or node,
                      f"no deployment {item.get('deployment')!r} in namespace "
                      f"{item.get('namespace')!r} in this scenario", f"one of: {known}")
            elif section == "targets":
                _check_target(item, spec, at, ck)
    _check_selectors(raw, truth, node, ck)
    _check_flags(raw, truth, node, ck)


def _check_target(item: dict[str, Any], spec: dict[str, Any], at: Node, ck: Checker) -> None:
    revisions = [r for r in spec.get("revisions") or [] if isinstance(r, dict)]
    versions = [str(r.get("version")) for r in revisions]
    name, revision, version = spec.get("name"), item.get("revision"), item.get("version")
    if "revision" not in item and "version" not in item:
        ck.at(at, f"target {name!r} names no revision or version",
              "revision: N and/or version: TEXT")
    image = item.get("image")
    if isinstance(revision, int) and 0 < revision <= len(revisions) and image is not None \
            and revisions[revision - 1].get("image") != image:
        ck.at(child(at, "image") or at, f"revision {revision} of {name!r} runs "
              f"{revisions[revision - 1].get('image')!r}, not {image!r}",
              repr(revisions[revision - 1].get("image")))
    if isinstance(revision, int) and revision > len(revisions):
        ck.at(child(at, "revision") or at, f"deployment {name!r} has {len(revisions)} "
              f"revision(s); there is no revision {revision}", f"1 to {len(revisions)}")
    elif isinstance(revision, int) and version is not None \
            and versions[revision - 1] != version:
        ck.at(child(at, "version") or at, f"revision {revision} of {name!r} serves "
              f"{versions[revision - 1]!r}, not {version!r}", repr(versions[revision - 1]))
    elif revision is None and version is not None and version not in versions:
        ck.at(child(at, "version") or at, f"deployment {name!r} has no revision serving "
              f"{version!r}", "one of: " + ", ".join(versions))


def _check_selectors(raw: dict[str, Any], truth: dict[str, Any], node: Node,
                     ck: Checker) -> None:
    services = {(s.get("namespace"), s.get("name"))
                for s in raw.get("services") or [] if isinstance(s, dict)}
    for index, item in enumerate(truth.get("selectors") or []):
        if not isinstance(item, dict):
            continue
        at = child(node, "selectors", index)
        where = item.get("namespace")
        if (where, item.get("service")) not in services:
            ck.at(child(at, "service") or node, f"no service {item.get('service')!r} in "
                  f"namespace {where!r} in this scenario",
                  "one of: " + ", ".join(f"{ns}/{name}" for ns, name in sorted(services)))
            continue
        selector = item.get("selector") or {}
        pods = [pod_labels(d, (d.get("revisions") or [{}])[-1] or {})
                for d in raw.get("deployments") or []
                if isinstance(d, dict) and d.get("namespace") == where]
        if not any(all(labels.get(k) == v for k, v in selector.items()) for labels in pods):
            ck.at(child(at, "selector") or at, "the selector matches no deployment's pods in "
                  f"namespace {where!r}", "labels some deployment's pods carry")


def _check_flags(raw: dict[str, Any], truth: dict[str, Any], node: Node, ck: Checker) -> None:
    flags = {(f.get("service"), f.get("key")) for f in raw.get("flags") or []
             if isinstance(f, dict)}
    for index, item in enumerate(truth.get("flags") or []):
        if isinstance(item, dict) and (item.get("service"), item.get("key")) not in flags:
            at = child(node, "flags", index)
            ck.at(child(at, "key") or node, f"no flag {item.get('key')!r} on service "
                  f"{item.get('service')!r} in this scenario", "one of the scenario's flags: "
                  + (", ".join(f"{s}:{k}" for s, k in sorted(flags)) or "none"))


def completed(truth: dict[str, Any], deployments: list[dict[str, Any]]) -> dict[str, Any]:
    """The truth with each target's image and version filled in from its revision, so a
    scorer can compare it with what a Deployment runs at the end (whose revision number the
    rollback itself changes: an undo to revision 2 of 3 makes revision 4)."""
    by_name = {(d.get("namespace"), d.get("name")): d for d in deployments}
    targets = []
    for target in truth.get("targets") or []:
        spec = by_name.get((target.get("namespace"), target.get("deployment"))) or {}
        revisions, revision = spec.get("revisions") or [], target.get("revision")
        if isinstance(revision, int) and 0 < revision <= len(revisions):
            chosen = revisions[revision - 1]
            target = {**target, "version": str(chosen["version"]), "image": chosen["image"]}
        targets.append(target)
    return {**truth, "targets": targets} if "targets" in truth else dict(truth)
