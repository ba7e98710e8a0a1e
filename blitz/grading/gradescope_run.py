"""What `run_autograder` does on Gradescope: grade ROOT/submission, write ROOT/results/results.json.

ROOT is Gradescope's /autograder (``--root``; run_autograder passes ``$BLITZ_AUTOGRADER_ROOT`` when
set, which is how the tests lay out a Gradescope root of their own). The package that
`blitz gradescope` built lies unzipped in ROOT/source: the kit in ROOT/source/kit and the build's
choices in ROOT/source/blitz-gradescope.json (language, exercises, seeds, limits).

The submission is the first folder, breadth first and by name, that holds an exercise module
(``tensors.py``...) or an exercise's notebook (``tensors.ipynb``, made into the module by
:mod:`blitz.grading.notebook_submission`): ROOT/submission itself, or a subfolder up to three levels
down (a zip of a folder). Entries are looked at with lstat; no link is followed. The submission
runs in two bubblewrap sandboxes (:mod:`blitz.grading.runner`), one after the other: first once per
self-check seed (the inputs of `blitz check`), shown at once and worth 0 points; then, in a fresh
sandbox, with the hidden seed, whose checks carry the points and are shown when grades are
published: the score is the sum of the tests and the hidden tests add up to the exercises' points. Without a working sandbox nothing runs: results.json says
so, score 0.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from pathlib import Path

import blitz
from blitz.course.i18n import Msg, tr, tr_in
from blitz.engine.results import CheckResult, SubmissionResult
from blitz.execution import scratch
from blitz.grading.capstone_budget import measured_options
from blitz.grading.discover import discover, is_submission
from blitz.grading.gradescope import CONFIG, FORMAT
from blitz.grading.names import clean_tree, report_text
from blitz.grading.notebook_submission import notebook_exercises, with_notebooks
from blitz.grading.reports import atomic_write, test_name, test_output
from blitz.grading.runner import Options, grade_once, isolation_text

SEARCH_DEPTH = 3  # how deep below ROOT/submission a folder of modules is looked for
SEARCH_ENTRIES = 2000  # at most this many entries are looked at (a submission may hold anything)


def find_submission(top: Path) -> tuple[Path, list[Path]]:
    """(the folder to grade, the other folders holding modules at the same depth). `top` when
    nothing holds a module: it is then graded as an empty submission, with a message saying so."""
    level, seen = [top], 0
    for _ in range(SEARCH_DEPTH + 1):
        found = [f for f in level if is_submission(f) or notebook_exercises(f)]
        if found:
            return found[0], found[1:]
        below: list[Path] = []
        for folder in level:
            try:
                with os.scandir(folder) as entries:
                    children = sorted(itertools.islice(entries, SEARCH_ENTRIES - seen), key=lambda e: e.name)
            except OSError:
                continue
            seen += len(children)
            below += [
                Path(c.path) for c in children if not c.name.startswith((".", "__")) and c.is_dir(follow_symlinks=False)
            ]
            if seen >= SEARCH_ENTRIES:
                return top, []
        level = below
    return top, []


def grade(target, options: Options, self_check_seeds: tuple[int, ...]) -> tuple[SubmissionResult, list[CheckResult]]:
    """The record of the hidden run (options.seed), and the self-check runs' results. The self-checks
    run first, in a sandbox of their own that is gone before the hidden run starts in a fresh one:
    nothing the graded run computes exists while anything shown before publication is made. Both
    come from one snapshot of the submission (grade_once)."""
    graded = grade_once(target, options, (options.seed,), apart=self_check_seeds)
    visible = [row for rows in graded.apart.values() for row in rows]
    return graded.record, visible


# ---------------------------------------------------------------------------------------------- results.json


def _line(message: Msg, lang: str) -> str:
    return report_text(message.render(lang)).replace("\n", " / ")


def _cents(x: float) -> int:
    return round(float(x) * 100)


def _test(row: CheckResult, lang: str, number: int, self_check: bool) -> dict:
    """One test of Gradescope's documented fields (its time is in extra_data's records)."""
    kind = tr("self-check (0 points)") if self_check else tr_in("gradescope test kind", "graded")
    output = test_output(row, lang)
    if row.passed and row.note is not None:  # the capstone's accuracy
        output += "\n" + report_text(row.note.render(lang))
    return {
        "name": f"[{_line(kind, lang)}] {test_name(row, lang)}",
        "number": str(number),
        "score": 0.0 if self_check else _cents(row.score) / 100,
        "max_score": 0.0 if self_check else _cents(row.max_score) / 100,
        "status": "passed" if row.passed else "failed",
        "output": output,
        "visibility": "visible" if self_check else "after_published",
        "tags": [row.exercise, row.status.value, "self-check" if self_check else "graded"],
    }


def overview(record: SubmissionResult, visible: list[CheckResult], lang: str, notes: list[Msg]) -> str:
    """The text every student sees at once: the self-check's count, where the points come from, notes."""
    lines = [_line(n, lang) for n in notes]
    if record.message is not None:
        lines.append(report_text(record.message.render(lang)))
    if visible:
        passed = sum(r.passed for r in visible)
        lines.append(
            tr(
                "Self-check (seed 0, the inputs of `blitz check`; worth no points): {passed} of {len_visible} checks pass.",
                passed=passed,
                len_visible=len(visible),
            ).render(lang)
        )
    total = _cents(record.max_score) / 100
    lines.append(
        tr(
            "The graded tests use other inputs and carry all {total:g} points; each shows once grades are published.",
            total=total,
        ).render(lang)
    )
    return "\n".join(lines)


def results_json(
    record: SubmissionResult, visible: list[CheckResult], lang: str, seconds: float, notes: list[Msg]
) -> dict:
    rows = [(r, True) for r in visible] + [(r, False) for r in record.checks]
    tests = [_test(row, lang, n, self_check) for n, (row, self_check) in enumerate(rows, start=1)]
    return {
        "score": sum(_cents(t["score"]) for t in tests) / 100,
        "execution_time": round(seconds, 3),
        "output": overview(record, visible, lang, notes),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {
            "format": FORMAT,
            "kit_version": blitz.__version__,
            "max_score": _cents(record.max_score) / 100,
            "isolation": record.isolation,
            "record": record.to_json(),
            "self_check": [r.to_json() for r in visible],
        },
    }


def refusal_json(why: str, lang: str) -> dict:
    """results.json when no sandbox can be made: nothing of the student's ran, score 0, and why."""
    message = tr(
        "Not graded: the grading machine cannot run your code in a sandbox ({why}), so your code was not run. This is not your fault: please tell your instructor.",
        why=why,
    )
    return {
        "score": 0.0,
        "execution_time": 0.0,
        "output": report_text(message.render(lang)),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
        "extra_data": {"format": FORMAT, "kit_version": blitz.__version__, "refused": report_text(why)},
    }


# ---------------------------------------------------------------------------------------------- the run


def _options(root: Path, config: dict) -> Options:
    from blitz.course import mnist
    from blitz.course.cores import physical_cores

    return Options(
        exercises=tuple(config["exercises"]),
        timeout=float(config["timeout"]),
        device="cpu",
        data_root=str(mnist.data_root()),
        seed=int(config["seed"]),
        memory_bytes=int(float(config["memory_gib"]) * (1 << 30)),
        threads=max(1, physical_cores()),
        hide=tuple(str(root / name) for name in ("results", "submission", "source")),
    )


def _notes(root: Path, folder: Path, others: list[Path]) -> list[Msg]:
    top = root / "submission"
    if folder == top:
        return []
    shown = report_text(str(folder.relative_to(top)))
    notes = [tr("Graded the folder {shown}/ of your submission.", shown=shown)]
    if others:
        rest = ", ".join(report_text(str(o.relative_to(top))) + "/" for o in others)
        notes.append(tr("Not graded: {rest} (one folder is graded).", rest=rest))
    return notes


def run(root: Path) -> int:
    from blitz.execution.sandbox.isolated import remove_tree
    from blitz.execution.sandbox.process import INSTALL, isolation_available
    from blitz.grading.reports import summary_table

    config = json.loads((root / "source" / CONFIG).read_text(encoding="utf-8"))
    lang = config["lang"]
    out = root / "results" / "results.json"
    found = isolation_available()
    if not found["bwrap"]:
        atomic_write(
            out, json.dumps(clean_tree(refusal_json(str(found["why"]), lang)), ensure_ascii=False, indent=2) + "\n"
        )
        print(
            f"blitz: refused to grade: {found['why']}. Please {INSTALL[1]} in setup.sh, in a container that lets it make namespaces."
        )
        return 0
    started = time.perf_counter()
    folder, others = find_submission(root / "submission")
    options = _options(root, config)
    print(f"blitz {blitz.__version__}: grading {folder} ({', '.join(options.exercises)})")
    print(f"isolation: {isolation_text(options)}")
    options, budget_said = measured_options(options)  # the capstone's budget from the reference's time here
    if budget_said is not None:
        print(budget_said.en)
    staging = scratch.make("blitz-notebooks-")
    try:
        graded, from_notebooks = with_notebooks(folder, staging / "submission")
        record, visible = grade(discover([str(graded)])[0], options, tuple(config["self_check_seeds"]))
    finally:
        remove_tree(staging)
    notes = _notes(root, folder, others) + from_notebooks
    data = results_json(record, visible, lang, time.perf_counter() - started, notes)
    atomic_write(out, json.dumps(clean_tree(data), ensure_ascii=False, indent=2) + "\n")
    print(summary_table([record]))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m blitz.grading.gradescope_run", description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="/autograder", help="Gradescope's root folder (default /autograder)")
    parser.add_argument("--isolation", action="store_true", help="only print what a sandbox gets here")
    args = parser.parse_args(argv)
    if args.isolation:
        from blitz.execution.sandbox.process import describe_isolation

        print(f"isolation: {describe_isolation()}")
        return 0
    return run(Path(args.root).resolve())


if __name__ == "__main__":
    sys.exit(main())
