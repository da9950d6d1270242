"""A TF1 checkpoint and its .meta: the meta graph imported, variables restored with its own
saver (the converter's restore, V1 checkpoints too), kept in a session for the next run."""

from __future__ import annotations

from typing import Any

from ..errors import ConvertError
from .graph_runner import GraphRunner


def load_checkpoint(path: str, outputs: list[str] | None) -> GraphRunner:
    """OUTPUTS (default: the likeliest output node); inputs: the placeholders they need."""
    import tensorflow as tf

    from ..convert import freeze
    from ..convert.sources import checkpoint_parts

    meta_path, prefix = checkpoint_parts(path)
    meta = tf.compat.v1.MetaGraphDef()
    with open(meta_path, "rb") as f:
        meta.ParseFromString(f.read())
    warnings = freeze._fix_version(meta)  # noqa: SLF001 - shared with the converter
    outs = [freeze.tensor_name(o) for o in outputs] if outputs else _guess(meta.graph_def)
    if not outs:
        raise ConvertError("no output found in the graph: pass --outputs", path)
    needed = freeze.placeholders(freeze.prune(meta.graph_def, outs))
    graph = tf.Graph()
    sess = tf.compat.v1.Session(graph=graph)
    try:
        with graph.as_default():
            saver = tf.compat.v1.train.import_meta_graph(meta, clear_devices=True)
            freeze._restore(sess, graph, saver, prefix)  # noqa: SLF001
    except Exception as exc:  # noqa: BLE001 - TF raises many types
        sess.close()
        raise ConvertError(f"cannot restore the checkpoint {prefix}: "
                           f"{' '.join(str(exc).split())[:300]}", path) from exc
    runner = GraphRunner(sess, {n: n for n in needed}, {n: n for n in outs}, path,
                         "tf-checkpoint")
    if not outputs:
        warnings.append(f"outputs guessed: {', '.join(outs)} (choose with --outputs)")
    runner.warnings += warnings
    return runner


def _guess(graph_def: Any) -> list[str]:
    from ..convert.freeze import output_candidates, tensor_name

    found = output_candidates(graph_def, limit=1)
    return [tensor_name(n) for n in found]
