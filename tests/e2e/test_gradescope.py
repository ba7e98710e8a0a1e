"""`blitz gradescope OUT.zip`, end to end: the zip is built by the command, unzipped into a temporary
root laid out like Gradescope's /autograder (source/, submission/, results/, run_autograder), and its
run_autograder is run there (``BLITZ_AUTOGRADER_ROOT``) with this Python (``BLITZ_PYTHON``) and the
offline MNIST: for the reference, the untouched stubs, and one submission both broken and hostile
(their troubles cost different exercises, so one run shows both), each in real bubblewrap sandboxes.
Every results.json is validated against a JSON Schema of Gradescope's documented format
(tests/gradescope_results.schema.json).

setup.sh needs apt and the internet: it is checked with `bash -n` and for what it must install.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import time
import zipfile
from importlib import metadata
from pathlib import Path

import jsonschema
import kit
import mutants
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from blitz.checks import checks_for
from blitz.course import mnist, registry
from blitz.grading.gradescope import PINNED, pins
from blitz.grading.gradescope_run import find_submission

SCHEMA = json.loads((Path(__file__).parent / "gradescope_results.schema.json").read_text(encoding="utf-8"))
DATA = str(mnist.data_root())
needs_data = pytest.mark.skipif(bool(mnist.missing_files(Path(DATA))), reason="MNIST is not here (set BLITZ_DATA)")


def valid(results: dict) -> dict:
    jsonschema.validate(results, SCHEMA)
    return results


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    """The zip, built by the instructor's command (students read both languages)."""
    out = tmp_path_factory.mktemp("gradescope") / "autograder.zip"
    built = kit.blitz("gradescope", str(out), "--lang", "both", lang="en")
    assert built.returncode == 0, built.stderr
    assert "set its points to 100" in built.stdout and "never hand it to students" in built.stdout
    return out


def gradescope_root(package: Path, where: Path) -> Path:
    """What Gradescope makes of the zip: /autograder/source (the zip), /autograder/run_autograder (a copy),
    /autograder/submission and /autograder/results; readable by the sandbox's nobody, as setup.sh leaves it."""
    root = where / "autograder"
    with zipfile.ZipFile(package) as zf:
        zf.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    (root / "submission").mkdir()
    (root / "results").mkdir()
    for path in [where, *where.parents]:
        if path.stat().st_mode & stat.S_IXOTH == 0:
            path.chmod(path.stat().st_mode | stat.S_IXOTH)
    subprocess.run(["chmod", "-R", "a+rX", str(root)], check=True)
    return root


def run_autograder(root: Path, env: dict | None = None) -> tuple[subprocess.CompletedProcess, dict]:
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # only the zip's kit
    environment.update(BLITZ_AUTOGRADER_ROOT=str(root), BLITZ_PYTHON=sys.executable, BLITZ_DATA=DATA)
    environment.update(env or {})
    run = subprocess.run(
        [str(root / "run_autograder")], capture_output=True, text=True, env=environment, cwd=root, timeout=900
    )
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    return run, valid(results)


def graded(results: dict) -> list[dict]:
    return [t for t in results["tests"] if "graded" in t["tags"]]


def self_checks(results: dict) -> list[dict]:
    return [t for t in results["tests"] if "self-check" in t["tags"]]


def by_exercise(tests: list[dict]) -> dict[str, float]:
    out: dict[str, float] = {}
    for t in tests:
        out[t["tags"][0]] = round(out.get(t["tags"][0], 0.0) + t["score"], 2)
    return out


def check_shape(results: dict) -> None:
    """What every graded results.json holds: each check twice, the points only on the hidden run, the
    score the sum of the tests, the hidden tests shown after publication, the self-checks at once."""
    keys = [c.key for e in registry.EXERCISES for c in checks_for(e.id)]
    assert [t["name"].split("] ")[1].split(":")[0] for t in self_checks(results)] == keys
    assert [t["name"].split("] ")[1].split(":")[0] for t in graded(results)] == keys
    assert all(t["visibility"] == "visible" and t["max_score"] == 0 == t["score"] for t in self_checks(results))
    assert all(t["visibility"] == "after_published" for t in graded(results))
    assert round(sum(t["max_score"] for t in graded(results)), 2) == 100
    assert results["score"] == round(sum(t["score"] for t in results["tests"]), 2)
    assert results["stdout_visibility"] == "hidden"
    assert "bubblewrap" in results["extra_data"]["isolation"]


# ---------------------------------------------------------------------------------------------- the package


def test_the_zip_holds_the_scripts_at_its_root_and_the_kit(package):
    with zipfile.ZipFile(package) as zf:
        names = zf.namelist()
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
        config = json.loads(zf.read("blitz-gradescope.json"))
        requirements = zf.read("requirements.txt").decode()
    for name in ("setup.sh", "run_autograder", "requirements.txt", "blitz-gradescope.json", "grader-failed.json"):
        assert name in names
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    for module in ("kit/solutions/tensors.py", "kit/blitz/grading/gradescope_run.py", "kit/autograder/test_model.py"):
        assert module in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert not [n for n in names if n.startswith(("kit/tests/", "kit/exercises/", "kit/.git"))]
    assert config["lang"] == "both" and config["seed"] == 7907 and config["self_check_seeds"] == [0]
    assert config["exercises"] == [e.id for e in registry.EXERCISES]
    for name in PINNED:  # pinned to what is installed here
        assert f"{name}=={metadata.version(name).split('+')[0]}\n" in requirements


def test_setup_sh_is_valid_bash_pins_torch_and_installs_bubblewrap(package, tmp_path):
    with zipfile.ZipFile(package) as zf:
        zf.extractall(tmp_path)
    for script in ("setup.sh", "run_autograder"):
        parsed = subprocess.run(["bash", "-n", str(tmp_path / script)], capture_output=True, text=True)
        assert parsed.returncode == 0, parsed.stderr
    setup = (tmp_path / "setup.sh").read_text()
    assert setup.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in setup
    install = next(line for line in setup.splitlines() if line.startswith("apt-get install"))
    assert "bubblewrap" in install.split() and "util-linux" in install.split()  # bwrap, and setpriv for the uid drop
    versions = pins()
    assert f'"torch=={versions["torch"]}" "torchvision=={versions["torchvision"]}"' in setup
    assert "--index-url https://download.pytorch.org/whl/cpu" in setup  # CPU wheels
    assert '-r "$SOURCE/requirements.txt"' in setup and "mnist.download" in setup
    assert 'chmod -R a+rX "$SOURCE/kit" "$VENV" "$DATA"' in setup  # the sandbox's nobody reads them


BLOCKER = """
import sys
from importlib.machinery import PathFinder
ALLOWED = set(sys.argv[1].split(","))
class Block:
    # An installed module of a distribution setup.sh does not install is as good as absent.
    def find_spec(self, name, path=None, target=None):
        top = name.split(".")[0]
        if top in sys.stdlib_module_names or top in ALLOWED or top.startswith("_sysconfigdata"):
            return None
        if "." not in name and PathFinder.find_spec(name, path) is not None:
            raise ModuleNotFoundError(f"No module named {name!r} (not installed by setup.sh)", name=name)
        return None
sys.meta_path.insert(0, Block())
import blitz.grading.gradescope_run, blitz.execution.worker, blitz.checks, blitz.probes
import blitz.engine.reference, blitz.grading.gradescope, torchvision.datasets, safetensors.torch, tqdm
print("imported")
try:
    import jsonschema  # installed here, not by setup.sh: the control
except ModuleNotFoundError:
    print("blocked")
"""


def test_a_graded_run_needs_only_the_pinned_distributions_and_their_requirements():
    """The grader's and the workers' modules import with every other distribution blocked: pip installs
    the pinned ones and what they require (optional imports, like torchvision's defusedxml, fall back)."""
    allowed = {canonicalize_name(n) for n in PINNED}
    todo = list(allowed)
    while todo:
        for line in metadata.requires(todo.pop()) or []:
            requirement = Requirement(line)
            name = canonicalize_name(requirement.name)
            if name not in allowed and (requirement.marker is None or requirement.marker.evaluate({"extra": ""})):
                allowed.add(name)
                todo.append(name)
    modules = {"blitz", "solutions"}
    for module, owners in metadata.packages_distributions().items():
        if any(canonicalize_name(d) in allowed for d in owners):
            modules.add(module)
    run = subprocess.run([sys.executable, "-c", BLOCKER, ",".join(sorted(modules))], capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.split() == ["imported", "blocked"], run.stderr[-3000:]
    assert {"torch", "torchvision", "numpy", "PIL", "safetensors", "tqdm"} <= modules


def test_find_submission_looks_below_without_following_links(tmp_path):
    top = tmp_path / "submission"
    (top / "notes").mkdir(parents=True)
    assert find_submission(top) == (top, [])  # nothing to grade: the top, graded as empty
    (top / "b" / "hw").mkdir(parents=True)
    (top / "b" / "hw" / "model.py").write_text("")
    (top / "a").mkdir()
    (top / "a" / "tensors.py").write_text("")
    (top / ".hidden").mkdir()
    (top / ".hidden" / "tensors.py").write_text("")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "tensors.py").write_text("")
    os.symlink(elsewhere, top / "0-link")
    assert find_submission(top) == (top / "a", [])  # shallowest first; links and hidden folders skipped
    (top / "c").mkdir()
    (top / "c" / "model.py").write_text("")
    assert find_submission(top) == (top / "a", [top / "c"])
    (top / "tensors.py").write_text("")
    assert find_submission(top) == (top, [])


# ---------------------------------------------------------------------------------------------- graded runs


@pytest.mark.slow
@needs_data
def test_the_reference_scores_exactly_100(package, tmp_path):
    root = gradescope_root(package, tmp_path)
    mutants.build(root / "submission")
    run, results = run_autograder(root)
    assert run.returncode == 0, run.stdout + run.stderr
    assert results["score"] == 100.0
    check_shape(results)
    assert all(t["status"] == "passed" for t in results["tests"])
    assert "32 of 32 checks pass" in results["output"] and "32 项中通过 32 项" in results["output"]
    capstone = [t for t in graded(results) if t["name"].startswith("[评分 / graded] pipeline.")]
    assert capstone and "%" in capstone[0]["output"]  # the accuracy it reached


@pytest.mark.slow
@needs_data
def test_the_untouched_stubs_score_0_saying_what_to_do(package, tmp_path):
    root = gradescope_root(package, tmp_path)
    mutants.stubs(root / "submission")
    run, results = run_autograder(root)
    assert run.returncode == 0, run.stdout + run.stderr
    assert results["score"] == 0.0
    check_shape(results)
    assert all(t["status"] == "failed" for t in results["tests"])
    first = graded(results)[0]
    assert "not_done" in first["tags"] and "NotImplementedError" in first["output"]


HOSTILE = """
# --- hostile: write the results, read the reference, leave a process that writes them later ---
import json as _json, os as _os
for _root in {roots!r}:
    try:
        with open(_os.path.join(_root, "results", "results.json"), "w") as _f:
            _json.dump({{"score": 1000.0, "output": "HACKED"}}, _f)
    except OSError:
        pass
    try:
        with open(_os.path.join(_root, "source", "kit", "solutions", "tensors.py")) as _f:
            exec(_f.read())
    except OSError:
        pass
    try:
        with open(_os.path.join(_root, {mine!r}), "a") as _f:
            _f.write("# HACKED")
    except OSError:
        pass
try:
    from solutions.tensors import *  # noqa
except Exception:
    pass
if _os.fork() == 0:
    import time as _time
    _end = _time.monotonic() + 300
    while _time.monotonic() < _end:  # had it survived its sandbox, it would write within 0.2 s of any moment
        _time.sleep(0.2)
        for _root in {roots!r}:
            try:
                with open(_os.path.join(_root, "results", "results.json"), "w") as _f:
                    _f.write('{{"score": 1000.0, "output": "HACKED LATER"}}')
            except OSError:
                pass
    _os._exit(0)
"""


@pytest.mark.slow
@needs_data
def test_a_broken_and_hostile_submission_loses_only_the_broken_exercises_and_gains_nothing(package, tmp_path):
    """One run for two kinds of trouble (each costs only its own exercises):

    broken: an import of a missing module in autograd.py and a syntax error in extras.py: those two
    exercises score 0 with a message naming the problem; everything else is graded as usual.

    hostile: tensors.py is the stub plus code that, at import, writes results.json, reads and runs the
    reference from the package, rewrites the submission and leaves a process that keeps writing
    results.json after grading. It sees none of them: tensors scores 0, the results are ours."""
    root = gradescope_root(package, tmp_path)
    folder = mutants.build(root / "submission" / "homework")  # in a subfolder, as a zipped folder arrives
    (folder / "extras.py").write_text(
        (folder / "extras.py").read_text() + "\ndef broken(:\n    pass\n", encoding="utf-8"
    )
    (folder / "autograd.py").write_text((folder / "autograd.py").read_text() + "\nimport torchh\n", encoding="utf-8")
    stub = mutants.stubs(tmp_path / "stubs") / "tensors.py"
    hostile = HOSTILE.format(roots=[str(root), "/autograder"], mine="submission/homework/tensors.py")
    (folder / "tensors.py").write_text(stub.read_text() + hostile, encoding="utf-8")
    reference = root / "source" / "kit" / "solutions" / "tensors.py"
    before = hashlib.sha256(reference.read_bytes()).hexdigest(), (folder / "tensors.py").read_bytes()
    run, results = run_autograder(root)
    assert run.returncode == 0, run.stdout + run.stderr
    check_shape(results)
    assert results["score"] == 65.0
    assert by_exercise(graded(results)) == {
        e.id: (0.0 if e.id in ("tensors", "autograd", "extras") else e.points) for e in registry.EXERCISES
    }
    extras = [t for t in graded(results) if t["tags"][0] == "extras"]
    assert all("SyntaxError" in t["output"] for t in extras), extras[0]["output"]
    autograd = [t for t in graded(results) if t["tags"][0] == "autograd"]
    assert all("torchh" in t["output"] for t in autograd), autograd[0]["output"]
    assert "Graded the folder homework/ of your submission." in results["output"]
    assert all("not_done" in t["tags"] for t in graded(results) if t["tags"][0] == "tensors")
    time.sleep(2)  # ten times the surviving writer's period: it would have written by now
    text = (root / "results" / "results.json").read_text(encoding="utf-8")
    assert "HACKED" not in text and json.loads(text) == results
    assert (hashlib.sha256(reference.read_bytes()).hexdigest(), (folder / "tensors.py").read_bytes()) == before


# ---------------------------------------------------------------------------------------------- refusals


def test_without_bubblewrap_nothing_runs_and_results_say_why(package, tmp_path):
    root = gradescope_root(package, tmp_path)
    canary = tmp_path / "ran"
    (root / "submission" / "tensors.py").write_text(f"open({str(canary)!r}, 'w').write('ran')\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "env", "mkdir", "rm", "cp", "setpriv", "sh", "id"):
        found = shutil.which(tool)
        if found:
            os.symlink(found, bin_dir / tool)
    run, results = run_autograder(root, env={"PATH": str(bin_dir)})
    assert run.returncode == 0, run.stdout + run.stderr
    assert results["score"] == 0.0 and results["tests"] == []
    assert "bubblewrap" in results["extra_data"]["refused"]
    assert "Not graded" in results["output"] and "未评分" in results["output"] and "沙箱" in results["output"]
    assert "apt-get install bubblewrap" in run.stdout
    assert not canary.exists()


def test_a_grader_that_cannot_start_still_leaves_a_valid_results_json(package, tmp_path):
    root = gradescope_root(package, tmp_path)
    run, results = run_autograder(root, env={"BLITZ_PYTHON": shutil.which("false")})
    assert run.returncode != 0
    assert results["score"] == 0.0 and "grader itself failed" in results["output"] and "评分程序" in results["output"]


# ---------------------------------------------------------------------------------------------- notebooks


def test_a_notebook_becomes_its_code_cells_without_the_check_cells():
    from blitz.grading.notebook_submission import NotANotebook, notebook_module

    notebook = json.loads((registry.ROOT / "notebooks" / "autograd.ipynb").read_text(encoding="utf-8"))
    notebook["cells"].append({"cell_type": "code", "metadata": {}, "source": ["%timeit x\n", "!ls\n", "y = 1\n"]})
    module = notebook_module(json.dumps(notebook).encode())
    compile(module, "autograd.py", "exec")
    assert "def sgd_step(" in module and "import torch" in module and "y = 1" in module
    assert "blitz.frontends" not in module and "check(" not in module  # check and score cells left out
    assert "# %timeit x" in module and "# !ls" in module
    for bad in (b"\xff", b"[]", b"{}", b"[" * 100_000):
        with pytest.raises(NotANotebook):
            notebook_module(bad)


@pytest.mark.slow
def test_notebooks_are_graded_as_their_modules(tmp_path):
    """A package for two exercises, students in English: tensors.ipynb (answered) scores its 15 points;
    autograd.ipynb that is not a notebook scores 0 with a message saying what to upload."""
    out = tmp_path / "week1.zip"
    built = kit.blitz("gradescope", str(out), "--exercises", "tensors,autograd", "--lang", "en", lang="en")
    assert built.returncode == 0 and "set its points to 25" in built.stdout, built.stderr
    root = gradescope_root(out, tmp_path)
    shutil.copy(registry.ROOT / "notebooks" / "tensors.ipynb", root / "submission" / "tensors.ipynb")
    (root / "submission" / "autograd.ipynb").write_text("{not json", encoding="utf-8")
    run, results = run_autograder(root)
    assert run.returncode == 0, run.stdout + run.stderr
    assert results["score"] == 15.0
    assert by_exercise(graded(results)) == {"tensors": 15.0, "autograd": 0.0}
    assert round(sum(t["max_score"] for t in results["tests"]), 2) == 25
    assert "tensors is graded from the code cells of tensors.ipynb" in results["output"]
    assert "autograd.ipynb is not a Jupyter notebook that can be read; upload autograd.py" in results["output"]
    assert "自测" not in json.dumps(results["tests"], ensure_ascii=False)  # English only


def test_bad_options_write_no_zip(tmp_path):
    out = tmp_path / "a.zip"
    for args, says in (
        (("--seed", "0"), "must not be the self-check seed 0"),
        (("--exercises", "tensors,nope"), "unknown exercise nope"),
        (("--timeout", "0"), "must be positive"),
    ):
        run = kit.blitz("gradescope", str(out), *args, lang="en")
        assert run.returncode == 2 and says in run.stderr, run.stderr
        assert not out.exists()
