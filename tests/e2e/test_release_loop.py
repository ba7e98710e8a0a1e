"""A class release's whole student loop, in a fresh virtual environment that holds only the release's
wheel and what its metadata declares (pip installs the wheel as a student's `pip install wheels/...`
would, and finds each declared requirement satisfied by files linked from this Python's). The release
(the session's one, tests/releases.py) is built from a clone whose exercises/ and blitz/stubs/ hold the
solutions, as an instructor who solved the course in their clone has them: not one solution line may
reach the release (issue 21.9).

The loop: doctor, list, check (a stub, then a solved file), hint, reset, watch (in a pseudo-terminal),
report, `pytest autograder`, and the released notebooks executed with nbclient on a kernel of that venv.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import kit
import nbformat
import pexpect
import pytest
import releases

from blitz.course import registry

pytestmark = pytest.mark.slow
ROOT = registry.ROOT
env = releases.env


def release_lines(release: Path) -> dict[str, set[str]]:
    texts: dict[str, str] = {}
    for path in (p for p in release.rglob("*") if p.is_file()):
        if path.suffix == ".whl":
            with zipfile.ZipFile(path) as zf:
                texts.update({f"{path.name}!{n}": zf.read(n).decode("latin-1") for n in zf.namelist()})
        elif path.suffix == ".ipynb":
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            texts[str(path)] = "\n".join("".join(c["source"]) for c in cells)
        else:
            texts[str(path)] = path.read_bytes().decode("latin-1")
    return {name: {line.strip() for line in text.splitlines()} for name, text in texts.items()}


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    """The session's release, built from a solved clone (tests/releases.py); read here, never written."""
    return releases.shared(tmp_path_factory)


def requirement_closure(names: tuple[str, ...]) -> set[str]:
    """These distributions and everything they require (with the extras asked of them), as installed
    beside this Python."""
    from importlib import metadata

    from packaging.requirements import Requirement

    found: set[tuple[str, str]] = set()
    todo: list[tuple[str, str]] = [(n, "") for n in names]
    while todo:
        name, extra = todo.pop()
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        key = (dist.metadata["Name"].lower().replace("_", "-"), extra)
        if key in found:
            continue
        found.add(key)
        for text in dist.requires or ():
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": extra}):
                todo += [(req.name, "")] + [(req.name, e) for e in req.extras]
    return {name for name, _ in found}


def declared(wheel: Path) -> tuple[str, ...]:
    """The names the wheel's own metadata requires (its Requires-Dist lines without an extra's marker)."""
    from packaging.requirements import Requirement

    with zipfile.ZipFile(wheel) as zf:
        meta = zf.read(next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    found = [
        Requirement(line.split(":", 1)[1].strip()) for line in meta.splitlines() if line.startswith("Requires-Dist:")
    ]
    return tuple(r.name for r in found if r.marker is None or r.marker.evaluate({"extra": ""}))


def seed_with_installed(root: Path, names: tuple[str, ...]) -> None:
    """Hard-link the installed files of `names` and what they require into the fresh venv, so pip finds
    them satisfied instead of unpacking the same wheels again (5 GB of CUDA ones for torch: minutes)."""
    from importlib import metadata

    site = next(root.glob("lib/python*/site-packages"))
    for name in requirement_closure(names):
        dist = metadata.distribution(name)
        for file in dist.files or ():
            source = Path(dist.locate_file(file)).resolve()
            if not source.is_file() or ".." in file.parts:
                continue  # scripts outside site-packages (bin/) are not needed by the loop
            target = site / file
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(source, target)
            except OSError:
                shutil.copy2(source, target)


@pytest.fixture(scope="module")
def venv(tmp_path_factory, release) -> Path:
    """A fresh venv: the wheel and what its metadata declares; ipykernel for the notebooks.

    What the wheel's METADATA names (read from the wheel, not from the kit) and ipykernel are seeded, with
    what they require, from this Python's installed files; pip then installs the wheel, checking each
    declared requirement against them (one it cannot find, or whose version does not fit, it would look
    for in the wheel store and fail without). The venv holds those distributions and nothing else."""
    root = tmp_path_factory.mktemp("student") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    wheel = next((release / "wheels").glob("blitz-*.whl"))
    seed_with_installed(root, (*declared(wheel), "ipykernel"))
    python = str(root / "bin" / "python")
    done = subprocess.run(  # this Python's pip, installing into the venv (`pip --python`)
        [sys.executable, "-m", "pip", "--python", python, "install", "-q", str(wheel), "ipykernel"],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return root


def student(venv: Path, *args: str, cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(venv / "bin" / "blitz"), *args], cwd=cwd, env=env(), capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def work(tmp_path, release) -> Path:
    """A student's copy of the release (the loop writes into exercises/)."""
    target = tmp_path / "class"
    shutil.copytree(release, target)
    return target


def test_a_release_built_from_a_solved_clone_holds_no_solution_line(release):
    lines = kit.solution_lines()
    assert len(lines) > 40
    found = [f"{name}: {line}" for name, have in release_lines(release).items() for line in sorted(lines & have)]
    assert not found, "\n".join(found[:30])
    stub = (release / "exercises" / "tensors.py").read_text(encoding="utf-8")
    assert "raise NotImplementedError" in stub


def test_the_wheel_declares_what_its_commands_import(venv):
    # The fresh venv holds what pip resolved from the wheel's metadata, and each command's modules import.
    code = "import blitz.student.watch, blitz.student.report, blitz.student.plots, blitz.course.progress"
    done = subprocess.run([str(venv / "bin" / "python"), "-c", code], env=env(), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    absent = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import nbgrader"], env=env(), capture_output=True, text=True
    )
    assert "No module named 'nbgrader'" in absent.stderr


def test_doctor_passes_a_correct_release_install(venv, work):
    done = student(venv, "doctor", cwd=work)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "nbgrader" not in done.stdout and "pip install -e" not in done.stdout
    assert "All good." in done.stdout


def test_list_check_hint_reset(venv, work):
    listed = student(venv, "list", cwd=work)
    assert listed.returncode == 0, listed.stderr
    assert all(e.id in listed.stdout for e in registry.EXERCISES)
    stub = student(venv, "check", "tensors", cwd=work)
    assert stub.returncode == 1 and "is not implemented yet" in stub.stdout, stub.stdout + stub.stderr
    learn = student(venv, "learn", "tensors", cwd=work)  # the readings ship in the wheel
    assert learn.returncode == 0 and "## Making a tensor from data" in learn.stdout, learn.stderr
    hint = student(venv, "hint", "tensors", cwd=work)
    assert hint.returncode == 0 and hint.stdout.strip(), hint.stderr
    original = (work / "exercises" / "tensors.py").read_text(encoding="utf-8")
    (work / "exercises" / "tensors.py").write_text((ROOT / "solutions" / "tensors.py").read_text("utf-8"), "utf-8")
    solved = student(venv, "check", "tensors", cwd=work)
    assert solved.returncode == 0, solved.stdout + solved.stderr
    assert "solutions/" not in solved.stdout  # a release has no reference solution to point at
    reset = student(venv, "reset", "tensors", "--yes", cwd=work)
    assert reset.returncode == 0, reset.stdout + reset.stderr
    assert (work / "exercises" / "tensors.py").read_text(encoding="utf-8") == original


def test_watch_shows_the_first_exercise_and_quits(venv, work):
    child = pexpect.spawn(
        str(venv / "bin" / "blitz"),
        ["watch", "--interval", "0.1"],
        env=env(),
        cwd=str(work),
        encoding="utf-8",
        timeout=180,
        dimensions=(60, 140),
    )
    try:
        screen = ""
        while "Progress [" not in screen:  # past "Checking your exercises...": the first full screen
            child.expect_exact("q quit")
            screen = child.before
        assert "▶ tensors" in screen and "Traceback" not in screen, screen
        time.sleep(0.5)
        child.send("q")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, child.before


def test_report_trains_the_students_code(venv, work, tmp_path):
    shutil.rmtree(work / "exercises")
    shutil.copytree(ROOT / "solutions", work / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    args = ["report", "--out", str(tmp_path / "report"), "--epochs", "1", "--device", "cpu"]
    done = student(venv, *args, cwd=work)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Test accuracy" in done.stdout
    assert sorted(p.suffix for p in (tmp_path / "report").iterdir()).count(".png") == 2


def test_pytest_autograder_in_the_release(venv, work):
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pytest", "autograder", "--submission", str(ROOT / "solutions")]
        + ["-p", "no:cacheprovider", "-q"],
        cwd=work,
        env=env(),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert re.search(r"^total\s+100 /\s+100$", done.stdout, re.M), done.stdout[-2000:]


def kernel_of(venv: Path, where: Path) -> dict[str, str]:
    """A Jupyter path whose one kernel, `student`, is the venv's Python."""
    spec = where / "kernels" / "student"
    spec.mkdir(parents=True)
    argv = [str(venv / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "student", "language": "python"}))
    return {"JUPYTER_PATH": str(where)}


def test_released_notebooks_run_in_the_student_venv(venv, work, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    for name, value in (env() | kernel_of(venv, tmp_path / "jupyter")).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(work / "notebooks")
    kit_cells = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in nbformat.read(ROOT / "notebooks" / "tensors.ipynb", as_version=4).cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    stub = nbformat.read(work / "notebooks" / "tensors.ipynb", as_version=4)
    NotebookClient(stub, kernel_name="student", timeout=600, allow_errors=True).execute()
    errors = [o for c in stub.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors, "the stub notebook's test cells must fail"
    solved = nbformat.read(work / "notebooks" / "tensors.ipynb", as_version=4)
    for cell in solved.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in kit_cells:
            cell.source = kit_cells[grade_id]
    NotebookClient(solved, kernel_name="student", timeout=600).execute()  # raises on the first failing cell
    shown = "".join(o.get("text", "") for c in solved.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "15/15" in shown or "15 / 15" in shown, shown[-2000:]
