"""Executors of the k8s.* actions, on the Kubernetes adapter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tui.actions.base import (
    FAILED,
    OK,
    SKIPPED,
    ActionContext,
    ActionError,
    Outcome,
    as_int,
    generation_key,
)
from tui.adapters.kube_types import KubeError, Revision
from tui.domain.actions import Permission
from tui.domain.target import (
    TEMPLATE_HASH,
    RevisionFacts,
    RolloutTarget,
    template_version,
)


def _where(args: Mapping[str, Any], ctx: ActionContext) -> str:
    return f'in namespace "{ctx.namespace(args)}" ({ctx.kube.target.describe()})'


class Snapshot:
    """k8s.snapshot."""

    name = "k8s.snapshot"

    def describe(self, args: Mapping[str, Any], ctx: ActionContext) -> str:
        return (f"GET deployments, replicasets, pods, services, events {_where(args, ctx)} "
                f"→ {ctx.incident_dir}/{args.get('output') or 'snapshot.yaml'}")

    def run(self, args: Mapping[str, Any], ctx: ActionContext) -> Outcome:
        path = ctx.kube.snapshot(ctx.incident_dir, args.get("deployment") or None,
                                 filename=args.get("output") or "snapshot.yaml",
                                 namespace=ctx.namespace(args))
        return Outcome(OK, f"saved {path.name} ({path.stat().st_size:,} bytes)",
                       {"path": str(path)})


class RolloutHistory:
    """k8s.rollout_history."""

    name = "k8s.rollout_history"

    def describe(self, args: Mapping[str, Any], ctx: ActionContext) -> str:
        return (f"GET deployments.apps/{args['deployment']} and its replicasets "
                f"{_where(args, ctx)}")

    def run(self, args: Mapping[str, Any], ctx: ActionContext) -> Outcome:
        ns, name = ctx.namespace(args), args["deployment"]
        revisions = ctx.kube.rollout_history(name, namespace=ns)
        target = as_int(args.get("to_revision") or 0, "to_revision")
        frozen = ctx.targets.get(f"{ns}/{name}")
        facts = {r.number: revision_facts(r) for r in revisions}
        if frozen is not None:
            found = next((f for f in facts.values() if frozen.matches(f)), None)
            target = found.number if found else target
        lines = ["REVISION  CHANGE-CAUSE  IMAGES"]
        lines += [f"{r.number:<8}{'*' if r.current else ' '} {r.change_cause or '<none>'}  "
                  f"{', '.join(r.images)}" for r in revisions]
        current = next((r.number for r in revisions if r.current), None)
        detail: dict[str, Any] = {"revisions": [r.number for r in revisions], "current": current}
        if frozen is not None and target == current:
            lines.append(f"the frozen target {facts[target].label} is the live revision")
            return Outcome(OK, f"{len(revisions)} revisions, current {current}; the frozen "
                               f"target {facts[target].label} is already live",
                           {**detail, "target": target, "diff": []}, lines)
        diff = ctx.kube.revision_diff(name, target, namespace=ns)
        lines += [f"rolling back to revision {diff.to_revision} would change:"]
        lines += [f"  {line}" for line in diff.lines()] or ["  nothing (same template)"]
        which = "frozen target" if frozen is not None else "target"
        summary = (f"{len(revisions)} revisions, current {current}; {which} {diff.to_revision}"
                   + (f" ({facts[diff.to_revision].version})" if diff.to_revision in facts
                      else "")
                   + (" has the same template" if diff.empty else
                      f" differs in {len(diff.lines())} way(s)"))
        return Outcome(OK, summary, {**detail, "target": diff.to_revision,
                                     "diff": diff.lines()}, lines)


def revision_facts(revision: Revision) -> RevisionFacts:
    """What the target choice needs from one entry of the rollout history."""
    labels = (revision.template.get("metadata") or {}).get("labels") or {}
    return RevisionFacts(revision.number, revision.replicaset, tuple(revision.images),
                         template_version(revision.template), str(labels.get(TEMPLATE_HASH, "")),
                         revision.current, revision.change_cause)


def frozen_revision(target: RolloutTarget, ctx: ActionContext) -> RevisionFacts:
    """Today's entry of the rollout history that is the frozen target (numbers move on undo)."""
    history = [revision_facts(r) for r in
               ctx.kube.rollout_history(target.deployment, namespace=target.namespace)]
    found = next((r for r in history if target.matches(r)), None)
    if found is None:
        known = ", ".join(r.label for r in history) or "none"
        raise ActionError(f"the rollback target {target.label} (ReplicaSet {target.replicaset}) "
                          f"is no longer in the history of deployment {target.deployment} "
                          f"(revisions: {known}) — pick a new target in the decision")
    return found


class RolloutUndo:
    """k8s.rollout_undo to the frozen target, with kubectl's semantics plus paused and stuck
    rollouts; without a frozen target, to `to_revision` as kubectl would."""

    name = "k8s.rollout_undo"

    def describe(self, args: Mapping[str, Any], ctx: ActionContext) -> str:
        frozen = ctx.targets.get(f"{ctx.namespace(args)}/{args['deployment']}")
        target = as_int(args.get("to_revision") or 0, "to_revision")
        if frozen is not None:
            which = f"the frozen target {frozen.label}, ReplicaSet {frozen.replicaset}"
        else:
            which = f"revision {target}" if target else "the previous revision"
        return (f"PATCH deployments.apps/{args['deployment']} {_where(args, ctx)} "
                f"(application/json-patch+json): replace /spec/template and "
                f"/metadata/annotations with those of {which}")

    def evidence(self, args: Mapping[str, Any], ctx: ActionContext) -> str | None:
        """Proof the undo already happened: the live template is the frozen target's."""
        frozen = ctx.targets.get(f"{ctx.namespace(args)}/{args['deployment']}")
        if frozen is None:
            return None
        found = frozen_revision(frozen, ctx)
        if not found.current:
            return None
        return (f"the live template of deployment {frozen.deployment} is the target's: "
                f"revision {found.number} ({found.version}), ReplicaSet {found.replicaset}")

    def run(self, args: Mapping[str, Any], ctx: ActionContext) -> Outcome:
        ns, name = ctx.namespace(args), args["deployment"]
        target = as_int(args.get("to_revision") or 0, "to_revision")
        frozen = ctx.targets.get(f"{ns}/{name}")
        lines = []
        if frozen is not None:
            found = frozen_revision(frozen, ctx)
            target = found.number
            if found.current:
                generation = int((ctx.kube.get_deployment(name, namespace=ns).get("metadata")
                                  or {}).get("generation") or 0)
                ctx.state[generation_key(ns, name)] = generation
                return Outcome(OK, f"already at revision {found.number} ({found.version}); "
                                   "nothing changed",
                               {"changed": False, "from_revision": found.number,
                                "to_revision": found.number, "generation": generation,
                                "resumed": False, "dry_run": ctx.dry_run,
                                "namespace": ns, "deployment": name})
        gitops = ctx.kube.gitops_manager(name, namespace=ns)
        if gitops is not None:
            lines.append(f"WARNING: {name} is managed by {gitops.tool} ({gitops.app}); auto-sync "
                         f"will re-apply the bad revision. Suspend it first: {gitops.suspend}")
        resume = bool(args.get("resume_if_paused", True))
        try:
            result = ctx.kube.rollout_undo(name, target, resume_paused=False,
                                           dry_run=ctx.dry_run, namespace=ns)
        except KubeError as exc:
            if exc.reason != "Paused":
                raise
            question = (f"deployment {name} is paused; kubectl refuses to roll it back. "
                        "Resume it and roll back?")
            if not (resume and ctx.confirm(question)):
                return Outcome(FAILED, f"{exc} (not resumed)", {"error": exc.to_dict()}, lines)
            lines.append(f"resumed paused deployment {name} (confirmed)")
            result = ctx.kube.rollout_undo(name, target, resume_paused=True,
                                           dry_run=ctx.dry_run, namespace=ns)
        ctx.state[generation_key(ns, name)] = result.generation
        detail = {"changed": result.changed, "from_revision": result.from_revision,
                  "to_revision": result.to_revision, "generation": result.generation,
                  "resumed": result.resumed, "dry_run": result.dry_run,
                  "namespace": ns, "deployment": name}
        if gitops is not None:
            detail["gitops"] = {"tool": gitops.tool, "app": gitops.app,
                                "suspend": gitops.suspend}
        return Outcome(OK, result.message, detail, lines)


class RolloutStatus:
    """k8s.rollout_status, judged on fresh conditions."""

    name = "k8s.rollout_status"

    def describe(self, args: Mapping[str, Any], ctx: ActionContext) -> str:
        return (f"WATCH deployments.apps/{args['deployment']} {_where(args, ctx)} until updated,"
                f" ready and available replicas match (timeout {args.get('timeout') or '5m'})")

    def run(self, args: Mapping[str, Any], ctx: ActionContext) -> Outcome:
        ns, name = ctx.namespace(args), args["deployment"]
        if ctx.dry_run:
            return Outcome(SKIPPED, "dry-run: nothing was rolled out, nothing to wait for")
        seen: list[str] = []

        def progress(p: Any) -> None:
            if not seen or seen[-1] != p.message:
                seen.append(p.message)
                ctx.progress(p.message)

        final = ctx.kube.rollout_status(
            name, timeout=ctx.seconds(args.get("timeout"), "5m"), on_progress=progress,
            min_generation=ctx.state.get(generation_key(ns, name)), stop=ctx.cancel,
            namespace=ns)
        return Outcome(OK, final.message, {"updated": final.updated, "ready": final.ready,
                                           "available": final.available,
                                           "replicas": final.replicas, "progress": seen[-20:]})


class Scale:
    """k8s.scale."""

    name = "k8s.scale"

    def describe(self, args: Mapping[str, Any], ctx: ActionContext) -> str:
        return (f"PATCH deployments.apps/{args['deployment']}/scale {_where(args, ctx)} "
                f'(application/merge-patch+json): {{"spec":{{"replicas":{args["replicas"]}}}}}')

    def evidence(self, args: Mapping[str, Any], ctx: ActionContext) -> str | None:
        """Proof the scale already happened: the Deployment wants that many replicas."""
        replicas = as_int(args["replicas"], "replicas")
        body = ctx.kube.get_deployment(args["deployment"], namespace=ctx.namespace(args))
        wanted = (body.get("spec") or {}).get("replicas")
        if wanted != replicas:
            return None
        return f"deployment {args['deployment']} already wants {replicas} replicas"

    def run(self, args: Mapping[str, Any], ctx: ActionContext) -> Outcome:
        replicas = as_int(args["replicas"], "replicas")
        previous = ctx.kube.scale(args["deployment"], replicas, dry_run=ctx.dry_run,
                                  namespace=ctx.namespace(args))
        verb = "would scale" if ctx.dry_run else "scaled"
        return Outcome(OK, f"{verb} {args['deployment']} from {previous} to {replicas}",
                       {"previous": previous, "replicas": replicas})


class SwitchSelector:
    """k8s.patch_service_selector (blue-green switchback)."""

    name = "k8s.patch_service_selector"

    def describe(self, args: Mapping[str, Any], ctx: ActionContext) -> str:
        return (f"PATCH services/{args['service']} {_where(args, ctx)} (strategic merge): "
                f'{{"spec":{{"selector":{dict(args["selector"])}}}}} after checking the newly '
                "selected pods are ready")

    def evidence(self, args: Mapping[str, Any], ctx: ActionContext) -> str | None:
        """Proof the switch already happened: the live selector has these values."""
        body = ctx.kube.get_service(args["service"], namespace=ctx.namespace(args))
        live = (body.get("spec") or {}).get("selector") or {}
        if any(live.get(k) != v for k, v in dict(args["selector"]).items()):
            return None
        return f"service {args['service']} already selects {_labels(live)}"

    def run(self, args: Mapping[str, Any], ctx: ActionContext) -> Outcome:
        old = ctx.kube.switch_service_selector(
            args["service"], dict(args["selector"]),
            require_ready=bool(args.get("require_ready", True)), dry_run=ctx.dry_run,
            namespace=ctx.namespace(args))
        now = {k: v for k, v in {**old, **dict(args["selector"])}.items() if v is not None}
        return Outcome(OK, f"service {args['service']} selector {_labels(old)} → {_labels(now)}",
                       {"old_selector": old, "selector": dict(args["selector"]),
                        "resulting_selector": now})


class SetEnv:
    """k8s.set_env."""

    name = "k8s.set_env"

    def describe(self, args: Mapping[str, Any], ctx: ActionContext) -> str:
        names = ", ".join(f"{k}=…" for k in args["env"])
        return (f"PATCH deployments.apps/{args['deployment']} {_where(args, ctx)} (strategic "
                f"merge): set {names} on {args.get('container') or 'every container'}")

    def evidence(self, args: Mapping[str, Any], ctx: ActionContext) -> str | None:
        """Proof the variables are already set on every container concerned."""
        body = ctx.kube.get_deployment(args["deployment"], namespace=ctx.namespace(args))
        template = ((body.get("spec") or {}).get("template") or {}).get("spec") or {}
        wanted = {k: str(v) for k, v in args["env"].items()}
        containers = [c for c in template.get("containers") or []
                      if not args.get("container") or c.get("name") == args["container"]]
        for container in containers:
            env = {e.get("name"): e.get("value") for e in container.get("env") or []}
            if any(env.get(k) != v for k, v in wanted.items()):
                return None
        if not containers:
            return None
        return f"deployment {args['deployment']} already has {', '.join(wanted)} set"

    def run(self, args: Mapping[str, Any], ctx: ActionContext) -> Outcome:
        change = ctx.kube.set_env(args["deployment"], {k: str(v) for k, v in args["env"].items()},
                                  args.get("container") or None, dry_run=ctx.dry_run,
                                  namespace=ctx.namespace(args))
        return Outcome(OK, f"set {', '.join(args['env'])} on {args['deployment']} "
                       f"(generation {change.generation})",
                       {"old": change.old, "generation": change.generation})


class PatchConfigMap:
    """k8s.patch_configmap."""

    name = "k8s.patch_configmap"

    def describe(self, args: Mapping[str, Any], ctx: ActionContext) -> str:
        return (f"PATCH configmaps/{args['name']} {_where(args, ctx)} (merge): "
                f'{{"data":{dict(args["data"])}}}')

    def evidence(self, args: Mapping[str, Any], ctx: ActionContext) -> str | None:
        """Proof the ConfigMap already holds these values."""
        body = ctx.kube.get_configmap(args["name"], namespace=ctx.namespace(args))
        live = body.get("data") or {}
        if any(live.get(k) != str(v) for k, v in args["data"].items()):
            return None
        return f"configmap {args['name']} already has " + ", ".join(
            f"{k}={v!r}" for k, v in args["data"].items())

    def run(self, args: Mapping[str, Any], ctx: ActionContext) -> Outcome:
        data = {k: str(v) for k, v in args["data"].items()}
        old = ctx.kube.patch_configmap(args["name"], data, dry_run=ctx.dry_run,
                                       namespace=ctx.namespace(args))
        return Outcome(OK, f"configmap {args['name']}: " + ", ".join(
            f"{k} {old.get(k)!r} → {v!r}" for k, v in data.items()), {"old": old, "new": data})


def _labels(selector: Mapping[str, Any]) -> str:
    """`app=checkout,version=blue`, as kubectl prints a selector."""
    return ",".join(f"{k}={v}" for k, v in sorted(selector.items())) or "<none>"


def parse_permission(text: str) -> Permission:
    """`verb resource[.group][/subresource]` → Permission."""
    parts = text.split()
    if len(parts) != 2:
        raise ActionError(f"rbac check {text!r}: expected 'verb resource[.group][/sub]'")
    verb, resource = parts
    resource, _, sub = resource.partition("/")
    resource, _, group = resource.partition(".")
    return Permission(verb, resource, group, sub)


class RbacCheck:
    """k8s.rbac_check: SelfSubjectAccessReview for every permission the runbook needs."""

    name = "k8s.rbac_check"

    def permissions(self, args: Mapping[str, Any], ctx: ActionContext) -> list[Permission]:
        """The runbook's permissions plus any extra ones."""
        extra = [parse_permission(t) for t in args.get("extra") or []]
        return list(dict.fromkeys([*ctx.runbook.permissions(), *extra]))

    def describe(self, args: Mapping[str, Any], ctx: ActionContext) -> str:
        labels = ", ".join(p.label() for p in self.permissions(args, ctx))
        return f"POST selfsubjectaccessreviews {_where(args, ctx)} for: {labels}"

    def run(self, args: Mapping[str, Any], ctx: ActionContext) -> Outcome:
        ns = ctx.namespace(args)
        checks = ctx.kube.can_i(self.permissions(args, ctx), namespace=ns)
        lines = [f"{'✓' if c.allowed else '✗'} {c.permission.label():<45} {ns}" for c in checks]
        denied = [c.permission.label() for c in checks if not c.allowed]
        detail = {"checks": [{"permission": c.permission.label(), "allowed": c.allowed,
                              "reason": c.reason} for c in checks], "namespace": ns}
        if denied:
            return Outcome(FAILED, f"missing permission(s) in {ns}: {', '.join(denied)}", detail,
                           lines)
        return Outcome(OK, f"all {len(checks)} permissions allowed in {ns}", detail, lines)


EXECUTORS = (Snapshot(), RolloutHistory(), RolloutUndo(), RolloutStatus(), Scale(),
             SwitchSelector(), SetEnv(), PatchConfigMap(), RbacCheck())
