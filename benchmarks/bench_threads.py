"""Why the MNIST check trains on one intra-op thread: a training step at 1 and at N threads, with
and without other processes keeping cores busy.

    python benchmarks/bench_threads.py                 # 1 and physical-cores threads; 0 and 1 busy process
    python benchmarks/bench_threads.py --busy 0 1 2 --kind torch --steps 100

One training step is the course's: the reference CNN (in the layout fastpath.use_channels_last
picks, as the kit runs it), Adam 1e-3, cross-entropy, a batch of 50 MNIST-sized inputs already in
memory. For each number of busy processes (a Python loop spinning on one core, or a torch job
multiplying matrices on torch's default threads; started before, killed after), it times `--steps`
steps at each thread count, and prints the median and best step in ms and the ratio
N threads / 1 thread. Results go to benchmarks/results/threads_<host>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
from torch import nn

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from blitz.course.cores import physical_cores  # noqa: E402
from blitz.exercises.pipeline import fastpath  # noqa: E402
from solutions.model import CNN  # noqa: E402

SPINNERS = {
    # a plain Python loop: one core busy
    "python": "while True:\n    pass\n",
    # another torch job on torch's default threads (as a second test run or notebook would be)
    "torch": "import torch\na = torch.randn(512, 512)\nwhile True:\n    a @ a\n",
}


def step_times(threads: int, steps: int) -> list[float]:
    """Seconds of each of `steps` training steps at `threads` intra-op threads (set as the kit sets
    them, with fastpath.settings, and restored afterwards)."""
    with fastpath.settings("cpu", threads):
        return _step_times(steps)


def _step_times(steps: int) -> list[float]:
    torch.manual_seed(0)
    model = CNN()
    x, y = torch.randn(50, 1, 28, 28), torch.randint(0, 10, (50,))
    fastpath.use_channels_last(model, x[:2])  # the layout the kit picks for this model
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_func = nn.CrossEntropyLoss()
    times = []
    for i in range(steps + 5):  # the first 5 set up oneDNN's kernels
        started = time.perf_counter()
        optimizer.zero_grad()
        loss_func(model(x), y).backward()
        optimizer.step()
        if i >= 5:
            times.append(time.perf_counter() - started)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--busy", type=int, nargs="+", default=[0, 1], help="numbers of busy processes to try")
    parser.add_argument(
        "--threads", type=int, nargs="+", default=None, help="thread counts (default: 1 and the physical cores)"
    )
    parser.add_argument(
        "--kind", choices=sorted(SPINNERS), nargs="+", default=["python", "torch"], help="what the busy processes run"
    )
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    thread_counts = args.threads or sorted({1, physical_cores()})
    results = []
    cases = [(0, "none")] if 0 in args.busy else []
    cases += [(busy, kind) for kind in args.kind for busy in args.busy if busy]
    for busy, kind in cases:
        spinners = [subprocess.Popen([sys.executable, "-c", SPINNERS[kind]]) for _ in range(busy)]
        try:
            time.sleep(2.0 if busy else 0)  # let torch import in the spinners
            row = {"busy_processes": busy, "busy_kind": kind}
            for threads in thread_counts:
                times = step_times(threads, args.steps)
                row[str(threads)] = {"median_ms": statistics.median(times) * 1e3, "best_ms": min(times) * 1e3}
        finally:
            for p in spinners:
                p.kill()
                p.wait()
        results.append(row)
        cells = "  ".join(
            f"{t} thread(s): median {row[str(t)]['median_ms']:7.1f} ms, best {row[str(t)]['best_ms']:6.1f} ms"
            for t in thread_counts
        )
        ratio = row[str(thread_counts[-1])]["median_ms"] / row[str(thread_counts[0])]["median_ms"]
        print(
            f"{busy} busy ({kind:>6}): {cells}  -> {thread_counts[-1]}/{thread_counts[0]} threads = {ratio:.2f}x",
            flush=True,
        )
    out = Path(args.out) if args.out else REPO / "benchmarks" / "results" / f"threads_{socket.gethostname()}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%d %H:%M:%S"),
                "host": socket.gethostname(),
                "cpus": os.cpu_count(),
                "physical_cores": physical_cores(),
                "torch": torch.__version__,
                "steps": args.steps,
                "load_average_at_end": os.getloadavg(),
                "results": results,
            },
            indent=1,
        )
        + "\n"
    )
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
