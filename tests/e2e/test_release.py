"""The student release (`blitz release OUT`): what a class gets, without the answers.

The release is the session's one (tests/releases.py: `blitz release` in a clone whose exercises hold
the solutions), copied. It is installed into a fresh virtual environment that holds nothing but torch,
torchvision, numpy, pytest, safetensors (and what they need; made visible through a .pth file pointing
at links to exactly those packages, so nothing is downloaded) and the release's wheel. There the release's own
`pytest autograder` must judge the reference and the broken submissions of tests/mutants/ exactly as
the full kit does on the same seeds, and `import solutions` must fail. No file of the release holds a
line of a solution body or a hidden seed.
"""

from __future__ import annotations

import importlib.metadata as metadata
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import kit
import mutants
import pytest
import releases
from mutants.broken import MUTANTS
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from blitz.authoring.markers import BEGIN, END
from blitz.authoring.notebooks import HIDDEN_SEED
from blitz.authoring.release import STUDENT_DEPENDENCIES
from blitz.checks import Context, checks_for, run_check
from blitz.course import registry
from blitz.grading.cli import GRADING_SEED
from blitz.probes.local import LocalSubmission

pytestmark = pytest.mark.slow
STUDENT_PACKAGES = ["torch", "torchvision", "numpy", "pytest", "safetensors", "matplotlib", "tqdm"]
# Every seed a graded run uses: the notebooks' hidden tests (one per check), `blitz grade`, and the
# seeds the checks derive from them (ctx.seed + 1 ... + 12).
HIDDEN_SEEDS = sorted(
    {s + d for s in [HIDDEN_SEED + i for i in range(20)] + [GRADING_SEED] for d in (0, 1, 2, 3, 11, 12)}
)

# Runs in the student's environment: every check of each (name, folder, exercise), as JSON.
DRIVER = """\
import json, sys
from blitz.checks import Context, checks_for, run_check
from blitz.probes.local import LocalSubmission
out = {}
for name, folder, exercise in json.load(open(sys.argv[1])):
    sub = LocalSubmission(folder)
    out[name] = {}
    for c in checks_for(exercise):
        r = run_check(c, sub, Context())
        out[name][c.key] = [r.status, r.message.render("en") if r.message else None]
json.dump(out, open(sys.argv[2], "w"))
"""


def closure(names: list[str]) -> list[metadata.Distribution]:
    """The installed distributions `names` need, themselves included."""
    seen: dict[str, metadata.Distribution] = {}
    queue = list(names)
    while queue:
        name = canonicalize_name(queue.pop())
        if name in seen:
            continue
        seen[name] = metadata.distribution(name)
        for text in seen[name].requires or []:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                queue.append(req.name)
    return list(seen.values())


def link_packages(target: Path, names: list[str]) -> None:
    """Links to the top-level files of exactly these distributions (and their needs), nothing else."""
    target.mkdir(parents=True)
    for dist in closure(names):
        base = Path(dist.locate_file(""))
        for top in {Path(f).parts[0] for f in dist.files or []}:
            if top in ("..", "__pycache__") or (target / top).exists() or not (base / top).exists():
                continue
            (target / top).symlink_to(base / top)


# The release's runs and the kit's side of each comparison (kit_results) use one torch thread: the checks' models
# are tiny, and with two threads each parallel region's second thread spins between them (OpenMP's wait policy),
# which on a busy machine cost several times the CPU of the checks themselves (10 s against 0.8 s for every
# reference check, three times, under a load of 15). The same thread count on both sides keeps their arithmetic
# (and so the messages compared) the same.
ONE_THREAD = {"OMP_NUM_THREADS": "1"}


def student_env() -> dict[str, str]:
    env = kit.environment("en", data=os.environ.get("BLITZ_DATA", str(registry.ROOT / "data")), extra=ONE_THREAD)
    env.pop("PYTHONPATH", None)  # nothing of the kit's checkout
    return env


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    """This module's copy of the session's release (tests/releases.py: built once, from a solved clone):
    the tests run pytest inside it, which writes its caches there."""
    return releases.copy_of(releases.shared(tmp_path_factory), tmp_path_factory.mktemp("release") / "out")


@pytest.fixture(scope="module")
def student_python(tmp_path_factory, release) -> Path:
    root = tmp_path_factory.mktemp("student")
    link_packages(root / "packages", STUDENT_PACKAGES)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True)
    python = root / "venv" / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "student_packages.pth").write_text(str(root / "packages") + "\n")
    wheel = next((release / "wheels").glob("blitz-*.whl"))
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)]
    done = subprocess.run(pip, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return python


def run_student(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(python), *args], cwd=cwd, env=student_env(), capture_output=True, text=True, timeout=1800
    )


def kit_results(folder: Path, exercise: str) -> dict[str, list]:
    """Every check of `exercise` on `folder`, run by the kit in this process, on one torch thread (ONE_THREAD)."""
    with kit.one_torch_thread():
        sub = LocalSubmission(folder)
        results = {c.key: run_check(c, sub, Context()) for c in checks_for(exercise)}
    return {k: [r.status, r.message.render("en") if r.message else None] for k, r in results.items()}


def junit_outcomes(path: Path) -> dict[str, str]:
    """'tensors.from_data' → 'passed' / 'failed', from pytest's JUnit XML."""
    outcomes = {}
    for case in ElementTree.parse(path).iter("testcase"):
        match = re.fullmatch(r"test_(\w+)\[(\w+)\]", case.get("name", ""))
        assert match, case.get("name")
        bad = case.find("failure") is not None or case.find("error") is not None
        outcomes[f"{match[1]}.{match[2]}"] = "failed" if bad else "passed"
    return outcomes


def test_the_student_environment_has_no_reference(student_python, release):
    probe = run_student(student_python, "-c", "import solutions", cwd=release)
    assert probe.returncode != 0 and "No module named 'solutions'" in probe.stderr, probe.stderr
    # The instructors' tools are not there either.
    where = run_student(student_python, "-c", "import blitz, nbgrader", cwd=release)
    assert "No module named 'nbgrader'" in where.stderr, where.stderr
    helped = run_student(student_python, "-m", "blitz", "--help", cwd=release)
    assert helped.returncode == 0 and helped.stderr == "", helped.stderr
    commands = set(re.findall(r"^    ([a-z][\w-]*)", helped.stdout, re.M))
    assert {"check", "hint", "list"} <= commands and not commands & {"release", "course", "grade", "generate"}


def test_the_wheel_needs_only_the_student_packages(release):
    wheel = next((release / "wheels").glob("blitz-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        meta = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    requires = [line.split(":", 1)[1].strip() for line in meta.splitlines() if line.startswith("Requires-Dist:")]

    def wanted(texts):
        return {canonicalize_name(Requirement(t).name): Requirement(t).specifier for t in texts}

    assert wanted(requires) == wanted(STUDENT_DEPENDENCIES)
    assert sorted(wanted(requires)) == sorted(STUDENT_PACKAGES)  # no nbgrader, no jupyterlab
    assert not [n for n in names if n.startswith(("solutions/", "blitz/authoring/", "blitz/grading/"))]
    assert "blitz/expected/manifest.json" in names and "blitz/expected/model.safetensors" in names


def test_release_autograder_passes_the_reference(student_python, release, tmp_path):
    xml = tmp_path / "junit.xml"
    args = ["-m", "pytest", "autograder", "--submission", str(registry.ROOT / "solutions")]
    done = run_student(student_python, *args, "-p", "no:cacheprovider", f"--junitxml={xml}", cwd=release)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    outcomes = junit_outcomes(xml)
    every = {c.key for e in registry.EXERCISES for c in checks_for(e.id)}
    assert set(outcomes) == every and set(outcomes.values()) == {"passed"}
    assert re.search(r"^total\s+100 /\s+100$", done.stdout, re.M), done.stdout[-2000:]


def test_release_judges_every_broken_submission_as_the_kit_does(student_python, release, tmp_path):
    jobs = [(m.name, str(mutants.build(tmp_path / m.name, m)), m.exercise) for m in MUTANTS]
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    (tmp_path / "driver.py").write_text(DRIVER)
    done = run_student(
        student_python,
        str(tmp_path / "driver.py"),
        str(tmp_path / "jobs.json"),
        str(tmp_path / "out.json"),
        cwd=release,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    released = json.loads((tmp_path / "out.json").read_text())
    for name, folder, exercise in jobs:
        kit = kit_results(Path(folder), exercise)
        # The same verdict on every check, and the same message up to the kit's extra diagnosis: the
        # release holds no recording of the softmax-before-the-loss replay, so a message that adds that
        # diagnosis in the kit ends earlier in the release (its first lines are the same).
        verdicts = {k: getattr(s, "value", s) for k, (s, _) in kit.items()}
        assert {k: getattr(s, "value", s) for k, (s, _) in released[name].items()} == verdicts, name
        for key, (_, said) in released[name].items():
            full = kit[key][1] or ""
            if "softmax" in full:
                continue  # the kit's replay diagnosis names softmax; the release says the values differ
            assert (said or "").splitlines()[:2] == full.splitlines()[:2], (name, key, said, full)
    # ...and they are failures indeed: each mutant fails exactly the checks of its bug.
    for mutant in MUTANTS:
        failing = {k for k, (status, _) in released[mutant.name].items() if status != "passed"}
        assert failing == mutant.fails, mutant.name


def test_release_pytest_autograder_fails_broken_submissions(student_python, release, tmp_path):
    """The release's own command, once, on a submission with one broken file per exercise (each mutant
    patches its own exercise's file only): the kit's outcome on every check, each exercise failing exactly
    the checks of its bug."""
    firsts = {m.exercise: m for m in reversed(MUTANTS)}
    folder = mutants.build(tmp_path / "broken")
    for exercise, mutant in firsts.items():
        path = folder / f"{exercise}.py"
        path.write_text(mutants.patched(path.read_text(encoding="utf-8"), mutant.old, mutant.new, mutant.name))
    xml = tmp_path / "broken.xml"
    chosen = " or ".join(f"test_{exercise}" for exercise in firsts)
    args = ["-m", "pytest", "autograder", "--submission", str(folder), "-k", chosen]
    done = run_student(student_python, *args, "-p", "no:cacheprovider", f"--junitxml={xml}", cwd=release)
    assert done.returncode == 1, done.stdout[-3000:]
    outcomes = junit_outcomes(xml)
    assert {key.split(".")[0] for key in outcomes} == set(firsts)
    for exercise, mutant in firsts.items():
        released = {k: v for k, v in outcomes.items() if k.split(".")[0] == exercise}
        kit_side = {k: ("passed" if s == "passed" else "failed") for k, (s, _) in kit_results(folder, exercise).items()}
        assert released == kit_side, mutant.name
        assert {k for k, v in released.items() if v == "failed"} == mutant.fails, mutant.name


def release_texts(release: Path) -> dict[str, str]:
    """Every file of the release as text, the wheel unpacked; notebooks as their cells' sources."""
    texts = {}
    for path in sorted(p for p in release.rglob("*") if p.is_file()):
        if path.suffix == ".whl":
            with zipfile.ZipFile(path) as zf:
                for name in zf.namelist():
                    text = zf.read(name).decode("latin-1")
                    if name.endswith(".dist-info/RECORD"):  # path,hash,size: a file's size is no seed
                        text = re.sub(r",\d+$", ",", text, flags=re.MULTILINE)
                    texts[f"{path.name}!{name}"] = text
            continue
        text = path.read_bytes().decode("latin-1")
        texts[str(path.relative_to(release))] = text
        if path.suffix == ".ipynb":
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            texts[f"{path.name} (cells)"] = "\n".join("".join(c["source"]) for c in cells)
    return texts


def solution_lines() -> set[str]:
    """The non-trivial lines of the solution bodies that appear nowhere outside them in solutions/."""
    inside, outside = set(), set()
    for exercise in registry.MODULE_EXERCISES:
        within = False
        for line in exercise.solution_path.read_text(encoding="utf-8").splitlines():
            if BEGIN.match(line):
                within = True
            elif END.match(line):
                within = False
            elif line.strip():
                (inside if within else outside).add(line.strip())
    return {line for line in inside - outside if len(line) >= 12 and not line.startswith("#")} - IDIOMS


# Lines of the solution bodies that are everyday PyTorch/Python idioms, not answers: the kit's own code
# (probes, fixtures, the report) uses them too.
IDIOMS = {"with torch.no_grad():", "model.eval()", "model.to(device)", "except KeyError:", "for p in params:"}


def leaked(texts: dict[str, str], lines: set[str]) -> list[str]:
    found = []
    for name, text in texts.items():
        if name.endswith(".ipynb"):
            continue  # its cells are checked as " (cells)"
        stripped = {line.strip() for line in text.splitlines()}
        found += [f"{name}: {line}" for line in sorted(lines & stripped)]
    return found


def test_no_file_of_the_release_holds_a_solution_line(release):
    lines = solution_lines()
    assert len(lines) > 40  # the comparison has something to find
    texts = release_texts(release)
    assert any(name.endswith("tensors.py") for name in texts)
    found = leaked(texts, lines)
    assert not found, "\n".join(found)
    # The same comparison finds the answers in the kit's own (instructor) notebook and in solutions/.
    kit_side = release_texts(registry.ROOT / "notebooks") | release_texts(registry.ROOT / "solutions")
    assert {hit.split(": ", 1)[1] for hit in leaked(kit_side, lines)} == lines


def test_no_hidden_seed_anywhere_in_the_release(release):
    pattern = re.compile(r"(?<![0-9A-Za-z])(" + "|".join(str(s) for s in HIDDEN_SEEDS) + r")(?![0-9A-Za-z])")
    hits = [f"{name}: {m.group(0)}" for name, text in release_texts(release).items() for m in pattern.finditer(text)]
    assert not hits, hits[:20]
    assert 'check(\\"tensors.from_data\\", globals())' in (release / "notebooks" / "tensors.ipynb").read_text()


def test_the_release_readme_tells_students_how_to_install(release):
    readme = (release / "README.md").read_text(encoding="utf-8")
    wheel = next((release / "wheels").glob("blitz-*.whl")).name
    assert f"pip install wheels/{wheel}" in readme
    assert "--index-url https://download.pytorch.org/whl/cpu" in readme
    assert "@jupyter/nbgrader:formgrader" in readme and "pytest autograder" in readme
    # Every student command a release has is in its README.
    for command in ("doctor", "list", "learn", "check", "watch", "hint", "reset", "report"):
        assert f"blitz {command}" in readme, command


def test_the_release_speaks_chinese(student_python, release):
    """The compiled message catalog is in the wheel: the student's messages have their Chinese (without
    it every message would read in English twice)."""
    code = "from blitz.course import registry; print(registry.get('tensors').title.zh)"
    done = run_student(student_python, "-c", code, cwd=release)
    assert done.stdout.strip() == "张量：创建、属性、索引、拼接与乘法", done.stdout + done.stderr


def test_unrecorded_seed_says_why(student_python, release):
    done = run_student(
        student_python,
        "-m",
        "pytest",
        "autograder",
        "--submission",
        str(registry.ROOT / "solutions"),
        "-k",
        "test_tensors and stack",
        "--seed",
        "5",
        "-p",
        "no:cacheprovider",
        cwd=release,
    )
    assert done.returncode == 1
    assert "This seed's expected values are not in the release" in done.stdout, done.stdout[-3000:]


def test_reset_gives_back_the_released_stub(student_python, release, tmp_path):
    # A release has no solutions/ to make stubs from: `blitz reset` uses the ones its package ships.
    work = tmp_path / "exercises"
    work.mkdir()
    stub = (release / "exercises" / "tensors.py").read_text(encoding="utf-8")
    (work / "tensors.py").write_text(stub.replace("raise NotImplementedError", "return None  # mine"), "utf-8")
    done = run_student(student_python, "-m", "blitz", "reset", "tensors", "--yes", "--lang", "en", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (work / "tensors.py").read_text(encoding="utf-8") == stub
    backups = list((work / ".blitz" / "backup").glob("tensors-*.py"))
    assert len(backups) == 1 and "# mine" in backups[0].read_text(encoding="utf-8")
    assert "is the original stub again" in done.stdout
