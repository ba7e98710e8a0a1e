"""Calibrate the MNIST accuracy bar (blitz/exercises/pipeline/checks.py: EPOCHS, BAR).

Runs the capstone's own probe (blitz.exercises.pipeline.probes, through LocalSubmission, exactly as the
`pipeline.mnist_accuracy` check does) on the reference and on broken submissions from
tests/mutants, for several seeds, and prints accuracy per seed, min/max, the bar and the margin.
Writes benchmarks/results/calibration.json.

    BLITZ_DATA=/path/to/data nice python benchmarks/calibrate_bar.py               # the defaults below
    python benchmarks/calibrate_bar.py --epochs 2 3 --variants reference missing_step

What the numbers must show (README, "The accuracy bar"): the reference clears BAR + 0.02 on every
seed; a loop that skips a step and a model with a broken layer fall below BAR. Accuracies are
deterministic per seed on one machine (CPU); the seconds are not (the CPU is shared).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the broken submissions live with the kit's tests

import mutants  # noqa: E402
from mutants.alternatives import ALTERNATIVES  # noqa: E402

from blitz.course import mnist  # noqa: E402
from blitz.exercises.pipeline import checks as pipeline  # noqa: E402
from blitz.probes.local import LocalSubmission  # noqa: E402

ALTERNATIVE_NAMES = {a.name for a in ALTERNATIVES}

MARGIN = 0.02
# The reference, a correct CNN whose random start differs, and the broken submissions the bar must
# (or, honestly, cannot) catch: loops that skip a step, broken layers, an unshuffled loader.
VARIANTS = (
    "reference",
    "cnn_functional_renamed",  # correct, but its layers are made in another order: other initial weights
    "missing_step",
    "missing_backward",
    "missing_zero_grad",
    "missing_both_relus",
    "missing_relu",
    "avg_pool",
    "softmax_output",
    "train_loader_not_shuffled",
    "fit_with_sgd",
    "relu_on_logits",
    "layers_in_python_list",
    "dropout_always_on",
)


def accuracy_of(name: str, epochs: int, seed: int, root: str) -> float:
    """The check's measurement for one (variant, seed): the probe's predictions on the 10,000 test
    images against the true labels. A fresh submission folder each time, so runs can go in parallel.
    The probe trains on the check's thread count (fastpath.settings), whatever the job's: so the
    accuracies are the check's, with or without --jobs."""
    patch = None if name == "reference" else mutants.by_name(name)
    labels = pipeline.true_test_labels(root)
    with tempfile.TemporaryDirectory() as folder:
        sub = LocalSubmission(mutants.build(Path(folder), patch))
        result = sub.probe("pipeline", root, epochs, seed, 50, "cpu")
    predictions, problems = pipeline.trusted_predictions(result["weights"], root)  # as the check measures
    if predictions is None:
        raise SystemExit(f"the trained weights do not fit the reference CNN: {problems}")
    return round((predictions == labels).float().mean().item(), 4)


def _job(args) -> tuple:
    started = time.perf_counter()
    return args, accuracy_of(*args), time.perf_counter() - started


def calibrate(variants, seeds, epochs_list, root: str, jobs: int = 1) -> dict:
    report = {
        "bar": pipeline.BAR,
        "margin_required": MARGIN,
        "epochs_in_check": pipeline.EPOCHS,
        "seeds": list(seeds),
        "train_images": pipeline.MAX_TRAIN_IMAGES,
        "test_images": 10_000,
        "torch": torch.__version__,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "jobs": jobs,
        "runs": {},
    }
    work = [(name, epochs, seed, root) for epochs in epochs_list for name in variants for seed in seeds]
    found: dict[tuple, tuple[float, float]] = {}
    pool = multiprocessing.get_context("spawn").Pool(jobs) if jobs > 1 else None
    try:
        for (name, epochs, seed, _), acc, seconds in pool.imap_unordered(_job, work) if pool else map(_job, work):
            found[(name, epochs, seed)] = (acc, seconds)
            print(f"  epochs={epochs} {name:28s} seed {seed}: {acc:.4f}  ({seconds:.0f} s)", flush=True)
    finally:
        if pool:
            pool.close()
    for epochs in epochs_list:
        runs = report["runs"][str(epochs)] = {}
        for name in variants:
            accs = {str(seed): found[(name, epochs, seed)][0] for seed in seeds}
            low, high = min(accs.values()), max(accs.values())
            correct = name == "reference" or name in ALTERNATIVE_NAMES
            entry = mutants.by_name(name) if name != "reference" else None
            runs[name] = {
                "kind": "correct" if correct else "broken",
                "what": getattr(entry, "bug", None) or getattr(entry, "why", None) or "the reference solutions",
                "accuracy": accs,
                "min": low,
                "max": high,
                "margin": round(low - pipeline.BAR, 4) if correct else round(pipeline.BAR - high, 4),
                "verdict": (
                    "clears BAR + 0.02 on every seed" if low >= pipeline.BAR + MARGIN else "TOO CLOSE TO THE BAR"
                )
                if correct
                else (
                    "below the bar on every seed"
                    if high < pipeline.BAR
                    else f"passes the bar on {sum(a >= pipeline.BAR for a in accs.values())} of {len(accs)} seeds"
                ),
                "seconds_per_run": round(sum(found[(name, epochs, s)][1] for s in seeds) / len(seeds), 1),
            }
    return report


def table(report: dict) -> str:
    seeds = report["seeds"]
    lines = [f"bar {report['bar']:.2f} (reference must reach {report['bar'] + report['margin_required']:.2f})"]
    for epochs, runs in report["runs"].items():
        lines.append(f"\nepochs={epochs}")
        lines.append(f"{'variant':28s} " + " ".join(f"seed {s:<3}" for s in seeds) + "    min     max  verdict")
        for name, run in runs.items():
            cells = " ".join(f"{run['accuracy'][str(s)]:8.4f}" for s in seeds)
            lines.append(f"{name:28s} {cells} {run['min']:7.4f} {run['max']:7.4f}  {run['verdict']}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--epochs", type=int, nargs="+", default=[pipeline.EPOCHS])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS))
    parser.add_argument("--jobs", type=int, default=1, help="runs in parallel (each a fresh process); default 1")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "calibration.json")
    args = parser.parse_args(argv)
    root = str(mnist.require())
    report = calibrate(args.variants, args.seeds, args.epochs, root, args.jobs)
    text = table(report)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")
    ok = all(
        r["verdict"].startswith("clears")
        for runs in report["runs"].values()
        for r in runs.values()
        if r["kind"] == "correct"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
