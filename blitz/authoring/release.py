"""Instructors: what the students of a class get, without the answers.

    blitz release OUT

    OUT/README.md              the students' install and workflow, in both languages
    OUT/exercises/<id>.py      the stubs, as `blitz generate` makes them from solutions/ (never the
                               working exercises/, which may hold the instructor's own answers)
    OUT/notebooks/<id>.ipynb   the notebooks as `nbgrader generate_assignment` hands them out
                               (no answers, no hidden tests)
    OUT/autograder/            `pytest autograder`, the same tests as the kit's
    OUT/wheels/blitz-*.whl     the student package: the checks, probes, hints and student commands,
                               and the reference's results on the self-check seeds as data
                               (blitz/expected/: JSON and safetensors), the stubs for `blitz reset`
                               (blitz/stubs/), the readings (blitz/course/readings/), no reference
                               code. It needs torch, torchvision, numpy, pytest, safetensors,
                               matplotlib and tqdm; not nbgrader.

The results are recorded here, by running every self-check on the reference solutions with the
self-check seeds (seed 0: `pytest autograder`, `blitz check`, the notebooks' visible test cells) while
:mod:`blitz.engine.recorded` notes each call the checks make to the reference. In the release the same
checks then replay those calls (:mod:`blitz.engine.reference`), so they give exactly the kit's results on
those seeds. Graded runs (`blitz grade`, nbgrader's hidden tests) use other seeds, with the live
reference, on the instructor's side only: their expected values are in no file of the release.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import blitz
from blitz.course import registry
from blitz.course.i18n import chosen_lang, tr

# The seeds a student's own runs use; no other seed's expected values leave the instructor's machine.
SELF_CHECK_SEEDS = (0,)
# Packages of the kit a student release leaves out: the instructors' tools (they need the reference).
INSTRUCTOR_PACKAGES = ("authoring", "grading")
# What the student package needs; the instructors' tools (nbgrader, JupyterLab) are not among them.
STUDENT_DEPENDENCIES = [
    "torch>=2.2,<2.15",
    "torchvision>=0.17,<0.30",
    "numpy",
    "pytest>=8.0",
    "safetensors>=0.4",
    # `blitz report`'s figures (blitz/student/plots.py) and the progress bars of `blitz watch` and the
    # training checks (blitz/course/progress.py): without them both commands crash.
    "matplotlib>=3.8",
    "tqdm>=4.66",
]

PYPROJECT = """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "blitz"
version = "{version}"
description = "Learn PyTorch in 60 minutes, test-driven: the student release (checks and hints, no solutions)."
requires-python = ">=3.10"
dependencies = {dependencies}

[project.scripts]
blitz = "blitz.cli:main"

[tool.setuptools.packages.find]
include = ["blitz*"]

[tool.setuptools.package-data]
blitz = ["expected/*", "stubs/*", "exercises/*/hints.toml", "course/readings/*.md", "course/locale/*/LC_MESSAGES/blitz.mo"]
"""


def record_expected(
    folder: Path, seeds: tuple[int, ...] = SELF_CHECK_SEEDS, exercises: tuple[str, ...] | None = None
) -> list[Path]:
    """Run the self-checks on the reference with `seeds`, recording every reference call into `folder`
    (for the exercises whose checks use a reference, or those of them in `exercises`)."""
    import torch

    from blitz.checks import Context, checks_for, run_check
    from blitz.engine import reference
    from blitz.engine.recorded import Recorder
    from blitz.probes.local import LocalSubmission

    if reference.expected_folder() is not None:
        raise RuntimeError("recording needs the live reference: unset $BLITZ_EXPECTED")
    recorder = Recorder()
    reference.RECORDERS.append(recorder)
    try:
        solutions = LocalSubmission(registry.ROOT / "solutions")
        for exercise_id in [e for e in reference.USED if exercises is None or e in exercises]:
            for entry in checks_for(exercise_id):
                for seed in seeds:
                    result = run_check(entry, solutions, Context(seed=seed))
                    if not result.passed:
                        detail = result.message.render("en") if result.message else result.status
                        raise RuntimeError(f"the reference fails {entry.key} with seed {seed}: {detail}")
    finally:
        reference.RECORDERS.remove(recorder)
    return recorder.save(folder, {"torch": torch.__version__, "seeds": list(seeds), "version": blitz.__version__})


def _student_package(project: Path, expected: Path) -> None:
    """A project folder holding the kit's package without the instructors' parts, plus the recorded results."""
    kit = Path(blitz.__file__).resolve().parent
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "expected", "stubs")
    shutil.copytree(kit, project / "blitz", ignore=ignore)
    for name in INSTRUCTOR_PACKAGES:
        shutil.rmtree(project / "blitz" / name)
    shutil.copytree(expected, project / "blitz" / "expected")
    # `blitz reset` hands these back; in the kit it makes them from solutions/, which a release lacks.
    write_stubs(project / "blitz" / "stubs")
    deps = "[\n" + "".join(f'    "{d}",\n' for d in STUDENT_DEPENDENCIES) + "]"
    (project / "pyproject.toml").write_text(
        PYPROJECT.format(version=blitz.__version__, dependencies=deps), encoding="utf-8"
    )


def build_wheel(out: Path, expected: Path) -> Path:
    """The student package's wheel in `out`; built offline with this Python's setuptools."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="blitz-wheel-") as tmp:
        project = Path(tmp) / "project"
        project.mkdir()
        _student_package(project, expected)
        argv = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), "."]
        done = subprocess.run(argv, cwd=project, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"building the student wheel failed:\n{done.stdout}{done.stderr}")
    wheels = sorted(out.glob(f"blitz-{blitz.__version__}-*.whl"))
    if not wheels:
        raise RuntimeError(f"no wheel was written to {out}")
    return wheels[-1]


def student_notebooks(out: Path) -> list[Path]:
    """The notebooks as nbgrader releases them (no answers, no hidden tests), by nbgrader itself: one
    `nbgrader generate_assignment` for all of them (nbgrader reads the assignment id as a pattern;
    starting it once per assignment cost seconds of imports each), without a gradebook (`--no-db`: the
    course is thrown away, and creating its database took longer than the notebooks; they are the same,
    byte for byte)."""
    from blitz.authoring.nbgrader import make_course, nbgrader_argv, nbgrader_env

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="blitz-course-") as tmp:
        course = Path(tmp)
        assignments = make_course(course)
        done = subprocess.run(
            nbgrader_argv("generate_assignment", "*", "--force", "--no-db"),
            cwd=course,
            env=nbgrader_env(),
            capture_output=True,
            text=True,
        )
        made = [course / "release" / assignment / f"{assignment}.ipynb" for assignment in assignments]
        missing = [path.parent.name for path in made if not path.is_file()]
        if done.returncode != 0 or missing:
            raise RuntimeError(
                f"nbgrader generate_assignment failed ({', '.join(missing) or 'every notebook written'}):\n"
                f"{done.stdout}{done.stderr}"
            )
        return [Path(shutil.copy2(path, out / path.name)) for path in made]


def write_stubs(folder: Path) -> list[Path]:
    """The stubs as `blitz generate` makes them from solutions/, never the working exercises/: an
    instructor who tried the course in their clone has their answers there."""
    from blitz.authoring.markers import stub_source

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for exercise in registry.MODULE_EXERCISES:
        path = folder / f"{exercise.id}.py"
        path.write_text(stub_source(exercise), encoding="utf-8")
        written.append(path)
    return written


def write_autograder(folder: Path) -> list[Path]:
    """autograder/ as `blitz generate` makes it (its conftest.py from the checkout), not the working copy."""
    from blitz.authoring.generate import autograder_tests

    folder.mkdir(parents=True, exist_ok=True)
    written = [Path(shutil.copy2(registry.ROOT / "autograder" / "conftest.py", folder / "conftest.py"))]
    for path, text in sorted(autograder_tests().items()):
        (folder / path.name).write_text(text, encoding="utf-8")
        written.append(folder / path.name)
    return written


def build_release(out: Path) -> dict[str, list[Path]]:
    """Write the student release into `out` (which must not exist or be empty); returns what was written."""
    from blitz.authoring.release_readme import student_readme

    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty")
    written: dict[str, list[Path]] = {}
    with tempfile.TemporaryDirectory(prefix="blitz-expected-") as tmp:
        expected = Path(tmp) / "expected"
        record_expected(expected)
        written["wheel"] = [build_wheel(out / "wheels", expected)]
    written["exercises"] = write_stubs(out / "exercises")
    written["autograder"] = write_autograder(out / "autograder")
    written["notebooks"] = student_notebooks(out / "notebooks")
    readme = out / "README.md"
    readme.write_text(student_readme(written["wheel"][0].name), encoding="utf-8")
    written["readme"] = [readme]
    return written


def _release(args: argparse.Namespace) -> int:
    out = Path(args.out).resolve()
    if out.exists() and any(out.iterdir()):
        print(tr("{out} is not empty.", out=out).render(), file=sys.stderr)
        return 2
    written = build_release(out)
    lines = [f"  {kind:<10} {len(paths)}" for kind, paths in written.items()]
    print(
        tr(
            "The student release is in {out} (no reference code):\n{lines}\nHand the whole folder to the students; "
            "its README.md says how to install it.",
            out=out,
            lines="\n".join(lines),
        ).render(chosen_lang())
    )
    return 0


def register(subparsers) -> None:
    release = subparsers.add_parser(
        "release",
        help="instructors: what students get, without the answers (stubs, notebooks, autograder, a wheel) / "
        "教师：生成不含答案的学生发布版",
    )
    release.add_argument("out", help="the folder to write (new or empty)")
    release.set_defaults(func=_release)
