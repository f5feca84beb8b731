"""Export a trained answer model for shipping: ``python -m training.export [--model DIR] [--to DIR]``.

Writes ``model.onnx`` (int8, 23 MB: the fp32 graph is 90 MB, over the 50 MB the repository takes),
``tokenizer.json`` and ``calibration.json`` into ``--to`` (default: the shipped
``assistant/models/answer/``). The calibration is written as identity (scale 1, bias 0, threshold
0.5) unless one is given with ``--calibration FILE`` (``bench/answer_quality.py --fit`` writes it).

The graph: ``torch.onnx.export`` with eager attention (as the encoder's, assistant/embed/export.py),
then ``quantize_dynamic`` to per-channel int8 weights in standard ONNX ops (MatMulInteger,
DynamicQuantizeLinear), which both onnxruntime and OpenVINO run: one file for either backend.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from assistant.embed.export import trace
from assistant.reader.model import SHIPPED

OUT = Path(__file__).resolve().parent / "out"


def export(model_dir: Path, to: Path, calibration: dict) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(str(model_dir), attn_implementation="eager")
    to.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.onnx"
        trace(model.eval(), "logits", {0: "batch"}, raw)
        # Unlike the encoder's export, no onnxruntime fusion (its contrib ops are what OpenVINO
        # can't read) and the embedding table int8 too (Gather): in fp32 it alone is 47 MB.
        quantize_dynamic(
            raw,
            to / "model.onnx",
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul", "Gather"],
        )
    shutil.copyfile(model_dir / "tokenizer.json", to / "tokenizer.json")
    (to / "calibration.json").write_text(json.dumps(calibration, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=OUT / "model")
    parser.add_argument("--to", type=Path, default=SHIPPED)
    parser.add_argument("--calibration", type=Path, help="calibration.json to ship (default: identity)")
    args = parser.parse_args()
    calibration = (
        json.loads(args.calibration.read_text(encoding="utf-8"))
        if args.calibration
        else {"scale": 1.0, "bias": 0.0, "threshold": 0.5, "ranker_weight": 0.0}
    )
    export(args.model, args.to, calibration)
    size = (args.to / "model.onnx").stat().st_size / 1e6
    print(f"exported {args.model} -> {args.to} ({size:.1f} MB)")


if __name__ == "__main__":
    main()
