"""Find code in Keras configs: Lambda layers and custom objects, wherever they hide.

Walks the parsed JSON of a model config and of a compile/training config as plain data, never
through Keras. ModelScan looks only at top-level Lambda layers; published bypasses nest the
Lambda in a wrapper (TimeDistributed, Bidirectional), in a nested Functional/Sequential model,
or put code in the compile config as a loss or metric. This walk visits every mapping and list,
so each of those places is found.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from ..datafiles import data_file
from .findings import Finding
from .ops import allowed_ops

MAX_DEPTH = 500

# Roots of the `module` key that Keras itself writes (Keras 3 and tf_keras configs). Any other
# module is imported when the file loads, which runs that module's code; the old Keras inside
# TensorFlow (`tensorflow.python.keras…`) has no safe mode at all. A module under these roots
# is not enough either: the class or function it names must be a Keras symbol on the lists.
KERAS_MODULES = ("keras", "tf_keras")

# Loss and metric names Keras resolves by itself (strings in compile/training configs).
BUILTIN_FUNCTION_NAMES = frozenset("""
mse mae mape msle mean_squared_error mean_absolute_error mean_absolute_percentage_error
mean_squared_logarithmic_error binary_crossentropy categorical_crossentropy
sparse_categorical_crossentropy binary_focal_crossentropy categorical_focal_crossentropy
kullback_leibler_divergence kld kl_divergence poisson cosine_similarity cosine_proximity
cosine hinge squared_hinge categorical_hinge logcosh log_cosh huber huber_loss ctc
accuracy acc binary_accuracy categorical_accuracy sparse_categorical_accuracy
top_k_categorical_accuracy sparse_top_k_categorical_accuracy crossentropy ce bce
auc precision recall r2_score mean_io_u iou f1_score fbeta_score sparse_categorical_ce
""".split())

# Layers whose config can name a file the loader reads.
FILE_CONFIG_CLASSES = frozenset({"StringLookup", "IntegerLookup", "TextVectorization"})
WRAPPER_KEYS = ("layer", "forward_layer", "backward_layer")
CODE_CLASSES = ("__lambda__", "__python_function__", "__function__")
ACTIVATION_KEYS = ("activation", "recurrent_activation")
COMPILE_FUNCTION_KEYS = ("loss", "metrics", "weighted_metrics")
# tf_keras layers that call a TensorFlow function named by a string in their config: loading
# looks the name up in TensorFlow's whole API (tf.io.read_file, tf.py_function…).
TF_OP_CLASSES = ("TFOpLambda", "SlicingOpLambda")
TF_METHOD_CLASSES = frozenset({"RaggedTensor", "SparseTensor", "IndexedSlices", "TensorShape",
                               "TensorSpec", "RaggedTensorSpec", "SparseTensorSpec", "DType"})
TF_FILE_PREFIXES = ("io.", "data.", "summary.", "saved_model.", "debugging.", "train.",
                    "keras.", "lite.", "distribute.", "tpu.", "experimental.", "raw_ops.")
TF_FILE_NAMES = frozenset({"print", "Print", "py_function", "numpy_function", "py_func",
                           "read_file", "write_file", "matching_files", "load_library",
                           "load_op_library", "load_file_system_library", "import_graph_def"})


@cache
def keras_classes() -> frozenset[str]:
    """Layer and model classes Keras deserialises by itself (kinspect/data/keras_classes.txt,
    made by resources/make_keras_classes.py from Keras 3 and tf_keras, plus legacy names)."""
    path = data_file("keras_classes.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@cache
def tf_op_functions() -> tuple[frozenset[str], frozenset[str]]:
    """(namespaces, top-level names) an op layer may call (kinspect/data/tf_op_functions.txt)."""
    path = data_file("tf_op_functions.txt")
    words = [w for line in path.read_text(encoding="utf-8").splitlines()
             if not line.startswith("#") for w in line.split()]
    return (frozenset(w[:-2] for w in words if w.endswith(".*")),
            frozenset(w for w in words if not w.endswith(".*")))


def tf_function_allowed(symbol: str) -> bool:
    """True for a pure math/array TensorFlow function; raw ops unless they touch files."""
    for prefix in ("compat.v1.", "compat.v2."):
        symbol = symbol.removeprefix(prefix)
    namespace, _, leaf = symbol.rpartition(".")
    if namespace == "raw_ops":
        return leaf in allowed_ops()
    namespaces, names = tf_op_functions()
    return namespace in namespaces if namespace else leaf in names


@cache
def keras_objects() -> frozenset[str]:
    """Non-layer classes a config names with a module: initializers, optimizers, losses, dtype
    policies… (kinspect/data/keras_objects.txt, made by resources/make_keras_classes.py)."""
    path = data_file("keras_objects.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@cache
def keras_functions() -> frozenset[str]:
    """Activation, loss and metric names Keras resolves itself (kinspect/data, generated)."""
    path = data_file("keras_functions.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    names = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    return frozenset(names | BUILTIN_FUNCTION_NAMES)


def scan_model_config(config: Any, where: str = "model_config",
                      is_layer: bool = True) -> list[Finding]:
    """Findings in a model config (any vintage), naming each layer by its path.
    `is_layer`: the config's root is a layer or model (not e.g. a metric)."""
    findings: list[Finding] = []
    _walk(config, where, findings, 0, layer_slot=is_layer)
    return findings


def scan_training_config(config: Any, where: str = "training_config") -> list[Finding]:
    """Findings in a compile/training config: code objects anywhere, and losses or metrics
    named by a string Keras does not know (a custom function the loader must import)."""
    findings: list[Finding] = []
    _walk(config, where, findings, 0)
    if isinstance(config, dict):
        for key in COMPILE_FUNCTION_KEYS:
            _named_functions(config.get(key), f"{where}/{key}", findings, 0)
    return findings


def _walk(value: Any, where: str, findings: list[Finding], depth: int,
          layer_slot: bool = False) -> None:
    """`layer_slot`: the value sits where Keras expects a layer or model (the root, an item of
    `layers`, a wrapper's `layer`); an unknown class there is a custom layer."""
    if depth > MAX_DEPTH:
        findings.append(Finding("deep-config", where,
                                f"config nests more than {MAX_DEPTH} levels; not scanned deeper",
                                runs_code=True))
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            _walk(item, f"{where}[{i}]", findings, depth + 1)
        return
    if not isinstance(value, dict):
        return
    here = where
    class_name = value.get("class_name")
    if isinstance(class_name, str):
        config = value.get("config")
        name = value.get("name")
        if name is None and isinstance(config, dict):
            name = config.get("name")
        if class_name in CODE_CLASSES:
            here = where  # e.g. ".../compile_config.loss": the slot the code sits in
        elif isinstance(name, str) and name:
            here = f"{where}/{name}"
        else:
            here = f"{where}/{class_name}"
        finding = _classify(value, class_name, config, here)
        if finding is None and layer_slot and class_name not in keras_classes():
            finding = Finding("custom-object", here,
                              f"layer class '{class_name}' is not part of Keras; loading needs "
                              "its Python code (custom_objects)", runs_code=True)
        if finding is not None:
            findings.append(finding)
        if class_name in FILE_CONFIG_CLASSES and isinstance(config, dict):
            findings += _file_references(config, here)
        if layer_slot and isinstance(config, dict):
            for key in ACTIVATION_KEYS:
                act = config.get(key)
                if isinstance(act, str) and act and act.lower() not in keras_functions():
                    findings.append(Finding(
                        "custom-object", f"{here}.{key}",
                        f"activation '{act}' is not part of Keras; loading needs that Python "
                        "function (custom_objects)", runs_code=True))
    for key, item in value.items():
        if not isinstance(item, (dict, list)):
            continue
        if key == "config" and class_name in CODE_CLASSES:
            continue  # the bytecode payload itself: already reported
        if key == "config" and class_name == "Lambda" and isinstance(item, dict):
            # The Lambda finding already covers its own function; look at the rest.
            item = {k: v for k, v in item.items() if k != "function"}
        if key == "layers" and isinstance(item, list):
            for child in item:  # path by layer names: model/submodel/layer
                _walk(child, here, findings, depth + 1, layer_slot=True)
        elif key == "config" and isinstance(item, list) and layer_slot:
            for child in item:  # Keras <= 2.1 Sequential: config is the list of layers
                _walk(child, here, findings, depth + 1, layer_slot=True)
        else:
            _walk(item, here if key == "config" else f"{here}.{key}", findings, depth + 1,
                  layer_slot=key in WRAPPER_KEYS)


def _classify(spec: dict[str, Any], class_name: str, config: Any, where: str) -> Finding | None:
    if class_name == "Lambda":
        return Finding("lambda-layer", where, "Lambda layer: " + _lambda_detail(config),
                       runs_code=True)
    if class_name == "__lambda__":
        return Finding("lambda-function", where,
                       "serialised Python lambda (bytecode); loading it runs that code",
                       runs_code=True)
    if class_name in ("__python_function__", "__function__"):
        return Finding("python-function", where,
                       "serialised Python function; loading it runs that code", runs_code=True)
    if class_name in TF_OP_CLASSES or class_name == "ClassMethod":
        return _tf_op_finding(class_name, config, where)
    if class_name == "TensorFlowOpLayer":
        return _op_layer_finding(config, where)
    module = spec.get("module")
    registered = spec.get("registered_name")
    what = f"'{module}.{config}'" if class_name == "function" and isinstance(config, str) \
        else f"'{class_name}' from module '{module}'"
    if isinstance(module, str) and module and not _is_keras_module(module):
        return Finding("custom-object", where,
                       f"refers to {what}; loading imports that module and runs its code",
                       runs_code=True)
    if isinstance(registered, str) and ">" in registered:
        return Finding("custom-object", where,
                       f"custom registered class '{registered}'; loading needs and runs its code",
                       runs_code=True)
    if "module" in spec or "registered_name" in spec:
        return _symbol_finding(spec, class_name, config, where, what)
    return None


def _symbol_finding(spec: dict[str, Any], class_name: str, config: Any, where: str,
                    what: str) -> Finding | None:
    """A Keras 3 style reference (module / registered_name) must resolve to an allowed Keras
    symbol: a class on the lists, or a function that is an activation, loss or metric. Keras
    utilities such as `keras.utils.get_file` or `keras.config.enable_unsafe_deserialization`
    sit under a Keras module but are not model parts."""
    if class_name == "function":
        ok = isinstance(config, str) and config in keras_functions()
    else:
        ok = class_name in keras_classes() or class_name in keras_objects()
    registered = spec.get("registered_name")
    if ok and isinstance(registered, str) and registered not in (class_name, config):
        ok = registered in keras_classes() or registered in keras_objects() \
            or registered in keras_functions()
    if ok:
        return None
    return Finding("custom-object", where,
                   f"refers to {what}, which is not an allowed Keras layer, object or function; "
                   "loading resolves and calls it", runs_code=True)


def _op_layer_finding(config: Any, where: str) -> Finding | None:
    """TensorFlowOpLayer wraps a TensorFlow NodeDef that tf_keras runs while it rebuilds the
    model (WriteFile, Save…): code unless the op is on the allowlist of pure ops."""
    node_def = config.get("node_def") if isinstance(config, dict) else None
    op = node_def.get("op") if isinstance(node_def, dict) else None
    if isinstance(op, str) and op in allowed_ops():
        return None
    return Finding("tf-op-layer", where,
                   f"TensorFlowOpLayer runs TensorFlow op {op!r}, which is not on the allowlist "
                   "of pure ops, when the model is loaded or called", runs_code=True,
                   touches_files=True)


def _tf_op_finding(class_name: str, config: Any, where: str) -> Finding | None:
    """An op layer naming a TensorFlow function outside the pure math/array allowlist."""
    if not isinstance(config, dict):
        return None
    if class_name == "ClassMethod":
        cls, method = config.get("cls_symbol"), config.get("method_name")
        bare = cls.removeprefix("compat.v1.") if isinstance(cls, str) else cls
        if bare in TF_METHOD_CLASSES and isinstance(method, str):
            return None
        symbol = f"{cls}.{method}"
    else:
        symbol = config.get("function")
        if isinstance(symbol, str) and tf_function_allowed(symbol):
            return None
    symbol = bare = str(symbol)
    for prefix in ("compat.v1.", "compat.v2."):
        bare = bare.removeprefix(prefix)
    files = bare.startswith(TF_FILE_PREFIXES) or bare in TF_FILE_NAMES
    return Finding("tf-function", where,
                   f"{class_name} layer calls TensorFlow function 'tf.{symbol}'"
                   + (", which can read or write files or run Python," if files else
                      ", not a plain math or array function,")
                   + " when the model is called", runs_code=True, touches_files=files)


def _file_references(config: dict[str, Any], where: str) -> list[Finding]:
    """Preprocessing layers whose vocabulary (or idf weights) is a path: Keras reads that file
    when it builds the layer, and tf_keras copies it into a SavedModel's assets."""
    out = []
    for key in ("vocabulary", "idf_weights"):
        value = config.get(key)
        if isinstance(value, str) and value:
            out.append(Finding("reads-outside", f"{where}.{key}",
                               f"{key} is read from the file {value!r} when the model is "
                               "loaded", touches_files=True))
    return out


def _lambda_detail(config: Any) -> str:
    if not isinstance(config, dict):
        return "holds Python code"
    function = config.get("function")
    ftype = config.get("function_type")
    if isinstance(function, list) or ftype == "lambda":
        return "holds marshalled Python bytecode that runs when the model is loaded or called"
    if isinstance(function, dict):
        if function.get("class_name") == "__lambda__":
            return "holds Python bytecode that runs when the model is loaded or called"
        return f"calls function {function.get('config')!r} from module " \
               f"{function.get('module')!r} when the model is called"
    if isinstance(function, str):
        module = config.get("module")
        return f"calls Python function '{function}'" + (f" from module '{module}'" if module
                                                       else "") + " when the model is called"
    return "holds Python code"


def _is_keras_module(module: str) -> bool:
    return module.split(".", 1)[0] in KERAS_MODULES


def _named_functions(value: Any, where: str, findings: list[Finding], depth: int) -> None:
    """Strings naming losses/metrics (possibly in lists or dicts per output)."""
    if depth > 20:
        return
    if isinstance(value, str):
        if value.lower() not in keras_functions():
            what = "a Python lambda" if value == "<lambda>" else f"'{value}'"
            findings.append(Finding(
                "custom-object", where,
                f"custom loss or metric {what}; loading the compiled model needs that "
                "Python function", runs_code=True))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _named_functions(item, f"{where}[{i}]", findings, depth + 1)
    elif isinstance(value, dict) and "class_name" not in value:
        for key, item in value.items():
            _named_functions(item, f"{where}/{key}", findings, depth + 1)
    elif isinstance(value, dict) and isinstance(value.get("config"), dict):
        # tf.keras wraps function metrics/losses: MeanMetricWrapper {"fn": "<name>"}.
        fn = value["config"].get("fn")
        if isinstance(fn, str):
            _named_functions(fn, f"{where}/{value['config'].get('name', fn)}", findings,
                             depth + 1)
