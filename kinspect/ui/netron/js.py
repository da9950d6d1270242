"""JavaScript run inside Netron's page (netron 9.3.3, `browser.js` / `view.js`).

Kept apart from the widget so the page-specific knowledge sits in one place. What it relies on:
`window.__view__` is Netron's View (set on `window.load`), `View._target` the drawn graph whose
`_table` maps model nodes to drawn elements, `Graph.select/scrollTo`, `View.showNodeProperties`
(called when a node is clicked), `View._host._openModel(url, identifier, name)`.

Shapes on edges: `View.render(target, signature)` is wrapped so that, before Netron draws a graph,
every untyped output value of a node with an `_output_shapes` attribute gets a type. Relied on:
netron's TensorFlow reader (`tf.js`) makes node inputs and outputs `tf.Value`s with a plain,
writable `type`, null except for Placeholders; it keeps `_output_shapes` (hidden) among
`node.attributes` as a list of `tf.TensorShape` (`dimensions`, `equals`, `toString`); and
`view.Value.build` labels an edge `1×8×8×16` when its value's `type.shape.dimensions` is set.
The type is made from a typed value's prototype when the graph has one (a `tf.TensorType`), else
a look-alike with `dataType`, `shape`, `equals` and `toString` (the sidebar and `type.equals`).
"""

from __future__ import annotations

import json

# Prefix of console messages the page sends to Python (see NetronPage.javaScriptConsoleMessage).
MESSAGE_PREFIX = "kinspect:"

# Injected at DocumentReady in the main world, before Netron builds its host on `window.load`:
# - a fresh `<meta name="date">`: Netron loops on "Please update" when the bundled page is more
#   than 180 days old;
# - the `consent` cookie: otherwise Netron asks an outside host for the country (2 s timeout)
#   and then waits for a click on "Accept" forever;
# - version 0.0.0 marks the page as not packaged, which turns Netron's telemetry off;
# - a font fallback with U+27E8/U+27E9 (the shape brackets), DejaVu Sans on Linux;
# - a wrapper on View.showNodeProperties that reports the clicked node's name, and a listener
#   that reports double-clicked nodes (`kinspect:open:`), and a border style for groups;
# - a wrapper on View.render that gives outputs their recorded shapes (see the docstring).
BOOTSTRAP = r"""
(function () {
    const pad = (n) => String(n).padStart(2, '0');
    const now = new Date();
    const stamp = now.getUTCFullYear() + '-' + pad(now.getUTCMonth() + 1) + '-' +
        pad(now.getUTCDate()) + ' ' + pad(now.getUTCHours()) + ':' + pad(now.getUTCMinutes()) +
        ':' + pad(now.getUTCSeconds());
    const meta = (name, value) => {
        let element = document.querySelector('meta[name="' + name + '"]');
        if (!element) {
            element = document.createElement('meta');
            element.setAttribute('name', name);
            document.head.appendChild(element);
        }
        element.setAttribute('content', value);
    };
    meta('date', stamp);
    meta('version', '0.0.0');
    try {
        document.cookie = 'consent=' + Date.now() + ';path=/';
    } catch (e) {
        // no cookies on this origin: the getter below answers instead
    }
    const style = document.createElement('style');
    const fonts = '-apple-system, BlinkMacSystemFont, "Segoe WPC", "Segoe UI", "Ubuntu", ' +
        '"Droid Sans", "DejaVu Sans", sans-serif, "PingFang SC"';
    style.textContent = 'body, button, .sidebar, .node-item text, .node-argument > text, ' +
        '.edge-label { font-family: ' + fonts + ' !important; }';
    document.head.appendChild(style);
    // Collapsed scopes (drawn nodes named `scope/`, graph/scope_draw.py) get a thick border.
    const groups = document.createElement('style');
    groups.textContent = 'g.graph-node[id$="/"] > .node-border { stroke: #1565c0; ' +
        'stroke-width: 3px; stroke-dasharray: 6 2; }';
    document.head.appendChild(groups);
    // Shapes on edges (see the module docstring): outputs of nodes with `_output_shapes`.
    const valuesOf = (args) => (args || []).flatMap((a) => (Array.isArray(a.value) ? a.value : []));
    const typeOutputs = (graph) => {
        if (!graph || !Array.isArray(graph.nodes)) {
            return;
        }
        let proto = null;  // a real tf.TensorType's prototype, when any value has one
        const typed = valuesOf(graph.inputs).concat(...graph.nodes.map((n) => valuesOf(n.inputs)));
        const sample = typed.find((v) => v && v.type && v.type.shape && 'dataType' in v.type);
        if (sample) {
            proto = Object.getPrototypeOf(sample.type);
        }
        const make = (dataType, shape) => {
            const type = proto ? Object.create(proto) : {
                equals(other) {
                    return !!other && this.dataType === other.dataType &&
                        !!other.shape && this.shape.equals(other.shape);
                },
                toString() {
                    return this.dataType + this.shape.toString();
                }
            };
            type.dataType = dataType;
            type.shape = shape;
            return type;
        };
        for (const node of graph.nodes) {
            const attributes = Array.isArray(node.attributes) ? node.attributes : [];
            const listed = attributes.find((a) => a.name === '_output_shapes');
            if (!listed || !Array.isArray(listed.value)) {
                continue;
            }
            const dtype = attributes.find((a) => (a.name === 'T' || a.name === 'dtype') &&
                typeof a.value === 'string');
            valuesOf(node.outputs).forEach((value, position) => {
                if (!value || value.type) {
                    return;
                }
                // `node` is output 0, `node:3` output 3 (the reader's names).
                let index = position;
                if (value.name && value.name.startsWith(node.name + ':')) {
                    index = parseInt(value.name.substring(node.name.length + 1), 10);
                } else if (value.name === node.name) {
                    index = 0;
                }
                const shape = listed.value[index];
                if (shape && Array.isArray(shape.dimensions) &&
                    typeof shape.equals === 'function') {
                    value.type = make(dtype ? dtype.value : '?', shape);
                }
            });
        }
    };
    const hook = () => {
        const view = window.__view__;
        if (!view || !view._host) {
            window.setTimeout(hook, 20);
            return;
        }
        if (view.__kinspect__) {
            return;
        }
        view.__kinspect__ = true;
        const host = view._host;
        if (host._getCookie) {
            const getCookie = host._getCookie.bind(host);
            host._getCookie = (name) => (name === 'consent' ? '1' : getCookie(name));
        }
        // A double-click on a node reports it (the scope view opens or closes groups with it).
        // Told from two pointer presses at one spot, not from 'dblclick': the first click opens
        // Netron's properties panel, which re-centres the drawing under the pointer, so the
        // second click lands beside the node and the browser makes no 'dblclick' of them.
        let last = null;
        document.addEventListener('pointerdown', (e) => {
            const now = Date.now();
            if (last && now - last.time < 500 && Math.abs(e.clientX - last.x) < 6 &&
                Math.abs(e.clientY - last.y) < 6) {
                if (last.name) {
                    console.info('kinspect:open:' + JSON.stringify(last.name));
                }
                last = null;
                return;
            }
            const element = e.target && e.target.closest ? e.target.closest('.graph-node') : null;
            const target = view._target;
            let name = null;
            if (element && target && target._table) {
                for (const [value, item] of target._table) {
                    if (item && item.element === element && value && value.name) {
                        name = value.name;
                        break;
                    }
                }
            }
            last = {time: now, x: e.clientX, y: e.clientY, name: name};
        }, true);
        const render = view.render.bind(view);
        view.render = (target, signature) => {
            try {
                typeOutputs(target);
            } catch (e) {
                console.warn('kinspect: shapes not shown: ' + e);
            }
            return render(target, signature);
        };
        const show = view.showNodeProperties.bind(view);
        view.showNodeProperties = (node, source) => {
            if (node && source !== 'kinspect') {
                console.info('kinspect:select:' + JSON.stringify(node.name || ''));
            }
            return show(node, source);
        };
    };
    hook();
})();
"""

# Returns {"nodes": drawn node count, "body": body classes, "message": Netron's message text}.
STATE = r"""
(function () {
    const canvas = document.getElementById('canvas');
    const nodes = canvas ? canvas.querySelectorAll('.graph-node').length : 0;
    const message = document.getElementById('message-text');
    return JSON.stringify({
        nodes: nodes,
        body: document.body ? document.body.className : '',
        message: message ? message.innerText : '',
        ready: !!(window.__view__ && window.__view__.__kinspect__)
    });
})();
"""


def select(name: str) -> str:
    """Select and reveal the node called `name` in the drawn graph; evaluates to true if found."""
    return _SELECT.replace("__NAME__", json.dumps(name))


_SELECT = r"""
(function (name) {
    const view = window.__view__;
    const target = view && view._target;
    if (!target || !target._table) {
        return false;
    }
    const NodeClass = window.exports && window.exports.view ? window.exports.view.Node : null;
    for (const [value, element] of target._table) {
        if (value && value.name === name && (!NodeClass || element instanceof NodeClass)) {
            const selection = target.select([value], 'kinspect');
            target.scrollTo(selection);
            return true;
        }
    }
    return false;
})(__NAME__);
"""


def open_model(url: str, name: str) -> str:
    """Open another model file (a focus view) in the already loaded page, without a reload."""
    return f"window.__view__._host._openModel({json.dumps(url)}, {json.dumps(name)}, null); true;"


def selected_names() -> str:
    """The names of the nodes selected in Netron (for tests and the status line)."""
    return r"""
(function () {
    const target = window.__view__ && window.__view__._target;
    if (!target || !target._selection) {
        return '[]';
    }
    return JSON.stringify(Array.from(target._selection).map((e) => e.value && e.value.name));
})();
"""


# The names of the model nodes Netron has drawn (JSON list), for tests and the status line.
DRAWN_NAMES = r"""
(function () {
    const target = window.__view__ && window.__view__._target;
    const NodeClass = window.exports && window.exports.view ? window.exports.view.Node : null;
    if (!target || !target._table || !NodeClass) {
        return '[]';
    }
    const names = [];
    for (const [value, element] of target._table) {
        if (element instanceof NodeClass && value && value.name) {
            names.push(value.name);
        }
    }
    return JSON.stringify(names);
})();
"""

# The centre of the drawn element called `name` in page coordinates (JSON), to click it in tests.
def node_center(name: str) -> str:
    return _CENTER.replace("__NAME__", json.dumps(name))


_CENTER = r"""
(function (name) {
    const target = window.__view__ && window.__view__._target;
    const NodeClass = window.exports && window.exports.view ? window.exports.view.Node : null;
    if (!target || !target._table) {
        return 'null';
    }
    for (const [value, element] of target._table) {
        if (value && value.name === name && (!NodeClass || element instanceof NodeClass)) {
            const rect = element.element.getBoundingClientRect();
            const y = rect.y + Math.min(8, rect.height / 2);
            return JSON.stringify({x: rect.x + rect.width / 2, y: y});
        }
    }
    return 'null';
})(__NAME__);
"""
