"""Write kinspect/data/tf_op_outputs.json: how many outputs each TensorFlow op makes.

kinspect names a graph node's outputs `node:0`, `node:1`… without importing TensorFlow, so the
output arguments of every registered op are kept as data (like Netron's tf-metadata.json).
Only ops that do not make exactly one output are listed; each output argument is 1, "N:attr"
(a number attribute) or "L:attr" (a type-list attribute). Regenerate after a TensorFlow upgrade:
`.venv/bin/python resources/make_tf_op_outputs.py`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402
from tensorflow.core.framework import op_def_pb2  # noqa: E402
from tensorflow.python.client import pywrap_tf_session  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "kinspect" / "data" / "tf_op_outputs.json"


def arg_spec(arg: op_def_pb2.OpDef.ArgDef) -> int | str:
    if arg.number_attr:
        return "N:" + arg.number_attr
    if arg.type_list_attr:
        return "L:" + arg.type_list_attr
    return 1


def main() -> None:
    ops = op_def_pb2.OpList()
    ops.ParseFromString(pywrap_tf_session.TF_GetBuffer(pywrap_tf_session.TF_GetAllOpList()))
    table = {}
    for op in sorted(ops.op, key=lambda o: o.name):
        spec = [arg_spec(a) for a in op.output_arg]
        if spec != [1]:
            table[op.name] = spec
    OUT.parent.mkdir(exist_ok=True)
    data = {"tensorflow_version": tf.__version__, "ops": table}
    OUT.write_text(json.dumps(data, indent=0, sort_keys=True) + "\n")
    print(f"{OUT}: {len(table)} of {len(ops.op)} ops")


if __name__ == "__main__":
    main()
