"""Check kubeconfig files before anything uses them: a file the client would choke on (bad
YAML, `clusters: 5`, a directory, /etc/passwd) is named with its line and problem."""

from __future__ import annotations

import os
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tui.adapters.kube_types import KubeError
from tui.domain.schema import Problem
from tui.domain.yamlload import load_nodes

# The lists a kubeconfig holds, and the mapping each entry carries under its own key.
_LISTS = {"clusters": "cluster", "contexts": "context", "users": "user"}
_NULL_TAG = "tag:yaml.org,2002:null"


def _at(node: Node, message: str, expected: str = "") -> Problem:
    mark = node.start_mark
    return Problem(mark.line + 1, mark.column + 1, message, expected)


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL_TAG


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return f"the value {node.value!r}" if len(str(node.value)) <= 40 else "a long text"


def _entry_problems(key: str, entry: Node) -> list[Problem]:
    """Problems of one item of `clusters`, `contexts` or `users`."""
    if not isinstance(entry, MappingNode):
        return [_at(entry, f"an item of {key} is {_kind(entry)}",
                    f"a mapping with name and {_LISTS[key]}")]
    fields = {k.value: v for k, v in entry.value if isinstance(k, ScalarNode)}
    problems = []
    name = fields.get("name")
    if name is None or not isinstance(name, ScalarNode) or _is_null(name):
        problems.append(_at(entry, f"an item of {key} has no name", "name: TEXT"))
    body = fields.get(_LISTS[key])
    if body is not None and not _is_null(body) and not isinstance(body, MappingNode):
        problems.append(_at(body, f"{_LISTS[key]} is {_kind(body)}", "a mapping"))
    return problems


def structure_problems(root: Node) -> list[Problem]:
    """What in a parsed kubeconfig the client cannot use, each at its line."""
    if not isinstance(root, MappingNode):
        return [_at(root, f"the file holds {_kind(root)}, not a kubeconfig",
                    "a mapping with clusters, contexts and users")]
    problems: list[Problem] = []
    for key_node, value in root.value:
        key = key_node.value if isinstance(key_node, ScalarNode) else None
        if key in _LISTS and not _is_null(value):
            if not isinstance(value, SequenceNode):
                problems.append(_at(value, f"{key} is {_kind(value)}",
                                    f"a list of mappings with name and {_LISTS[key]}"))
                continue
            for entry in value.value:
                problems += _entry_problems(key, entry)
        elif key == "current-context" and not isinstance(value, ScalarNode):
            problems.append(_at(value, f"current-context is {_kind(value)}", "a context name"))
    return problems


def file_problems(path: str | os.PathLike[str]) -> list[str]:
    """Every problem of one kubeconfig file as `FILE:LINE:COL: problem (expected …)`."""
    shown = str(path)
    if Path(path).is_dir():
        return [f"{shown}: is a folder, not a kubeconfig file"]
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return [f"{shown}: cannot be read: {exc.strerror or exc}"]
    if not data.strip():
        return []  # kubectl reads an empty file as an empty configuration
    root, _text, problems = load_nodes(data)
    if root is not None and not problems:
        problems = structure_problems(root)
    return [p.format(shown) for p in problems]


def check_files(files: list[str]) -> None:
    """Raise KubeError naming file, line and problem when any kubeconfig file is unusable."""
    problems = [problem for path in files for problem in file_problems(path)]
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise KubeError(f"kubeconfig {problems[0]}{more} — fix the file or pass another "
                        "with --kubeconfig", reason="Config", detail="\n".join(problems))
