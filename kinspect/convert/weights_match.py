"""Load a weights-only file into a model by layer name, and say what matched.

Keras' own `load_weights(by_name=True, skip_mismatch=True)` loads but reports nothing; the
report (matched, skipped, shape-mismatched layers) comes from reading the file's layer
groups with h5py and comparing shapes to the model's layers.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConvertError


def file_layers(path: str) -> dict[str, list[tuple[int, ...]]] | None:
    """Layer name -> weight shapes in a Keras 2-style weights file (weights-only or full
    model); None for a Keras 3 `.weights.h5` (its layers are not keyed by name)."""
    import h5py

    with h5py.File(path, "r") as f:
        group = f["model_weights"] if "model_weights" in f else f
        names = group.attrs.get("layer_names")
        if names is None:
            return None
        out: dict[str, list[tuple[int, ...]]] = {}
        for raw in names:
            name = raw.decode() if isinstance(raw, bytes) else str(raw)
            layer = group[name]
            wnames = layer.attrs.get("weight_names", [])
            out[name] = [tuple(layer[w.decode() if isinstance(w, bytes) else w].shape)
                         for w in wnames]
        return out


def _is_keras3(model: Any) -> bool:
    return type(model).__module__.split(".")[0] == "keras"


def _load_keras3_layout(model: Any, path: str) -> None:
    """Keras 3's load_weights, which reads this layout only from a name ending `.weights.h5`:
    any other name is given to it through a symlink."""
    import os
    import tempfile

    if not _is_keras3(model):
        raise ConvertError("Keras 3 weights file (layers/, vars/): the architecture must "
                           "load in Keras 3", path)
    with tempfile.TemporaryDirectory() as tmp:
        name = path
        if not path.lower().endswith(".weights.h5"):
            name = os.path.join(tmp, "model.weights.h5")
            os.symlink(os.path.abspath(path), name)
        try:
            model.load_weights(name)
        except Exception as exc:  # noqa: BLE001 - Keras raises anything on a mismatch
            raise ConvertError(f"weights do not fit the architecture: {exc}", path) from exc


def _model_layers(model: Any) -> dict[str, list[tuple[int, ...]]]:
    out = {}
    for layer in model.layers:
        out[layer.name] = [tuple(int(d) for d in w.shape) for w in layer.weights]
    return out


def load_weights_by_name(model: Any, path: str,
                         unmatched: str = "left initialised") -> dict[str, Any]:
    """Load PATH into MODEL by layer name; return {matched, skipped, mismatched}. The loader
    follows the file's layout, whatever its name. UNMATCHED: what a model layer the file has
    no weights for keeps (fresh values, or an architecture file's own trained weights)."""
    stored = file_layers(path)
    if stored is None:  # Keras 3 layout: by_name is refused, the layout must match
        _load_keras3_layout(model, path)
        names = [la.name for la in model.layers if la.weights]
        return {"matched": names, "skipped": [], "mismatched": []}
    have = _model_layers(model)
    matched, skipped, mismatched = [], [], []
    for name, shapes in stored.items():
        if not shapes:
            continue
        if name not in have:
            skipped.append({"layer": name, "why": "not in the architecture"})
        elif sorted(shapes) != sorted(have[name]):
            mismatched.append({"layer": name, "file": [list(s) for s in shapes],
                               "model": [list(s) for s in have[name]]})
        else:
            matched.append(name)
    for name, shapes in have.items():
        if shapes and name not in stored:
            skipped.append({"layer": name, "why": f"no weights in the file ({unmatched})"})
    if not matched:
        raise ConvertError("no layer of the weights file matches the architecture by name",
                           path)
    if _is_keras3(model):  # Keras 3 takes by_name only from a file named `.h5`
        import h5py
        from keras.src.legacy.saving import legacy_h5_format

        with h5py.File(path, "r") as f:
            group = f["model_weights"] if "model_weights" in f else f
            legacy_h5_format.load_weights_from_hdf5_group_by_name(group, model,
                                                                   skip_mismatch=True)
    else:
        model.load_weights(path, by_name=True, skip_mismatch=True)
    return {"matched": matched, "skipped": skipped, "mismatched": mismatched}
