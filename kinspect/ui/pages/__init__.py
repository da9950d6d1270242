"""Pages of a document view besides the tree (Summary, Graph, Safety, Outputs…).

Each feature registers a factory here instead of editing DocumentView: the factory gets the
DocumentView and returns a widget, or None when the page does not apply to this document.
Pages are created on the GUI thread when the document is shown: a factory must return at
once on a 200,000-node graph, so slow work (a scan, output suggestions) goes to a worker
(ui/workers.py), as the Safety and Outputs pages do.
"""

from __future__ import annotations

# (title, module path, factory attribute). Modules are imported when a document is shown, so a
# page whose module fails to import shows as an error page instead of breaking the window.
PAGES: list[tuple[str, str, str]] = [
    ("Summary", "kinspect.ui.pages.summary", "create"),
    ("Graph", "kinspect.ui.netron.view", "graph_page"),
    ("Safety", "kinspect.ui.pages.safety", "create"),
    ("Outputs", "kinspect.ui.pages.outputs", "create"),
    ("Run", "kinspect.ui.pages.run", "create"),
]
