"""How fast `blitz grade` grades, against grading the reference in one Python.

    python benchmarks/bench_grading.py                 # the target: (a) and (b) below, in one run
    python benchmarks/bench_grading.py --scaling       # 4 copies at 1 and 2 workers, no MNIST pipeline
    python benchmarks/bench_grading.py --before        # this kit against the kit before the sandbox
    python benchmarks/bench_grading.py --scaling --copies 8 --with-pipeline --workers 1 2 4

The target (default): (a) one in-process grading of the reference: a fresh Python imports torch and
the kit and runs every check of every exercise (the capstone included) against solutions/ with
:class:`blitz.probes.local.LocalSubmission`, at grade's seed, as `pytest autograder --submission
solutions` did in-process before the engine; (b) `blitz grade` of 8 copies of the reference, every
exercise, ``--workers 2``. It prints b / (1.3 x 8 x a / 2), the ratio to the target (at most 1 meets
it), and writes benchmarks/results/bench_grading.json. ``--device cuda`` does the same on the GPU
(both (a) and (b); bench_grading_cuda.json); ``--unsafe-no-sandbox`` grades where bubblewrap is
missing (a machine lent only for GPU figures), and the JSON says so.

--scaling (the older mode): submissions per minute at each worker count and the speed-up over the
first, written to benchmarks/results/bench_grading_workers.json. The pipeline exercise trains a CNN
on MNIST (about as long as all the other exercises together), so it is left out unless asked for.

--before [REV] (default bd663f9, the kit before bubblewrap and the warm worker: one unconfined worker
per exercise): the same class graded by the kit at REV (extracted with `git archive`) and by this one,
one after the other in one run, with the same options; prints this / before (the grader-security
target: at most 1.2; the re-layout's: within 10%) and writes benchmarks/results/bench_grading_before.json.
``--rounds N`` grades N times each, alternating which goes first, and reports the median ratio.

Each grading is the real command (`python -m blitz grade`) in a subprocess, on a fresh class folder
of copies of the reference solutions, into a fresh report folder.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from blitz import __version__
from blitz.course import registry  # noqa: E402
from blitz.course.cores import physical_cores  # noqa: E402
from blitz.execution.sandbox.process import describe_isolation  # noqa: E402


def build_class(folder: Path, copies: int) -> None:
    for i in range(copies):
        student = folder / f"student{i:03d}"
        student.mkdir(parents=True)
        for e in registry.MODULE_EXERCISES:
            shutil.copyfile(e.solution_path, student / f"{e.id}.py")


def run(
    class_dir: Path,
    out: Path,
    workers: int,
    exercises: list[str],
    kit: Path = ROOT,
    seed: int | None = None,
    extra: tuple[str, ...] = (),
) -> tuple[float, str]:
    cmd = (
        [
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
        + (["--seed", str(seed)] if seed is not None else [])
        + list(extra)
    )
    env = {**os.environ, "BLITZ_LANG": "en", "PYTHONPATH": str(kit)}
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=kit)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"blitz grade failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return seconds, proc.stdout


SEED = 7907  # blitz grade's default seed
TARGET = 1.3  # (b) may take at most 1.3 x the in-process time per submission, shared by the workers


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine so far, from /proc/stat (Linux)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields[:8]) - idle, sum(fields[:8])


def busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total > 0 else float("nan")


def in_process_child() -> None:
    """(a), in a fresh Python: every check of every exercise against solutions/ in this process."""
    started = time.perf_counter()
    import torch  # noqa: F401 - its import is part of what is measured

    from blitz.checks import Context, checks_for, run_check
    from blitz.course.mnist import default_root
    from blitz.probes.local import LocalSubmission

    data = os.environ.get("BLITZ_DATA") or str(default_root())
    sub = LocalSubmission(ROOT / "solutions")
    ctx = Context(seed=SEED, data_root=data, device=os.environ.get("BENCH_DEVICE", "cpu"))
    results = [run_check(c, sub, ctx) for e in registry.EXERCISES for c in checks_for(e.id)]
    seconds = time.perf_counter() - started
    score = sum(r.score for r in results)
    print(json.dumps({"seconds": seconds, "score": round(score, 2), "checks": len(results)}))


def in_process(device: str = "cpu") -> dict:
    """(a) measured from outside: the subprocess's wall time, Python's start included."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--in-process-child"],
        capture_output=True,
        text=True,
        env={**os.environ, "BLITZ_LANG": "en", "BENCH_DEVICE": device},
    )
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"in-process grading failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    inner = json.loads(proc.stdout.strip().splitlines()[-1])
    # "seconds": the whole run, Python's start and the imports included; "seconds_inside": from its first line.
    return {**inner, "seconds": round(seconds, 2), "seconds_inside": round(inner["seconds"], 2)}


def target(args) -> int:
    exercises = [e.id for e in registry.EXERCISES]
    copies, workers = args.copies or 8, 2
    load_before = os.getloadavg()
    a = in_process(args.device)
    extra = ("--device", args.device) + (("--unsafe-no-sandbox",) if args.unsafe_no_sandbox else ())
    if a["score"] < 100:
        raise SystemExit(f"the reference scored {a['score']} in-process, not 100")
    with tempfile.TemporaryDirectory(prefix="blitz-bench-") as tmp:
        class_dir = Path(tmp) / "class"
        build_class(class_dir, copies)
        busy_before = cpu_ticks()
        b, stdout = run(class_dir, Path(tmp) / "out", workers, exercises, extra=extra)
        busy = busy_share(busy_before, cpu_ticks())
        if f"{copies} graded" not in stdout:
            raise SystemExit(f"expected {copies} graded submissions:\n{stdout[-2000:]}")
        scores = [json.loads(p.read_text())["score"] for p in sorted((Path(tmp) / "out").glob("*/results.json"))]
    goal = TARGET * copies * a["seconds"] / workers
    ratio = b / goal
    print(f"(a) in-process grading of the reference: {a['seconds']:.1f} s ({a['checks']} checks, {a['score']} points)")
    print(f"(b) blitz grade, {copies} copies, every exercise, --workers {workers}: {b:.1f} s (CPUs {busy:.0%} busy)")
    print(f"target: {TARGET} x {copies} x a / {workers} = {goal:.1f} s; b / target = {ratio:.2f}", end="")
    print(" (met)" if ratio <= 1 else " (not met)")
    report = {
        "benchmark": "bench_grading",
        "kit_version": __version__,
        "in_process": a,
        "device": args.device,
        "grade": {
            "copies": copies,
            "workers": workers,
            "unsafe_no_sandbox": args.unsafe_no_sandbox,
            "exercises": exercises,
            "seconds": round(b, 2),
            "cpu_busy": round(busy, 3),  # the whole machine's, from /proc/stat, while (b) ran
        },
        "grade_scores": scores,
        "target_seconds": round(goal, 2),
        "ratio_to_target": round(ratio, 3),
        "load_average": {"before": load_before, "after": os.getloadavg()},  # 1, 5, 15 minutes
        **machine(),
    }
    name = "bench_grading.json" if args.device == "cpu" else f"bench_grading_{args.device}.json"
    write(report, args.out or str(ROOT / "benchmarks" / "results" / name))
    return 0


BEFORE = "bd663f9"  # the last kit before the bubblewrap sandbox and the warm worker
SECURITY_TARGET = 1.2  # the sandboxed grader may be at most 20% slower than the one before it


def before(args) -> int:
    exercises = [e.id for e in registry.EXERCISES]
    copies, workers = args.copies or 4, 2
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="blitz-bench-") as tmp:
        old_kit = Path(tmp) / "kit-before"
        old_kit.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.before], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(old_kit)], input=archive.stdout, check=True)
        # Both kits with their bytecode written, as `make setup` leaves a kit (and as any Python that may
        # write it does on first import): otherwise the one without pays for compiling itself in every process.
        for kit in (old_kit, ROOT):
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(kit / "blitz")], check=True)
        class_dir = Path(tmp) / "class"
        build_class(class_dir, copies)
        rounds: list[dict[str, float]] = []
        for round_ in range(args.rounds):
            # Alternated (before first, then this first, ...): a load that comes or goes is shared.
            order = (("before", old_kit), ("this", ROOT))
            times = {}
            for name, kit in order if round_ % 2 == 0 else order[::-1]:
                out = Path(tmp) / f"out-{name}-{round_}"
                times[name], stdout = run(class_dir, out, workers, exercises, kit, SEED)
                if f"{copies} graded" not in stdout:
                    raise SystemExit(f"expected {copies} graded submissions ({name}):\n{stdout[-2000:]}")
                scores = [json.loads(p.read_text())["score"] for p in sorted(out.glob("*/results.json"))]
                if [round(x, 2) for x in scores] != [100.0] * copies:
                    raise SystemExit(f"the reference copies scored {scores} ({name}), not 100 each")
            rounds.append(times)
            print(f"round {round_ + 1}: before {times['before']:.1f} s, this {times['this']:.1f} s", flush=True)
    ratios = sorted(t["this"] / t["before"] for t in rounds)
    ratio = statistics.median(ratios)
    times = {k: statistics.median(t[k] for t in rounds) for k in ("before", "this")}
    print(
        f"before ({args.before}): {times['before']:.1f} s; this kit: {times['this']:.1f} s "
        f"({copies} copies, every exercise, --workers {workers}; medians of {args.rounds} round(s))"
    )
    print(
        f"this / before = {ratio:.2f}, the median of {[round(r, 2) for r in ratios]} (the security target at most "
        f"{SECURITY_TARGET}: {'met' if ratio <= SECURITY_TARGET else 'not met'}; within 10%: "
        f"{'met' if ratio <= 1.1 else 'not met'})"
    )
    report = {
        "benchmark": "bench_grading --before",
        "kit_version": __version__,
        "before": args.before,
        "copies": copies,
        "workers": workers,
        "exercises": exercises,
        "seconds": {k: round(v, 2) for k, v in times.items()},
        "rounds": [{k: round(v, 2) for k, v in t.items()} for t in rounds],
        "ratio": round(ratio, 3),
        "load_average": {"before": load_before, "after": os.getloadavg()},
        **machine(),
    }
    write(report, args.out or str(ROOT / "benchmarks" / "results" / "bench_grading_before.json"))
    return 0


def machine() -> dict:
    return {
        "machine": {
            "physical_cores": physical_cores(),
            "logical_cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "isolation": describe_isolation(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def write(report: dict, path: str) -> None:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scaling", action="store_true", help="the older mode: compare worker counts")
    parser.add_argument("--copies", type=int, default=0, help="submissions in the batch (target 8, scaling 4)")
    parser.add_argument("--rounds", type=int, default=1, help="--before: rounds, alternated; the median ratio")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="--scaling: worker counts (default 1 2)")
    parser.add_argument("--with-pipeline", action="store_true", help="--scaling: also grade the MNIST pipeline")
    parser.add_argument("--out", default="", help="the JSON report (default benchmarks/results/bench_grading*.json)")
    parser.add_argument(
        "--before",
        nargs="?",
        const=BEFORE,
        default=None,
        metavar="REV",
        help=f"compare with the kit at REV (default {BEFORE}, before the sandbox)",
    )
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="the target mode on this device")
    parser.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="the target mode where bubblewrap is missing (the JSON says so)",
    )
    parser.add_argument("--in-process-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.in_process_child:
        in_process_child()
        return 0
    if args.before:
        return before(args)
    if not args.scaling:
        return target(args)
    args.copies = args.copies or 4

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
        "benchmark": "bench_grading --scaling",
        "kit_version": __version__,
        "copies": args.copies,
        "exercises": exercises,
        "rows": rows,
        **machine(),
    }
    write(report, args.out or str(ROOT / "benchmarks" / "results" / "bench_grading_workers.json"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
