"""A safe YAML loader for Keras `to_yaml` files.

Keras 2 wrote tuples as `!!python/tuple`, which `yaml.safe_load` refuses. This loader reads that
one tag as a plain list and refuses every other python tag with a FormatError naming it; it never
constructs Python objects (it extends PyYAML's SafeLoader, which has no object constructors).
Alias expansion is bounded before construction, so a "billion laughs" file is refused instead of
exhausting memory when the result is walked or serialised.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from ...errors import FormatError
from . import bounds

PYTHON_TAG_PREFIX = "tag:yaml.org,2002:python/"
TUPLE_TAG = PYTHON_TAG_PREFIX + "tuple"
# Expanded node count allowed after resolving aliases (a Keras config has a few thousand).
MAX_EXPANDED_NODES = 1_000_000


def short_tag(tag: str) -> str:
    """`tag:yaml.org,2002:python/object/apply:os.system` -> `!!python/object/apply:os.system`."""
    if tag.startswith("tag:yaml.org,2002:"):
        return "!!" + tag[len("tag:yaml.org,2002:"):]
    return tag


# libyaml's composer when PyYAML has it: 100x faster than the pure-Python one (0.02 s against
# 1.7 s for a 0.66 MB config here). It recurses without a depth check, so it runs only after
# bounds.check_yaml has measured depth and size from the flat event stream.
_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BASE):  # type: ignore[valid-type,misc]
    """SafeLoader + `!!python/tuple` as list; every other non-standard tag is an error."""


def _tuple_as_list(loader: _Loader, node: Node) -> list[Any]:
    return loader.construct_sequence(node, deep=True)  # type: ignore[arg-type]


def _refuse(loader: _Loader, suffix: str, node: Node) -> Any:
    tag = short_tag(node.tag)
    where = node.start_mark.line + 1 if node.start_mark else "?"
    if node.tag.startswith(PYTHON_TAG_PREFIX):
        raise FormatError(f"YAML holds python tag {tag} (line {where}); kinspect refuses "
                          "python tags other than !!python/tuple: they construct Python objects")
    raise FormatError(f"YAML holds unsupported tag {tag} (line {where})")


_Loader.add_constructor(TUPLE_TAG, _tuple_as_list)
_Loader.add_multi_constructor(PYTHON_TAG_PREFIX, lambda lo, suffix, node: _refuse(lo, suffix, node))
_Loader.add_multi_constructor("!", lambda lo, suffix, node: _refuse(lo, suffix, node))
_Loader.add_multi_constructor("tag:", lambda lo, suffix, node: _refuse(lo, suffix, node))


def check_expansion(root: Node, limit: int = MAX_EXPANDED_NODES) -> None:
    """Count nodes as if every alias were copied; memoised so the count itself stays cheap."""
    sizes: dict[int, int] = {}
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in sizes and not done:
            continue
        children: list[Node] = []
        if isinstance(node, SequenceNode):
            children = list(node.value)
        elif isinstance(node, MappingNode):
            children = [n for pair in node.value for n in pair]
        if not done:
            sizes[key] = -1  # in progress: on the current path
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
            continue
        if any(sizes.get(id(c)) == -1 for c in children):
            raise FormatError("YAML holds a recursive alias (a node that contains itself)")
        total = 1 + sum(sizes.get(id(c), 1) for c in children)
        if total > limit:
            raise FormatError(f"YAML aliases expand to more than {limit:,} nodes; refused")
        sizes[key] = total


def load(text: str, max_nodes: int = MAX_EXPANDED_NODES) -> Any:
    """Parse YAML text; python tags other than tuple, and alias bombs, raise FormatError."""
    bounds.check_yaml(text)
    try:  # the reader rejects control characters as soon as it is built
        loader = _Loader(text)
    except yaml.YAMLError as exc:
        raise FormatError(f"not valid YAML: {' '.join(str(exc).split())}") from exc
    try:
        try:
            root = loader.get_single_node()
        except yaml.YAMLError as exc:
            raise FormatError(f"not valid YAML: {' '.join(str(exc).split())}") from exc
        if root is None:
            return None
        check_expansion(root, max_nodes)
        try:
            return loader.construct_document(root)
        except yaml.YAMLError as exc:
            raise FormatError(f"YAML cannot be read safely: {' '.join(str(exc).split())}") \
                from exc
    finally:
        loader.dispose()


def python_tags(root: Node) -> list[tuple[str, int]]:
    """Every python-tagged node of a composed document as (short tag, line), each node once
    (aliases are shared, not expanded), walked without recursion: nothing is constructed."""
    found: list[tuple[str, int]] = []
    seen: set[int] = set()
    stack: list[Node] = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.tag and node.tag.startswith(PYTHON_TAG_PREFIX):
            found.append((short_tag(node.tag), node.start_mark.line + 1 if node.start_mark else 0))
        if isinstance(node, SequenceNode):
            stack.extend(reversed(node.value))
        elif isinstance(node, MappingNode):
            stack.extend(n for pair in reversed(node.value) for n in reversed(pair))
    return found
