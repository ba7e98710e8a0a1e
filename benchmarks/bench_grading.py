"""How many submissions per minute `blitz grade` grades, at 1 and 2 workers.

    python benchmarks/bench_grading.py                 # 4 copies of the reference, no MNIST pipeline
    python benchmarks/bench_grading.py --copies 8 --with-pipeline --workers 1 2 4

Each run is the real command (`python -m blitz grade`) in a subprocess, on a fresh class folder of
copies of the reference solutions, into a fresh report folder. Prints a table and the speed-up over
one worker, and writes the numbers (with the machine and the isolation in use) to
benchmarks/results/bench_grading.json. The pipeline exercise trains a CNN on MNIST (about as long as
all the other exercises together), so it is left out unless asked for.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from blitz import __version__
from blitz.course import registry  # noqa: E402
from blitz.engine.fastpath import physical_cores  # noqa: E402
from blitz.grading.sandbox.process import describe_isolation  # noqa: E402


def build_class(folder: Path, copies: int) -> None:
    for i in range(copies):
        student = folder / f"student{i:03d}"
        student.mkdir(parents=True)
        for e in registry.MODULE_EXERCISES:
            shutil.copyfile(e.solution_path, student / f"{e.id}.py")


def run(class_dir: Path, out: Path, workers: int, exercises: list[str]) -> tuple[float, str]:
    cmd = [
        sys.executable,
        "-m",
        "blitz",
        "grade",
        str(class_dir),
        "--out",
        str(out),
        "--workers",
        str(workers),
        "--exercises",
        ",".join(exercises),
        "--no-progress",
    ]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "BLITZ_LANG": "en"})
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"blitz grade failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return seconds, proc.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=4, help="submissions in the batch (default 4)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to compare (default 1 2)")
    parser.add_argument("--with-pipeline", action="store_true", help="also grade the MNIST pipeline exercise")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "bench_grading.json"))
    args = parser.parse_args(argv)

    exercises = [e.id for e in registry.EXERCISES if args.with_pipeline or e.id != "pipeline"]
    rows = []
    with tempfile.TemporaryDirectory(prefix="blitz-bench-") as tmp:
        class_dir = Path(tmp) / "class"
        build_class(class_dir, args.copies)
        for workers in args.workers:
            seconds, stdout = run(class_dir, Path(tmp) / f"out-{workers}", workers, exercises)
            if f"{args.copies} graded" not in stdout:
                raise SystemExit(f"expected {args.copies} graded submissions:\n{stdout[-2000:]}")
            rows.append(
                {
                    "workers": workers,
                    "seconds": round(seconds, 2),
                    "submissions_per_minute": round(60 * args.copies / seconds, 2),
                }
            )
    base = rows[0]["submissions_per_minute"]
    print(f"{args.copies} copies of the reference, exercises: {', '.join(exercises)}")
    print(f"{'workers':>8} {'seconds':>9} {'subs/min':>9} {'speed-up':>9}")
    for row in rows:
        row["speedup"] = round(row["submissions_per_minute"] / base, 2)
        print(
            f"{row['workers']:>8} {row['seconds']:>9.1f} {row['submissions_per_minute']:>9.2f} {row['speedup']:>8.2f}x"
        )
    report = {
        "benchmark": "bench_grading",
        "kit_version": __version__,
        "copies": args.copies,
        "exercises": exercises,
        "rows": rows,
        "machine": {
            "physical_cores": physical_cores(),
            "logical_cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "isolation": describe_isolation(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
