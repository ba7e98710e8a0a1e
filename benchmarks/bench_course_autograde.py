"""How much faster `blitz course-autograde` grades a class with several students at once.

    BLITZ_DATA=/work/shared/data nice python benchmarks/bench_course_autograde.py --students 4 --workers 2

A real nbgrader course (`blitz course`, `nbgrader generate_assignment tensors`) and a class of
`--students` notebooks, in turn all solved, half solved and untouched. The same class is graded with
``--force --workers 1`` (nbgrader's kernels one student after another, in one nbgrader process) and
``--force --workers N`` (one ``nbgrader autograde --student`` process per student, N at a time, and the
kit's scores in N processes), `--rounds` times, alternating which goes first. Printed and written to
benchmarks/results/course_autograde_<hostname>.json: each run's wall time, the median speed-up, and
whether both gave the same gradebook (every test cell's auto score of every student).
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

ASSIGNMENT = "tensors"
BIN = Path(sys.executable).parent


def sh(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    from blitz.authoring.nbgrader import nbgrader_env

    result = subprocess.run(argv, cwd=cwd, env=nbgrader_env(), capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def notebooks(root: Path, students: int) -> None:
    import nbformat

    from blitz.checks import checks_for

    names = [c.name for c in checks_for(ASSIGNMENT)]
    source = nbformat.read(root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    answers = {
        c.metadata["nbgrader"]["grade_id"]: "\n".join(line for line in c.source.splitlines() if "### " not in line)
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("grade_id") in names
    }
    for number in range(students):
        solved = (names, names[: len(names) // 2], [])[number % 3]
        nb = nbformat.read(root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
        for c in nb.cells:
            if c.metadata.get("nbgrader", {}).get("grade_id") in solved:
                c.source = answers[c.metadata["nbgrader"]["grade_id"]]
        folder = root / "submitted" / f"student{number:02d}" / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")
        (folder / "timestamp.txt").write_text("2030-01-01 10:00:00.000000 UTC")


def gradebook(root: Path) -> dict[str, dict[str, float]]:
    from nbgrader.api import Gradebook

    out: dict[str, dict[str, float]] = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for sub in gb.assignment_submissions(ASSIGNMENT):
            for nb in sub.notebooks:
                out[sub.student_id] = {g.name: g.auto_score or 0.0 for g in nb.grades}
    return out


def timed(root: Path, workers: int) -> tuple[float, dict]:
    start = time.monotonic()
    sh([str(BIN / "blitz"), "course-autograde", ".", ASSIGNMENT, "--force", "--workers", str(workers)], root)
    return time.monotonic() - start, gradebook(root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    load = os.getloadavg()[0]  # other work on this machine slows both alike, not evenly
    with tempfile.TemporaryDirectory(prefix="bench-course-") as tmp:
        root = Path(tmp)
        sh([str(BIN / "blitz"), "course", str(root), "--timeout", "30"], root)
        sh([str(BIN / "nbgrader"), "generate_assignment", ASSIGNMENT], root)
        notebooks(root, args.students)
        runs: dict[str, list[float]] = {"serial": [], "parallel": []}
        books: dict[str, dict] = {}
        for number in range(args.rounds):
            order = [("serial", 1), ("parallel", args.workers)]
            for name, workers in order if number % 2 == 0 else order[::-1]:
                seconds, books[name] = timed(root, workers)
                runs[name].append(round(seconds, 1))
                print(f"round {number + 1}: {name} (--workers {workers}): {seconds:.1f} s", flush=True)
    speedups = [s / p for s, p in zip(runs["serial"], runs["parallel"], strict=True)]
    result = {
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "load_before": load,
        "load_after": os.getloadavg()[0],
        "students": args.students,
        "workers": args.workers,
        "serial_s": runs["serial"],
        "parallel_s": runs["parallel"],
        "speedup_median": round(statistics.median(speedups), 2),
        "same_gradebook": books["serial"] == books["parallel"],
        "totals": {s: sum(cells.values()) for s, cells in sorted(books["parallel"].items())},
    }
    print(json.dumps(result, indent=1))
    out = ROOT / "benchmarks" / "results" / f"course_autograde_{platform.node() or 'host'}.json"
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
