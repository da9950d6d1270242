"""Small helpers of the Graph page: whether QtWebEngine can run, the tree row of a node Netron
reports, stopping the servers with the page."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any

from ...model import Document, Kind, Node


def webengine_error() -> str | None:
    """Why the embedded view cannot run here (None: it can). QtWebEngine is an optional part of
    some PySide6 builds; KINSPECT_NO_WEBENGINE=1 forces the "Open in browser" fallback."""
    if os.environ.get("KINSPECT_NO_WEBENGINE"):
        return "disabled by KINSPECT_NO_WEBENGINE"
    try:
        importlib.import_module("PySide6.QtWebEngineWidgets")
    except ImportError as exc:  # pragma: no cover - depends on the installation
        return str(exc)
    return None


def tree_row(doc: Document, name: str, cache: dict[str, Node]) -> Node | None:
    """The tree row of the graph node or layer called `name` (`cache` keeps a Keras index)."""
    if doc.nodes:  # graph readers find the flat row without building the whole tree
        from ...formats.tf.graph_tree import row_for

        row = row_for(doc, name)
        if row is not None:
            return row
    if not cache:
        for node in doc.root.walk():
            if node.kind in (Kind.GRAPH_NODE, Kind.LAYER):
                cache.setdefault(node.name, node)
    return cache.get(name)


def stopper(view: Any) -> Callable[..., None]:
    """A slot for `destroyed` that stops the page's server without touching the (already
    destroyed) widget's Qt side."""
    holder = {"view": view}

    def stop(*_args: object) -> None:
        view = holder.pop("view", None)
        if view is not None:
            stop_servers(view)
    return stop


def stop_servers(view: Any) -> None:
    """Stop the page's server and the ones started for "Open in browser"."""
    servers = [getattr(view, "server", None), *getattr(view, "browser_servers", [])]
    for server in servers:
        if server is not None:
            server.stop()
