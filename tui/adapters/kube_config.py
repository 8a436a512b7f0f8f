"""Find and load credentials the way kubectl does: --kubeconfig, KUBECONFIG, ~/.kube/config,
in-cluster — into a Configuration of our own (the client's global default is never touched)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import urllib3
from kubernetes.client import Configuration
from kubernetes.config.config_exception import ConfigException
from kubernetes.config.incluster_config import (
    SERVICE_CERT_FILENAME,
    SERVICE_HOST_ENV_NAME,
    SERVICE_TOKEN_FILENAME,
    InClusterConfigLoader,
)
from kubernetes.config.kube_config import KubeConfigLoader, KubeConfigMerger

from tui.adapters.kube_config_check import check_files
from tui.adapters.kube_errors import from_config_exception
from tui.adapters.kube_types import KubeError, Target

IN_CLUSTER_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
# The client merges KUBECONFIG entries split on this separator, as kubectl does.
PATH_SEPARATOR = os.pathsep
DRILL_EXTENSION = "rollback-tui.drill"  # written by the drill cluster into its kubeconfig


def kubeconfig_files(kubeconfig: str | os.PathLike[str] | None) -> tuple[list[str], str]:
    """The kubeconfig files to merge and where they came from; ([], "") means none found."""
    if kubeconfig is not None:
        path = Path(kubeconfig).expanduser()
        if path.is_dir():
            raise KubeError(f"kubeconfig {path} is a folder, not a file (given with "
                            "--kubeconfig) — pass the kubeconfig file itself", reason="Config",
                            detail=str(path))
        if not path.is_file():
            raise KubeError(f"kubeconfig {path} not found (given with --kubeconfig) — check the "
                            "path", reason="Config", detail=str(path))
        return [str(path)], str(path)
    listed = os.environ.get("KUBECONFIG", "")
    if listed.strip():
        # kubectl skips entries that do not exist and merges the rest, first file winning.
        existing = [str(Path(p).expanduser()) for p in listed.split(PATH_SEPARATOR)
                    if p and Path(p).expanduser().is_file()]
        if existing:
            return existing, "KUBECONFIG=" + listed
        if not os.environ.get(SERVICE_HOST_ENV_NAME):
            raise KubeError(f"none of the files in KUBECONFIG exist ({listed}) — fix KUBECONFIG "
                            "or pass --kubeconfig", reason="Config", detail=listed)
        return [], ""
    default = Path("~/.kube/config").expanduser()
    if default.is_file():
        return [str(default)], str(default)
    return [], ""


def _load_kubeconfig(files: list[str], source: str, context: str | None,
                     namespace: str | None, cfg: Configuration) -> Target:
    check_files(files)
    try:
        merger = KubeConfigMerger(PATH_SEPARATOR.join(files))
    except (ConfigException, OSError, ValueError) as exc:
        raise KubeError(f"cannot read the kubeconfig {source}: {exc} — check the file",
                        reason="Config", detail=str(exc)) from exc
    merged = merger.config
    if merged is None:
        raise KubeError(f"the kubeconfig {source} is empty — check the file", reason="Config")
    contexts = [str(c["name"]) for c in merged.value.get("contexts") or []]
    if context is None:
        # kubectl takes current-context from the first file that sets it; the client's
        # merger would take the last.
        context = next((str(merger.config_files[p]["current-context"]) for p in merger.paths
                        if (merger.config_files[p] or {}).get("current-context")), None)
        if not context:
            raise KubeError(f"the kubeconfig {source} sets no current-context — pass --context "
                            f"(available: {', '.join(contexts) or 'none'})", reason="Config")
    if context not in contexts:
        raise KubeError(f'context "{context}" not found in the kubeconfig {source} — available: '
                        f"{', '.join(contexts) or 'none'}", reason="Config", detail=context)
    try:
        loader = KubeConfigLoader(config_dict=merged, active_context=context,
                                  config_base_path=None)
        loader.load_and_set(cfg)
    except ConfigException as exc:
        raise from_config_exception(exc, source) from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KubeError(f"cannot use context {context} of the kubeconfig {source}: {exc} — "
                        "check its cluster and user entries", reason="Config",
                        detail=str(exc)) from exc
    entry = loader.current_context.get("context") or {}
    return Target(context=context, server=cfg.host, user=str(entry.get("user") or ""),
                  namespace=namespace or str(entry.get("namespace") or "") or "default",
                  kubeconfig=source, drill=_is_drill(merged.value, entry.get("cluster")))


def _is_drill(config: Any, cluster_name: object) -> bool:
    """Whether the context's cluster carries the drill cluster's kubeconfig extension."""
    def plain(node: Any) -> Any:  # the client's merger wraps dicts in ConfigNode
        return getattr(node, "value", node)

    for cluster in plain(config or {}).get("clusters") or []:
        cluster = plain(cluster)
        if cluster.get("name") != cluster_name:
            continue
        extensions = plain(plain(cluster.get("cluster") or {}).get("extensions") or [])
        return any(plain(e).get("name") == DRILL_EXTENSION for e in extensions
                   if isinstance(plain(e), dict))
    return False


def marks_drill(kubeconfig: str | os.PathLike[str] | None, context: str | None) -> bool:
    """Whether the kubeconfig's context (given, else current) is a drill cluster's; read
    without loading credentials (no exec plugin runs). False when it cannot be read."""
    try:
        files, _source = kubeconfig_files(kubeconfig)
        merger = KubeConfigMerger(PATH_SEPARATOR.join(files)) if files else None
    except (KubeError, ConfigException, OSError, ValueError):
        return False
    if merger is None or merger.config is None:
        return False
    context = context or next((str(merger.config_files[p]["current-context"])
                               for p in merger.paths
                               if (merger.config_files[p] or {}).get("current-context")), None)
    for entry in merger.config.value.get("contexts") or []:
        entry = getattr(entry, "value", entry)  # the merger wraps dicts in ConfigNode
        if str(entry.get("name")) == context:
            settings = getattr(entry.get("context"), "value", entry.get("context")) or {}
            return _is_drill(merger.config.value, settings.get("cluster"))
    return False


def _load_in_cluster(namespace: str | None, cfg: Configuration) -> Target:
    try:
        InClusterConfigLoader(token_filename=SERVICE_TOKEN_FILENAME,
                              cert_filename=SERVICE_CERT_FILENAME).load_and_set(cfg)
    except ConfigException as exc:
        raise KubeError(f"no kubeconfig found and the in-cluster service account is unusable "
                        f"({exc}) — set KUBECONFIG or pass --kubeconfig", reason="Config",
                        detail=str(exc)) from exc
    if not namespace:
        try:
            namespace = Path(IN_CLUSTER_NAMESPACE_FILE).read_text().strip()
        except OSError:
            namespace = ""
    return Target(context="in-cluster", server=cfg.host, user="serviceaccount",
                  namespace=namespace or "default", in_cluster=True)


def preflight(kubeconfig: str | os.PathLike[str] | None) -> None:
    """Refuse, before an incident opens, kubeconfig files that are missing or malformed."""
    files, _source = kubeconfig_files(kubeconfig)
    check_files(files)


def load_configuration(kubeconfig: str | os.PathLike[str] | None, context: str | None,
                       namespace: str | None) -> tuple[Configuration, Target]:
    """A fresh client Configuration and the Target it points at; KubeError when unusable."""
    cfg = Configuration()
    files, source = kubeconfig_files(kubeconfig)
    if files:
        target = _load_kubeconfig(files, source, context, namespace, cfg)
    elif os.environ.get(SERVICE_HOST_ENV_NAME):
        target = _load_in_cluster(namespace, cfg)
    else:
        raise KubeError("no kubeconfig found (no --kubeconfig, KUBECONFIG unset, no "
                        "~/.kube/config) and not running inside a cluster — set KUBECONFIG or "
                        "pass --kubeconfig", reason="Config")
    # Reconnect once on a refused or reset connection, never replay a request whose answer
    # was lost (a PATCH must not be sent twice); 5xx answers are retried per call instead.
    cfg.retries = urllib3.Retry(total=2, connect=1, read=0, status=0, other=0, redirect=2,
                                backoff_factor=0.2, raise_on_status=False)
    return cfg, target
