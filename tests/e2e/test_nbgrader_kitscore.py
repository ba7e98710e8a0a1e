"""The kit's scores of notebooks (blitz/grading/notebook/kitscore.py, extract.py; blitz/engine/cells.py),
without nbgrader: every reference notebook scores its maximum on the test cells' seeds, in the
sandboxed worker; a notebook's cells run as in a kernel (a failing or endless cell stops only itself,
magics are skipped, tracebacks name the module's real lines)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from blitz.authoring.notebooks import notebook_exercises
from blitz.checks import checks_for
from blitz.grading.notebook.extract import module_text, write_module
from blitz.grading.notebook.kitscore import deciding, options_for, run_seeds


def _world_readable(path):
    for folder in (path, *path.parents):
        if folder != folder.parent:
            folder.chmod(folder.stat().st_mode | 0o005)


@pytest.mark.slow
@pytest.mark.parametrize("exercise", [e.id for e in notebook_exercises()])
def test_every_reference_notebook_scores_its_maximum(exercise, tmp_path):
    nb = nbformat.read(notebook_exercises()[0].notebook_path.parent / f"{exercise}.ipynb", as_version=4)
    code = tmp_path / "code"
    write_module(nb, exercise, f"{exercise}.ipynb", code, 60)
    _world_readable(code)
    runs = run_seeds(code, exercise, options_for(exercise, 60, ()))
    assert set(runs) == {c.name for c in checks_for(exercise)}
    # each check ran on seed 0 and on its hidden seed, and passed both
    assert {name: [r.passed for r in rs] for name, rs in runs.items()} == {name: [True, True] for name in runs}
    assert sum(deciding(rs).score for rs in runs.values()) == pytest.approx(
        sum(c.max_score for c in checks_for(exercise))
    )


def _run(nb, tmp_path, timeout=2.0):
    path = tmp_path / "mod.py"
    path.write_text(module_text(nb, "mod", "mod.ipynb", timeout), encoding="utf-8")
    probe = (
        "import runpy, json, sys; g = runpy.run_path(sys.argv[1]); "
        "print(json.dumps({k: repr(v) for k, v in g.items() if k in ('a', 'b', 'c', 'f')}))"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, env=env, timeout=60)


def test_cells_run_as_in_a_notebook(tmp_path):
    nb = new_notebook(
        cells=[
            new_code_cell("from __future__ import annotations\na = 1"),
            new_code_cell("%time x = 1\n!pip install torch\nb = 2"),
            new_code_cell("raise ValueError('only this cell')"),
            new_code_cell("while True:\n    pass"),
            new_code_cell("def f(x: NotDefinedAnywhere):\n    return x\nc = 3"),  # the future import holds
            new_code_cell("%%bash\necho hi"),
            new_code_cell("def broken(:\n    pass"),
        ]
    )
    done = _run(nb, tmp_path)
    assert done.returncode == 0, done.stderr
    names = json.loads(done.stdout)
    assert (names["a"], names["b"], names["c"]) == ("1", "2", "3") and names["f"].startswith("<function f")
    assert "cell 3: ValueError: only this cell" in done.stderr
    assert "cell 4: CellTimeout" in done.stderr
    assert "cell 7: SyntaxError" in done.stderr


def test_a_traceback_names_the_modules_real_lines(tmp_path):
    nb = new_notebook(cells=[new_code_cell("x = 1\n\ndef f():\n    return 1 / 0")])
    text = module_text(nb, "mod", "mod.ipynb", 5)
    path = tmp_path / "mod.py"
    path.write_text(text + "f()\n", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=env, timeout=60)
    line = text.splitlines().index("    return 1 / 0") + 1
    assert f'File "{path}", line {line}, in f\n    return 1 / 0' in done.stderr, done.stderr


def test_course_autograde_refuses_without_bubblewrap(tmp_path, monkeypatch, capsys):
    """No kernel ever runs unconfined: without bubblewrap the command stops before nbgrader (exit 2)."""
    from blitz.cli import main
    from blitz.execution.sandbox import bwrap

    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n", encoding="utf-8")
    (tmp_path / "submitted" / "alice" / "tensors").mkdir(parents=True)
    missing = {"bwrap": None, "version": "", "root": True, "setpriv": None, "inner": False, "inner_why": ""}
    monkeypatch.setattr(bwrap, "_probe", missing | {"why": "bubblewrap (bwrap) is not installed"})
    assert main(["course-autograde", str(tmp_path), "tensors"]) == 2
    assert "apt-get install bubblewrap" in capsys.readouterr().err
    assert not (tmp_path / "autograded").exists() and not (tmp_path / "gradebook.db").exists()


def test_a_deeply_nested_notebook_is_unreadable_not_a_crash(tmp_path):
    """The handed-in notebook is the student's bytes: nesting deeper than the JSON parser recurses is
    'no notebook to grade' for that student, never an exception in the grader."""
    from blitz.grading.notebook.kitscore import read_first

    path = tmp_path / "tensors.ipynb"
    path.write_text('{"cells": ' + "[" * 200_000 + "]" * 200_000 + "}", encoding="utf-8")
    nb, why = read_first([path])
    assert nb is None and why
