"""How fast `blitz grade` grades a realistic class, loopers included, and what that means for 300 students.

    python benchmarks/bench_class.py                   # 100 mixed submissions, every exercise
    python benchmarks/bench_class.py --students 24 --exercises tensors,autograd,model

A simulated class (:func:`build_class`, deterministic) of mixed submissions: the reference, partial
work (some exercises still the stub), untouched stubs, realistic bugs, broken files (a syntax error,
a missing import) and loopers (an endless loop in one function, which costs a time limit). It is
graded by the real command (`python -m blitz grade`, sandboxed, `--workers` = this machine's physical
cores) into a fresh folder. Printed and written to benchmarks/results/bench_class.json:

- submissions per core-minute: students / (wall minutes x cores used);
- the projection for a course of 300 on 16 cores at that rate (the goal: under 5 minutes);
- the load averages at the start and the end: the rate is that of a quiet machine only when they are low;
- the mix, the wall time, the grades' totals per kind (a check that the class was graded as built).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from blitz.course import registry  # noqa: E402
from blitz.course.cores import physical_cores  # noqa: E402

# (kind, share of the class). Each kind is built by `_write` from the reference and the stubs.
MIX = (("reference", 0.35), ("partial", 0.2), ("stub", 0.1), ("bug", 0.15), ("broken", 0.1), ("looper", 0.1))
BUGS = {  # realistic mistakes, one text patch each on the reference
    "tensors": ("return torch.stack(tensors, dim=dim)", "return torch.cat(tensors, dim=dim)"),
    "autograd": ("q.backward(gradient=ones, retain_graph=True)", "q.backward(gradient=ones * 2, retain_graph=True)"),
    "train": ("        optimizer.zero_grad()\n", ""),
    "model": ("nn.ReLU(), nn.MaxPool2d(2))\n        self.out", "nn.ReLU(), nn.AvgPool2d(2))\n        self.out"),
}
LOOP = "\n\ndef _spin():\n    while True:\n        pass\n"


def kinds(students: int) -> list[str]:
    """The class's kinds, in a fixed interleaved order (so every worker sees a mix)."""
    counts = {kind: max(1, round(share * students)) for kind, share in MIX}
    counts["reference"] += students - sum(counts.values())
    order: list[str] = []
    while len(order) < students:
        for kind, _ in MIX:
            if counts[kind] > 0 and len(order) < students:
                order.append(kind)
                counts[kind] -= 1
    return order


def _patched(exercise: str, old: str, new: str) -> str:
    text = registry.get(exercise).solution_path.read_text(encoding="utf-8")
    if text.count(old) != 1:
        raise SystemExit(f"bench_class: the patch for {exercise} no longer matches the reference: {old!r}")
    return text.replace(old, new)


def _write(folder: Path, kind: str, number: int) -> None:
    folder.mkdir(parents=True)
    turn = number // len(MIX)  # the how-many-th of its kind, near enough: varies the bug, the break, the loop
    modules = registry.MODULE_EXERCISES
    for i, e in enumerate(modules):
        source = e.solution_path.read_text(encoding="utf-8")
        if kind == "stub" or (kind == "partial" and (i + number) % 3 == 0):
            source = e.stub_path.read_text(encoding="utf-8")
        elif kind == "bug" and e.id in BUGS and (i + number) % 2 == 0:
            source = _patched(e.id, *BUGS[e.id])
        elif kind == "broken" and i == turn % len(modules):
            source = source.replace("def ", "def (", 1) if turn % 2 else "import torchh\n" + source
        elif kind == "looper" and e.id == ("tensors", "train")[turn % 2]:
            # the first function of the module never returns
            name = "gram" if e.id == "tensors" else "train_one_epoch"
            source = source.replace(f"def {name}(", f"def {name}(*a, **k):\n    _spin()\n\n\ndef _{name}(", 1) + LOOP
        (folder / f"{e.id}.py").write_text(source, encoding="utf-8")


def build_class(folder: Path, students: int) -> dict[str, str]:
    """A class folder of `students` mixed submissions; {student: kind}."""
    built = {}
    for number, kind in enumerate(kinds(students)):
        name = f"s{number:03d}-{kind}"
        _write(folder / name, kind, number)
        built[name] = kind
    return built


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--workers", type=int, default=None, help="default: the physical cores")
    parser.add_argument("--exercises", default=None, help="comma-separated ids (default: all)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "bench_class.json"))
    args = parser.parse_args(argv)
    cores = physical_cores()
    workers = args.workers or cores
    with tempfile.TemporaryDirectory(prefix="blitz-bench-class-") as tmp:
        klass, out = Path(tmp) / "class", Path(tmp) / "out"
        built = build_class(klass, args.students)
        cmd = [sys.executable, "-m", "blitz", "grade", str(klass), "--out", str(out), "--workers", str(workers)]
        cmd += ["--no-progress"] + (["--exercises", args.exercises] if args.exercises else [])
        load_before = os.getloadavg()
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - start
        load_after = os.getloadavg()
        if done.returncode not in (0, 1):
            print(done.stdout[-3000:], done.stderr[-3000:], sep="\n")
            return 1
        with open(out / "grades.csv", encoding="utf-8") as f:
            totals = {row["student"]: float(row["total"]) for row in csv.DictReader(f)}
    by_kind: dict[str, list[float]] = {}
    for student, kind in built.items():
        by_kind.setdefault(kind, []).append(totals.get(student, float("nan")))
    used = min(workers, cores)
    rate = args.students / (wall / 60 * used)
    projected = 300 / (rate * 16)
    result = {
        "students": args.students,
        "mix": dict(Counter(built.values())),
        "workers": workers,
        "cores": cores,
        "wall_s": round(wall, 1),
        "submissions_per_core_minute": round(rate, 2),
        "projected_minutes_300_on_16_cores": round(projected, 2),
        "goal_minutes": 5,
        "load_average_1min_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
        "mean_total_by_kind": {k: round(sum(v) / len(v), 2) for k, v in by_kind.items()},
        "machine": f"{platform.machine()} {platform.processor() or ''} {cores} physical cores".strip(),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    print(
        f"{args.students} submissions in {wall:.0f} s on {used} core(s): {rate:.2f} per core-minute; "
        f"300 on 16 cores: {projected:.1f} min (goal: under 5)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
