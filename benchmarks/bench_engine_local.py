"""`blitz check tensors` (or `--exercise ID`) of two kits, alternated in one run: the baseline's venv and this tree's.

    python benchmarks/bench_engine_local.py --baseline /work/main --rounds 3 \
        --out benchmarks/results/bench_engine_local.json
    python benchmarks/bench_engine_local.py --baseline /work/wt/base --exercise pipeline   # the MNIST check

Each kit checks a folder of its own (the reference of the exercise checked, the other exercises stubbed;
for the capstone, which runs the student's whole pipeline, every reference); rounds
alternate baseline and this tree, medians compared; the load average is recorded before and after.
With `perf` installed, the CPU time of the whole process tree (front end, host, worker, children:
perf stat's task-clock) is recorded too: on a busy machine it varies far less than the wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def folder_for(kit: Path, base: Path, exercise: str) -> Path:
    """The kit's own student folder: its stubs, the exercise's file (every file, for the capstone) replaced
    by its reference."""
    folder = base / kit.name / "exercises"
    folder.parent.mkdir(parents=True)
    subprocess.run(["cp", "-r", str(kit / "exercises"), str(folder)], check=True)
    own = kit / "solutions" / f"{exercise}.py"
    for reference in [own] if own.exists() else sorted((kit / "solutions").glob("[a-z]*.py")):
        (folder / reference.name).write_text(reference.read_text(encoding="utf-8"))
    return folder


def timed(kit: Path, folder: Path, exercise: str) -> tuple[float, float | None]:
    """Wall seconds, and CPU seconds of the process tree (None without perf)."""
    command = [str(kit / ".venv" / "bin" / "blitz"), "check", exercise, "--submission", str(folder), "--device", "cpu"]
    with tempfile.NamedTemporaryFile(suffix=".perf") as counts:
        perf = ["perf", "stat", "-x,", "-e", "task-clock", "-o", counts.name] if shutil.which("perf") else []
        started = time.perf_counter()
        proc = subprocess.run(
            perf + command, cwd=kit, capture_output=True, text=True, env={**os.environ, "BLITZ_LANG": "en"}
        )
        seconds = time.perf_counter() - started
        lines = [line for line in Path(counts.name).read_text().splitlines() if "task-clock" in line]
    if proc.returncode != 0:
        raise SystemExit(f"{command}: exit {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    cpu = float(lines[0].split(",")[0]) / 1000 if lines else None
    return seconds, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--exercise", default="tensors", help="the exercise checked (default tensors)")
    args = parser.parse_args()
    kits = {"baseline": args.baseline.resolve(), "this tree": ROOT}
    before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        folders = {name: folder_for(kit, Path(tmp) / name, args.exercise) for name, kit in kits.items()}
        for name, kit in kits.items():
            timed(kit, folders[name], args.exercise)  # a first run each: the page cache warm for both
        seconds: dict[str, list[float]] = {name: [] for name in kits}
        cpu: dict[str, list[float]] = {name: [] for name in kits}
        for _ in range(args.rounds):
            for name, kit in kits.items():
                wall, used = timed(kit, folders[name], args.exercise)
                seconds[name].append(round(wall, 3))
                cpu[name] += [round(used, 3)] if used is not None else []
    medians = {name: statistics.median(times) for name, times in seconds.items()}
    result = {
        "command": f"blitz check {args.exercise} --submission FOLDER --device cpu",
        "kits": {name: str(kit) for name, kit in kits.items()},
        "seconds": seconds,
        "median": medians,
        "ratio": round(medians["this tree"] / medians["baseline"], 3),
        "cpu_seconds": cpu,
        "load_average_before": [round(x, 2) for x in before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }
    if all(cpu.values()):
        cpu_medians = {name: statistics.median(times) for name, times in cpu.items()}
        result["cpu_median"] = cpu_medians
        result["cpu_ratio"] = round(cpu_medians["this tree"] / cpu_medians["baseline"], 3)
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
