"""How long the MNIST accuracy check takes, next to the course notebook's own pipeline.

    python benchmarks/bench_accuracy.py                   # CPU, 3 interleaved rounds
    python benchmarks/bench_accuracy.py --ablate          # + what each fast path buys
    python benchmarks/bench_accuracy.py --device cuda     # on a GPU

In one process, on the same data (MNIST under $BLITZ_DATA or --data), it times
  (a) the notebook: torchvision MNIST with ToTensor + Normalize through a DataLoader, batch 50,
      Adam 1e-3, the check's number of epochs, then a per-batch accuracy loop over a test
      DataLoader of batch 50 on the 10,000 test images, written the way the course writes it, and
      trained on the images the kit trains on (mnist.training_subset: all of a 5,000-image split,
      the fixed class-balanced 5,000 of a full download);
  (b) the kit: blitz.exercises.pipeline.checks's check through run_check on LocalSubmission(solutions/).
Rounds alternate which runs first; the machine may be shared, so the ratio of each round is
reported as well as the medians. It prints wall times, accuracies, their ratio, and a compute floor:
the model's FLOPs (conv/linear multiply-adds counted analytically x2, training = 3x forward) divided
by a float32 torch.mm rate measured here, at the im2col GEMM size of the model's biggest conv and
with the kit's thread count. Results go to benchmarks/results/accuracy_<host or GPU>.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import socket
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.utils.data as Data
import torchvision
import torchvision.transforms as transforms
from torch import nn

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # mutants.Recording, shared with the kit's tests

from mutants import Recording  # noqa: E402

from blitz.checks import Context, get_check, run_check  # noqa: E402
from blitz.course import mnist  # noqa: E402
from blitz.course.cores import physical_cores
from blitz.exercises.pipeline import checks as pipeline  # noqa: E402
from blitz.exercises.pipeline import fastpath
from blitz.exercises.pipeline.checks import EPOCHS  # noqa: E402

DEFAULT_THREADS = torch.get_num_threads()  # what a student's notebook gets


@contextlib.contextmanager
def torch_threads(threads: int):
    """Run a block on `threads` intra-op threads; the count before is restored afterwards."""
    saved = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(saved)


# ----------------------------------------------------------------------------------------------
# (a) The course notebook, in its own style


class CNN(nn.Module):
    # CNN网络，两个卷积+一个全连接层 (the notebook's class, unchanged)
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Sequential(
            nn.Conv2d(in_channels=1, out_channels=16, kernel_size=5, stride=1, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2),
        )
        self.conv2 = nn.Sequential(nn.Conv2d(16, 32, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(kernel_size=2))
        self.out = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = self.conv2(x)
        x = x.view(x.size(0), -1)
        out = self.out(x)
        return out


def notebook(root: str, epochs: int, seed: int, device: str, threads: int) -> dict:
    with torch_threads(threads):
        return _notebook(root, epochs, seed, device, threads)


def _notebook(root: str, epochs: int, seed: int, device: str, threads: int) -> dict:
    started = time.perf_counter()
    torch.manual_seed(seed)
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    train_data = torchvision.datasets.MNIST(root=root, train=True, transform=transform, download=False)
    train_data = fastpath.training_subset(train_data, Path(root))  # the images the kit trains on (not the notebook's)
    test_data = torchvision.datasets.MNIST(root=root, train=False, transform=transform, download=False)
    batch_size = 50
    train_loader = Data.DataLoader(dataset=train_data, batch_size=batch_size, shuffle=True)
    test_loader = Data.DataLoader(dataset=test_data, batch_size=batch_size, shuffle=False)
    cnn = CNN().to(device)
    optimizer = torch.optim.Adam(cnn.parameters(), lr=0.001)
    loss_func = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        for step, (b_x, b_y) in enumerate(train_loader):
            b_x, b_y = b_x.to(device), b_y.to(device)
            output = cnn(b_x)
            loss = loss_func(output, b_y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    trained = time.perf_counter()
    correct = 0
    for step, (b_x, b_y) in enumerate(test_loader):
        with torch.no_grad():
            output = cnn(b_x.to(device))
            output2 = torch.max(output.data, 1)[1]
            correct += (output2.cpu() == b_y).sum().item()
    done = time.perf_counter()
    return {
        "seconds": done - started,
        "train_seconds": trained - started,
        "eval_seconds": done - trained,
        "accuracy": correct / len(test_data),
        "threads": threads,
    }


# ----------------------------------------------------------------------------------------------
# (b) The kit's check, on the reference solutions


def kit(root: str, epochs: int, seed: int, device: str, labels: torch.Tensor, check: bool = True, **options) -> dict:
    """The reference through the whole check (`check`), or through the probe alone with the given fast
    paths turned off (the ablation; the check adds only label reading): time, accuracy, what the probe did."""
    sub = Recording(REPO / "solutions")
    started = time.perf_counter()
    if check:
        result = run_check(
            get_check("pipeline.mnist_accuracy"), sub, Context(device=device, seed=seed, data_root=root, epochs=epochs)
        )
        if not result.passed:
            raise SystemExit(f"the reference failed the check: {result.message.render('en')}")
    else:
        sub.probe("pipeline", root, epochs, seed, 50, device, predict=True, **options)
    seconds = time.perf_counter() - started
    probe = sub.returned["pipeline"]
    fp = probe["fastpath"]
    return {
        "seconds": seconds,
        "train_seconds": fp["seconds"]["fit"],
        # The worker's own prediction of the test split: only with predict=True (the ablations); the check
        # predicts on the trusted side instead, which `seconds` includes.
        "eval_seconds": fp["seconds"]["predict"],
        # What the check measures: the trained weights in the reference CNN, run on the trusted side.
        "accuracy": (pipeline.trusted_predictions(probe["weights"], root)[0] == labels).float().mean().item(),
        "threads": fp["threads"],
        "train_size": probe["train_size"],
        "subset": probe["subset"],
        "fastpath": fp,
    }


# ----------------------------------------------------------------------------------------------
# The compute floor


def model_gemms(model: nn.Module, batch: int = 50) -> tuple[int, list[tuple[int, int, int]]]:
    """Multiply-adds of one image's forward pass, and each layer's GEMM (M, K, N) at this batch."""
    shapes: list[tuple[int, int, int]] = []
    macs = 0

    def hook(module, inputs, output):
        nonlocal macs
        if isinstance(module, nn.Conv2d):
            _, c_out, h, w = output.shape
            k = module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
            macs += c_out * h * w * k
            shapes.append((batch * h * w, k, c_out))
        elif isinstance(module, nn.Linear):
            macs += module.in_features * module.out_features
            shapes.append((batch, module.in_features, module.out_features))

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        model(torch.zeros(1, 1, 28, 28))
    for h in handles:
        h.remove()
    return macs, shapes


def mm_rate(m: int, k: int, n: int, device: str, threads: int, seconds: float = 1.0) -> float:
    """float32 torch.mm rate in GFLOP/s: the best of repeated timings (the machine may be shared)."""
    with torch_threads(threads):
        return _mm_rate(m, k, n, device, seconds)


def _mm_rate(m: int, k: int, n: int, device: str, seconds: float) -> float:
    a, b = torch.randn(m, k, device=device), torch.randn(k, n, device=device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    for _ in range(3):
        torch.mm(a, b)
    sync()
    best, deadline = float("inf"), time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        t = time.perf_counter()
        for _ in range(5):
            torch.mm(a, b)
        sync()
        best = min(best, (time.perf_counter() - t) / 5)
    return 2 * m * k * n / best / 1e9


def floor(epochs: int, train_size: int, test_size: int, subset: int, device: str, threads: int) -> dict:
    macs, shapes = model_gemms(CNN())
    forward = 2 * macs
    train_flops = 3 * forward * train_size * epochs
    eval_flops = forward * (test_size + subset)
    biggest = max(shapes, key=lambda s: s[0] * s[1] * s[2])
    rate = mm_rate(*biggest, device, threads)
    square = 4096 if device == "cuda" else 2048
    peak = mm_rate(square, square, square, device, threads)
    total = train_flops + eval_flops
    return {
        "forward_flops_per_image": forward,
        "train_gflop": train_flops / 1e9,
        "eval_gflop": eval_flops / 1e9,
        "gemm_shape": list(biggest),
        "mm_gflops": rate,
        "floor_seconds": total / 1e9 / rate,
        "square_shape": square,
        "square_mm_gflops": peak,
        "floor_seconds_square_rate": total / 1e9 / peak,
        "threads": threads,
    }


def steps_alone(epochs: int, train_size: int, device: str, threads: int, repeats: int = 2) -> float:
    """Seconds of just the training steps any check of this pipeline must run: the notebook's model,
    epochs x (train_size / 50) Adam steps at batch 50 on batches already in memory (no dataset, no
    loader, no evaluation), as the kit runs them (fastpath.settings, and on CPU the layout
    fastpath.use_channels_last picks); the best of `repeats` runs. Nothing that trains the way the
    student wrote it can take less, so notebook / this is the most any such check could gain here."""
    with fastpath.settings(device, threads):
        return _steps_alone(epochs, train_size, device, repeats)


def _steps_alone(epochs: int, train_size: int, device: str, repeats: int) -> float:
    generator = torch.Generator().manual_seed(0)
    steps = epochs * (train_size // 50)
    xs = torch.randn(min(steps, 100), 50, 1, 28, 28, generator=generator).to(device)
    ys = torch.randint(0, 10, (min(steps, 100), 50), generator=generator).to(device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    best = float("inf")
    for _ in range(repeats):
        model = CNN().to(device)
        if device == "cpu":
            fastpath.use_channels_last(model, xs[0, :2])  # the notebook's x.view: contiguous children
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_func = nn.CrossEntropyLoss()
        sync()
        started = time.perf_counter()
        for step in range(steps):
            optimizer.zero_grad()
            loss_func(model(xs[step % len(xs)]), ys[step % len(ys)]).backward()
            optimizer.step()
        sync()
        best = min(best, time.perf_counter() - started)
    return best


# ----------------------------------------------------------------------------------------------


def warm_up(device: str) -> None:
    """One-time costs (oneDNN / cuDNN kernel setup) paid before anything is timed: the default layout,
    and on CPU the kit's (fastpath.use_channels_last)."""
    x, y = torch.randn(50, 1, 28, 28, device=device), torch.randint(0, 10, (50,), device=device)
    for kits_layout in (False, True):
        model = CNN().to(device)
        if kits_layout and device == "cpu":
            fastpath.use_channels_last(model, x[:2])
        nn.functional.cross_entropy(model(x), y).backward()


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--data", default=None, help="folder holding MNIST/raw (default: $BLITZ_DATA or data/)")
    parser.add_argument(
        "--epochs", type=int, default=EPOCHS, help=f"epochs of both pipelines (default: the check's {EPOCHS})"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of (notebook, kit)")
    parser.add_argument(
        "--notebook-threads",
        type=int,
        default=DEFAULT_THREADS,
        help=f"threads of the notebook (default: torch's default here, {DEFAULT_THREADS})",
    )
    parser.add_argument("--ablate", action="store_true", help="also time the kit with each fast path undone")
    parser.add_argument(
        "--out", default=None, help="JSON file (default: benchmarks/results/accuracy_<host or GPU>.json)"
    )
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        print("--device cuda: CUDA is not available here", file=sys.stderr)
        return 2

    root = str(mnist.require(Path(args.data).resolve() if args.data else None))
    labels = torchvision.datasets.MNIST(root=root, train=False).targets
    split = torchvision.datasets.MNIST(root=root, train=True)
    split_size = len(split)
    train_size = len(fastpath.training_subset(split, Path(root)))  # what the kit (and so the notebook here) trains on
    kit_threads = fastpath.grading_threads()
    device_name = torch.cuda.get_device_name() if args.device == "cuda" else cpu_name()
    print(
        f"device {args.device} ({device_name}); torch {torch.__version__}; epochs {args.epochs}; "
        f"{train_size} training images (of {split_size}); threads: notebook {args.notebook_threads}, kit {kit_threads}",
        flush=True,
    )
    warm_up(args.device)

    rounds = []
    for r in range(args.rounds):
        order = ("notebook", "kit") if r % 2 == 0 else ("kit", "notebook")
        done = {}
        for name in order:
            if name == "notebook":
                done[name] = notebook(root, args.epochs, args.seed, args.device, args.notebook_threads)
            else:
                done[name] = kit(root, args.epochs, args.seed, args.device, labels)
                assert done[name]["train_size"] == train_size, done[name]["train_size"]
            d = done[name]
            print(
                f"round {r + 1} {name:<8} {d['seconds']:7.2f} s  (train {d['train_seconds']:.2f} s, "
                f"evaluate 10,000 {d['eval_seconds']:.3f} s)  accuracy {d['accuracy']:.4f}",
                flush=True,
            )
        done["ratio"] = done["notebook"]["seconds"] / done["kit"]["seconds"]
        rounds.append(done)

    nb = [r["notebook"] for r in rounds]
    kt = [r["kit"] for r in rounds]
    fl = floor(args.epochs, train_size, len(labels), kt[0]["subset"], args.device, kit_threads)
    summary = {
        "notebook_seconds": median(nb, "seconds"),
        "kit_seconds": median(kt, "seconds"),
        "ratio_median_of_rounds": statistics.median(r["ratio"] for r in rounds),
        "ratio_of_medians": median(nb, "seconds") / median(kt, "seconds"),
        "notebook_accuracy": median(nb, "accuracy"),
        "kit_accuracy": median(kt, "accuracy"),
        "notebook_eval_seconds": median(nb, "eval_seconds"),
        "kit_eval_seconds": median(kt, "eval_seconds"),
        "kit_eval_seconds_best": min(r["eval_seconds"] for r in kt),
        "kit_seconds_best": min(r["seconds"] for r in kt),
        "notebook_seconds_best": min(r["seconds"] for r in nb),
    }
    thread_counts = sorted({kit_threads, args.notebook_threads, DEFAULT_THREADS})
    alone = {t: steps_alone(args.epochs, train_size, args.device, t) for t in thread_counts}
    summary["steps_alone_seconds"] = {str(t): s for t, s in alone.items()}
    summary["most_any_check_could_gain"] = summary["notebook_seconds"] / min(alone.values())
    summary["kit_over_floor"] = summary["kit_seconds"] / fl["floor_seconds"]
    summary["kit_over_floor_square_rate"] = summary["kit_seconds"] / fl["floor_seconds_square_rate"]

    ablation = {}
    if args.ablate:
        variants = {
            "kit (all fast paths)": {},
            "dataset as given (per-sample PIL + transform every epoch)": {"materialize": False},
            "items computed once, per item (no batched transform)": {"batched": False},
            "NCHW layout (no channels-last)": {"channels_last": False},
            "evaluation in batches of 50": {"eval_batch": 50},
            f"torch's default threads ({DEFAULT_THREADS})": {"threads": DEFAULT_THREADS},
        }
        for label, options in variants.items():
            run = kit(root, args.epochs, args.seed, args.device, labels, check=False, **options)
            ablation[label] = run
            print(
                f"ablation {label:<58} {run['seconds']:7.2f} s  (train {run['train_seconds']:.2f}, "
                f"evaluate {run['eval_seconds']:.3f}, data {run['fastpath']['seconds']['data']:.3f})  "
                f"accuracy {run['accuracy']:.4f}",
                flush=True,
            )
        run = notebook(root, args.epochs, args.seed, args.device, kit_threads)
        ablation[f"notebook at the kit's {kit_threads} thread(s)"] = run
        print(
            f"ablation {'notebook at the kit thread count':<58} {run['seconds']:7.2f} s  (train {run['train_seconds']:.2f}, "
            f"evaluate {run['eval_seconds']:.3f})  accuracy {run['accuracy']:.4f}",
            flush=True,
        )

    print()
    print(
        f"notebook  {summary['notebook_seconds']:7.2f} s  accuracy {summary['notebook_accuracy']:.4f}  "
        f"(evaluation {summary['notebook_eval_seconds']:.3f} s)  [median of {args.rounds}]"
    )
    print(
        f"kit check {summary['kit_seconds']:7.2f} s  accuracy {summary['kit_accuracy']:.4f}  "
        f"(evaluation {summary['kit_eval_seconds']:.3f} s, best {summary['kit_eval_seconds_best']:.3f} s)"
    )
    each = ", ".join(f"{r['ratio']:.2f}" for r in rounds)
    print(f"ratio     {summary['ratio_median_of_rounds']:.2f}x (median of the rounds' ratios: {each})")
    print(
        f"floor     {fl['floor_seconds']:.2f} s = {fl['train_gflop'] + fl['eval_gflop']:.0f} GFLOP / "
        f"{fl['mm_gflops']:.1f} GFLOP/s (torch.mm {tuple(fl['gemm_shape'])}, {kit_threads} thread(s)); "
        f"kit = {summary['kit_over_floor']:.2f}x floor"
    )
    print(
        f"          {fl['floor_seconds_square_rate']:.2f} s at the {fl['square_shape']}^3 mm rate "
        f"{fl['square_mm_gflops']:.1f} GFLOP/s; kit = {summary['kit_over_floor_square_rate']:.2f}x that"
    )

    steps = args.epochs * (train_size // 50)
    timings = ", ".join(f"{s:.2f} s at {t} thread(s)" for t, s in alone.items())
    print(f"bound     the {steps} training steps alone (batch 50, in memory, no loader, no evaluation): {timings};")
    print(
        f"          notebook / fastest of these = {summary['most_any_check_could_gain']:.2f}x, the most any check "
        f"that trains as the student wrote could gain here"
    )

    name = socket.gethostname() if args.device == "cpu" else f"cuda-{device_name}"
    out = (
        Path(args.out)
        if args.out
        else REPO / "benchmarks" / "results" / f"accuracy_{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "command": " ".join([Path(sys.argv[0]).name] + (argv if argv is not None else sys.argv[1:])),
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "host": socket.gethostname(),
        "device": args.device,
        "device_name": device_name,
        "cpus": os.cpu_count(),
        "physical_cores": physical_cores(),
        "load_average_at_end": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "epochs": args.epochs,
        "train_size": train_size,
        "training_split_size": split_size,
        "test_size": len(labels),
        "seed": args.seed,
        "summary": summary,
        "floor": fl,
        "rounds": rounds,
        "ablation": ablation,
    }
    out.write_text(json.dumps(record, indent=1, default=str) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
