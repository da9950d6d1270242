"""What a conversion reports: the result's tensor names, verification, warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ConvertReport:
    src: str
    dst: str
    source_format: str
    target: str
    inputs: list[str] = field(default_factory=list)  # tensor names of the result, `x:0`
    outputs: list[str] = field(default_factory=list)
    output_aliases: dict[str, str] = field(default_factory=dict)  # key or pick -> tensor
    output_shapes: dict[str, list[int | None]] = field(default_factory=dict)  # same keys
    verified: bool = False
    max_abs_diff: dict[str, float] | None = None  # per output, when verified
    tolerance: float | None = None
    serving_request: dict[str, Any] | None = None  # TF Serving REST: url, body, curl
    weights_report: dict[str, Any] | None = None  # matched / skipped / mismatched layers
    loaded_with: str | None = None  # "keras" (Keras 3) or "tf_keras"
    # tflite --quantize: sizes, and the quantized model against the float one per output and
    # per intermediate tensor, largest error first (convert/tflite_quant.py)
    quantization: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}

    def human(self) -> str:
        lines = [f"{self.src} ({self.source_format}) -> {self.dst} ({self.target})"
                 f" in {self.seconds:.1f} s"]
        if self.loaded_with:
            lines.append(f"loaded with: {self.loaded_with}")
        if self.inputs:
            lines.append("inputs:  " + ", ".join(self.inputs))
        if self.outputs:
            lines.append("outputs: " + ", ".join(self.outputs))
        for key, tensor in self.output_aliases.items():
            lines.append(f"  output {key} = {tensor}" + (
                f" {list(self.output_shapes[key])}" if key in self.output_shapes else ""))
        if self.weights_report:
            w = self.weights_report
            lines.append(f"weights: {len(w['matched'])} layers matched, {len(w['skipped'])} "
                         f"skipped, {len(w['mismatched'])} shape-mismatched")
            lines += [f"  skipped {s['layer']}: {s['why']}" for s in w["skipped"]]
            lines += [f"  mismatched {m['layer']}: file {m['file']} vs model {m['model']}"
                      for m in w["mismatched"]]
        if self.max_abs_diff is not None:
            diffs = ", ".join(f"{k}: {v:.3g}" for k, v in self.max_abs_diff.items())
            lines.append(f"verified (tolerance {self.tolerance:g}): max_abs_diff {diffs}")
        if self.quantization:
            lines += quantization_lines(self.quantization)
        if self.serving_request:
            req = self.serving_request
            lines.append(f"TF Serving REST request ({req.get('request_file', 'body')}): "
                         f"POST {req['url']}")
            lines.append(f"  {req['curl']}")
            lines += [f"  {line}" for line in req.get("signature", "").splitlines()]
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


WORST = 10  # tensors listed in the human report


def quantization_lines(quant: dict[str, Any]) -> list[str]:
    """Report lines for a quantized TFLite: sizes, output errors, the worst tensors inside."""
    before, after = quant["size_before"], quant["size_after"]
    lines = [f"quantized ({quant['mode']}): {before:,} -> {after:,} bytes "
             f"({after / before:.0%} of the float model), compared on {quant['compared_on']}"]
    for name, err in quant["outputs"].items():
        lines.append(f"  output {name}: max_abs {err['max_abs']:.3g}, mean_abs "
                     f"{err['mean_abs']:.3g}")
    if quant["layers"]:
        lines.append(f"  largest errors inside ({len(quant['layers'])} tensors compared):")
        for row in quant["layers"][:WORST]:
            where = f"layer {row['layer']} ({row['tensor']})" if row.get("layer") \
                else row["tensor"]
            lines.append(f"    {where}: max_abs {row['max_abs']:.3g} "
                         f"(relative {row['relative']:.2g})")
    return lines
