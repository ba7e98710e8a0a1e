"""The student's commands on the warm-worker engine (blitz/execution/), each against a bare torch import.

    BLITZ_DATA=/work/shared/data python benchmarks/bench_engine.py            # 5 rounds
    python benchmarks/bench_engine.py --rounds 3 --out benchmarks/results/engine_vm.json

Measured in one run, rounds interleaved, medians compared (ratios, since the machine may be busy):

- `blitz check tensors` on a folder where tensors passes, against `python -c "import torch"`
  (the target: at most 1.5x);
- a second `blitz list` with nothing changed (every result kept), against the same (target: <= 1.0x);
- `blitz watch` in a pseudo-terminal: from saving tensors.py (the reference, then the stub again,
  alternately) to the screen that shows its new result (target: under 1 s).

The machine's load average is recorded next to the figures: on a busy machine every time is longer,
the ratios less so.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from blitz import __version__  # noqa: E402
from blitz.authoring.markers import stub_source  # noqa: E402
from blitz.course import registry  # noqa: E402

FOOTER = "Save a file to check again · h hint · r re-run · q quit"


def env() -> dict:
    return {**os.environ, "BLITZ_LANG": "en", "PYTHONIOENCODING": "utf-8"}


def timed(cmd: list[str], expect_rc: int = 0) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env(), cwd=ROOT)
    seconds = time.perf_counter() - started
    if proc.returncode != expect_rc:
        raise SystemExit(f"{cmd}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return seconds


def student_folder(base: Path) -> Path:
    folder = base / "exercises"
    folder.mkdir()
    for exercise in registry.MODULE_EXERCISES:
        (folder / f"{exercise.id}.py").write_text(stub_source(exercise), encoding="utf-8")
    (folder / "tensors.py").write_text(registry.get("tensors").solution_path.read_text(encoding="utf-8"))
    return folder


def commands(folder: Path, rounds: int, device: str = "cpu") -> dict[str, list[float]]:
    blitz = [sys.executable, "-m", "blitz"]
    torch_import = [sys.executable, "-c", "import torch"]
    timed(blitz + ["list", "--submission", str(folder)])  # the first list runs and keeps every result
    times: dict[str, list[float]] = {"import torch": [], "check tensors": [], "list (kept)": []}
    for _ in range(rounds):
        times["import torch"].append(timed(torch_import))
        check = ["check", "tensors", "--submission", str(folder), "--device", device]
        times["check tensors"].append(timed(blitz + check))
        times["list (kept)"].append(timed(blitz + ["list", "--submission", str(folder)]))
    return times


def watch_latency(folder: Path, rounds: int) -> list[float]:
    """Seconds from saving tensors.py to the screen with its new result, alternately passing and not."""
    import pexpect

    solution = registry.get("tensors").solution_path.read_text(encoding="utf-8")
    stub = stub_source(registry.get("tensors"))
    (folder / "tensors.py").write_text(stub, encoding="utf-8")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "blitz", "watch", "--submission", str(folder), "--interval", "0.1"],
        env=env(),
        encoding="utf-8",
        timeout=300,
        dimensions=(60, 140),
        cwd=str(ROOT),
    )
    latencies = []
    try:
        child.expect_exact(FOOTER)  # the first screen: the worker is warm from here on
        for i in range(2 * rounds):
            passing = i % 2 == 0
            want = "✓ tensors passed!" if passing else "▶ tensors — "
            time.sleep(0.3)  # a new mtime
            tmp = folder / "tensors.swp"
            tmp.write_text(solution if passing else stub, encoding="utf-8")
            saved = time.perf_counter()
            os.replace(tmp, folder / "tensors.py")
            while True:
                child.expect_exact(FOOTER)
                screen = child.before[child.before.rfind("blitz watch —") :]
                if want in screen and "checking " not in screen:
                    latencies.append(time.perf_counter() - saved)
                    break
        child.send("q")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    return latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--device", default="cpu", help="blitz check's --device (list and watch have none)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / f"engine_{platform.node()}.json"))
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        folder = student_folder(Path(tmp))
        times = commands(folder, args.rounds, args.device)
        watch = watch_latency(folder, args.rounds)
    median = {name: statistics.median(values) for name, values in times.items()}
    ratios = {
        "check tensors / import torch": median["check tensors"] / median["import torch"],
        "list (kept) / import torch": median["list (kept)"] / median["import torch"],
    }
    result = {
        "version": __version__,
        "machine": {"node": platform.node(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "rounds": args.rounds,
        "device": args.device,
        "seconds": times,
        "median_seconds": median,
        "ratios": ratios,
        "targets": {"check tensors / import torch": 1.5, "list (kept) / import torch": 1.0, "watch save→result s": 1.0},
        "watch_save_to_result_seconds": watch,
        "watch_median_seconds": statistics.median(watch),
        "watch_max_seconds": max(watch),
    }
    for name, value in median.items():
        print(f"{name:<16} median {value:6.2f} s   ({', '.join(f'{v:.2f}' for v in times[name])})")
    for name, value in ratios.items():
        print(f"{name:<30} {value:5.2f}x")
    print(f"watch: save → result on screen, median {result['watch_median_seconds']:.2f} s, max {max(watch):.2f} s")
    print(f"load average before {load_before}, after {result['load_average_after']}")
    Path(args.out).write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
