"""Frozen outputs named after what the user picked.

Freezing a Keras model through a concrete function names its outputs `Identity`,
`Identity_1`…, which says nothing about the layers picked (`predictions`, `mixed7`). The
Identity nodes the freeze added are renamed to the picked layer (or the model's output layer):
`predictions:0` is what the user then runs. A name already taken in the graph gets `_output`.
"""

from __future__ import annotations

import re
from typing import Any

FREEZE_IDENTITY = re.compile(r"Identity(_\d+)?")


def name_outputs(graph_def: Any, outputs: list[str], wanted: list[str]) -> list[str]:
    """Rename GRAPH_DEF's freeze Identities in place; returns the new output tensor names (an
    output that is no freeze Identity keeps its name)."""
    by_name = {n.name: n for n in graph_def.node}
    taken = set(by_name)
    renames: dict[str, str] = {}
    result = []
    for tensor, want in zip(outputs, wanted, strict=True):
        node, _, index = tensor.partition(":")
        nd = by_name.get(node)
        if nd is None or nd.op != "Identity" or index not in ("", "0") \
                or not FREEZE_IDENTITY.fullmatch(node) or not want:
            result.append(tensor)
            continue
        name = want if want not in taken else f"{want}_output"
        while name in taken:
            name += "_"
        taken.add(name)
        renames[node] = name
        result.append(f"{name}:0")
    if renames:
        _apply(graph_def, renames)
    return result


def _apply(graph_def: Any, renames: dict[str, str]) -> None:
    for nd in graph_def.node:
        if nd.name in renames:
            nd.name = renames[nd.name]
        for i, inp in enumerate(nd.input):
            control = inp.startswith("^")
            base, sep, index = inp.lstrip("^").partition(":")
            if base in renames:
                nd.input[i] = ("^" if control else "") + renames[base] + sep + index
