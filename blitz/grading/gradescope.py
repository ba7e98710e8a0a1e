"""`blitz gradescope OUT.zip`: a Gradescope autograder package, for instructors (it holds the
reference solutions: never hand it to students).

The zip holds, at its root (Gradescope unzips it into /autograder/source):

- ``setup.sh`` — run once by Gradescope, as root, on its Ubuntu base image: installs bubblewrap,
  makes a venv with the pinned versions of this build (torch and torchvision as CPU wheels), fetches
  MNIST with torchvision and prints what a sandbox gets there;
- ``run_autograder`` — run for each submission: :mod:`blitz.grading.gradescope_run` grades
  /autograder/submission and writes /autograder/results/results.json;
- ``requirements.txt`` — the pins: the versions installed where the zip was built;
- ``blitz-gradescope.json`` — the build's choices: the students' language, the exercises, the
  hidden seed and the self-check seeds, the time and memory limits;
- ``grader-failed.json`` — the results.json run_autograder writes when the grader itself wrote none;
- ``kit/`` — the kit: ``blitz/``, ``solutions/`` (the reference), ``autograder/`` and ``pyproject.toml``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

import blitz
from blitz.course import registry
from blitz.course.i18n import chosen_lang, langs, tr
from blitz.execution.limits import GRADING_TIMEOUT

CONFIG = "blitz-gradescope.json"  # the build's choices, read by blitz.grading.gradescope_run
FORMAT = "blitz-gradescope/1"
# The distributions a graded run imports (tests/e2e/test_gradescope.py checks that no other is needed),
# pinned to the versions of the building environment.
PINNED = ("torch", "torchvision", "numpy", "pillow", "safetensors", "tqdm")
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
KIT_PARTS = ("blitz", "solutions", "autograder")  # autograder/ also marks the kit's root (registry.ROOT)
SELF_CHECK_SEEDS = (0,)  # the seed of `blitz check`, `pytest autograder` and the notebooks' visible cells
ZIP_TIME = (2020, 1, 1, 0, 0, 0)  # every entry's date: the same kit gives the same zip

SETUP_SH = """\
#!/usr/bin/env bash
# blitz {version}: Gradescope runs this once, as root, when it builds the autograder's image.
# It installs bubblewrap (every submission runs in its sandboxes), a venv with the versions pinned
# in requirements.txt (torch {torch} and torchvision {torchvision} as CPU wheels) and MNIST.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

ROOT="${{BLITZ_AUTOGRADER_ROOT:-/autograder}}"
SOURCE="$ROOT/source"
VENV="$ROOT/blitz-venv"
DATA="$ROOT/blitz-data"

apt-get update
apt-get install -y --no-install-recommends bubblewrap util-linux ca-certificates python3 python3-venv python3-pip

found="$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if [ "$found" != "{python}" ]; then
  echo "blitz: this image's python3 is $found, the package was built with Python {python}; if pip finds" \\
    "no torch {torch} for it, choose a base image with Python {python}." >&2
fi

python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --no-cache-dir --upgrade pip
"$VENV/bin/python" -m pip install --no-cache-dir --index-url {torch_index} "torch=={torch}" "torchvision=={torchvision}"
"$VENV/bin/python" -m pip install --no-cache-dir -r "$SOURCE/requirements.txt"

# MNIST in torchvision's layout ($DATA/MNIST/raw): the image has the internet while it is built.
BLITZ_DATA="$DATA" PYTHONPATH="$SOURCE/kit" "$VENV/bin/python" -c \\
  'from blitz.course import mnist; mnist.download(mnist.data_root())'

# The sandboxed workers run as nobody (uid 65534): they read the kit's package, Python and the data.
chmod -R a+rX "$SOURCE/kit" "$VENV" "$DATA"
chmod a+x "$SOURCE/run_autograder"

# What a sandbox gets in this image (run_autograder refuses to grade where bubblewrap cannot make one).
BLITZ_DATA="$DATA" PYTHONPATH="$SOURCE/kit" "$VENV/bin/python" -m blitz.grading.gradescope_run --isolation
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# blitz {version}: Gradescope runs this for each submission. It grades $ROOT/submission, each
# exercise in its own bubblewrap sandbox, and writes $ROOT/results/results.json.
set -u
ROOT="${{BLITZ_AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{BLITZ_PYTHON:-$ROOT/blitz-venv/bin/python}}"
export BLITZ_DATA="${{BLITZ_DATA:-$ROOT/blitz-data}}"
export PYTHONPATH="$ROOT/source/kit"
RESULTS="$ROOT/results/results.json"

mkdir -p "$ROOT/results"
rm -f "$RESULTS"
cd "$ROOT"
"$PYTHON" -m blitz.grading.gradescope_run --root "$ROOT"
status=$?
if [ ! -s "$RESULTS" ]; then
  # The grader itself failed (its log is in Gradescope's stdout): say so, never a silent empty result.
  cp "$ROOT/source/grader-failed.json" "$RESULTS"
fi
exit "$status"
"""

GRADER_FAILED = tr(
    "The grader itself failed and your submission was not graded (not your fault). Please tell your instructor: Gradescope's stdout says why."
)


def pins() -> dict[str, str]:
    """Distribution → the version installed here, without a local label (2.11.0+cu130 → 2.11.0)."""
    return {name: metadata.version(name).split("+")[0] for name in PINNED}


def kit_files() -> list[tuple[Path, str]]:
    """(file, its name in the zip) for the kit: its package, the reference, the generated tests."""
    out = [(registry.ROOT / "pyproject.toml", "kit/pyproject.toml")]
    for part in KIT_PARTS:
        for path in sorted((registry.ROOT / part).rglob("*")):
            rel = path.relative_to(registry.ROOT)
            if path.is_file() and not any(p == "__pycache__" or p.startswith(".") for p in rel.parts):
                out.append((path, f"kit/{rel.as_posix()}"))
    return out


def config(lang: str, exercises: tuple[str, ...], seed: int, timeout: float, memory_gib: float) -> dict:
    return {
        "format": FORMAT,
        "kit_version": blitz.__version__,
        "lang": lang,
        "exercises": list(exercises),
        "seed": seed,
        "self_check_seeds": list(SELF_CHECK_SEEDS),
        "timeout": timeout,
        "memory_gib": memory_gib,
        "python": f"{sys.version_info[0]}.{sys.version_info[1]}",
        "pins": pins(),
    }


def scripts(settings: dict) -> dict[str, str]:
    pinned = settings["pins"]
    failed = {
        "score": 0.0,
        "output": GRADER_FAILED.render(settings["lang"]),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
    }
    values = {
        "version": blitz.__version__,
        "python": settings["python"],
        "torch": pinned["torch"],
        "torchvision": pinned["torchvision"],
        "torch_index": TORCH_INDEX,
    }
    requirements = "".join(f"{name}=={version}\n" for name, version in pinned.items())
    return {
        "setup.sh": SETUP_SH.format(**values),
        "run_autograder": RUN_AUTOGRADER.format(**values),
        "requirements.txt": "# blitz's Gradescope autograder: the versions it was built with\n" + requirements,
        CONFIG: json.dumps(settings, indent=2) + "\n",
        "grader-failed.json": json.dumps(failed, ensure_ascii=False, indent=2) + "\n",
    }


def _entry(name: str, executable: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, ZIP_TIME)
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def build(out: Path, settings: dict) -> list[str]:
    """Write the zip (atomically) and return the names in it."""
    buffer = io.BytesIO()
    names = []
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, text in scripts(settings).items():
            zf.writestr(_entry(name, name in ("setup.sh", "run_autograder")), text.encode("utf-8"))
            names.append(name)
        for path, name in kit_files():
            zf.writestr(_entry(name, False), path.read_bytes())
            names.append(name)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(buffer.getvalue())
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return names


# ---------------------------------------------------------------------------------------------- the command

DESCRIPTION = """\
Build a Gradescope autograder package / 生成 Gradescope 自动评分包。

OUT.zip is for the instructor's Gradescope assignment only: it holds the reference solutions.
Upload it as the assignment's autograder (set its points to the exercises' total, 100 for all).
Each submission is graded in bubblewrap sandboxes, like `blitz grade`: self-check tests (seed 0,
what `blitz check` runs) are visible at once and worth 0 points; the graded tests (a hidden seed)
carry the points and show once grades are published.
"""


def register(subparsers) -> None:
    from blitz.grading.cli import GRADING_SEED

    p = subparsers.add_parser(
        "gradescope",
        help="build a Gradescope autograder zip (instructors) / 生成 Gradescope 评分包",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("out", metavar="OUT.zip", help="the zip to write")
    p.add_argument(
        "--exercises",
        default=None,
        help=f"comma-separated exercise ids (default all: {','.join(e.id for e in registry.EXERCISES)})",
    )
    p.add_argument("--seed", type=int, default=GRADING_SEED, help=f"the graded tests' seed (default {GRADING_SEED})")
    p.add_argument(
        "--timeout",
        type=float,
        default=GRADING_TIMEOUT,
        help=f"seconds each check may run (default {GRADING_TIMEOUT:g}); the capstone's budget is measured",
    )
    p.add_argument("--memory", type=float, default=3.0, help="memory limit per sandbox in GiB (default 3)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from blitz.grading.cli import _chosen_exercises, _fail

    exercises = _chosen_exercises(args)
    if exercises is None:
        return 2
    if args.seed in SELF_CHECK_SEEDS:
        return _fail(tr("--seed must not be the self-check seed {args_seed}.", args_seed=args.seed))
    if not (args.timeout > 0 and args.memory > 0):
        return _fail(tr("--timeout and --memory must be positive numbers."))
    # The students' language: --lang (before or after the command) when given, else both.
    lang = getattr(args, "lang", None) or "both"
    if lang not in langs():
        lang = "both"
    settings = config(lang, exercises, args.seed, float(args.timeout), float(args.memory))
    out = Path(args.out).expanduser().resolve()
    try:
        names = build(out, settings)
    except OSError as exc:
        return _fail(tr("cannot write {out}: {exc}", out=out, exc=exc))
    total = sum(e.points for e in registry.EXERCISES if e.id in exercises)
    pinned = ", ".join(f"{k} {v}" for k, v in settings["pins"].items())
    print(
        tr(
            "wrote {out} ({len_names} files; students' language {lang}; {pinned}). It is the instructor's: it holds the reference solutions, never hand it to students. Upload it as the Gradescope assignment's autograder and set its points to {total}.",
            out=out,
            len_names=len(names),
            lang=lang,
            pinned=pinned,
            total=total,
        ).render(chosen_lang())
    )
    return 0
