"""The nbgrader notebooks: generated from the solutions, valid, complete, and they run with the answers in."""

from __future__ import annotations

import json

import nbformat
import pytest

from blitz.authoring.notebooks import build_notebook, generated_notebooks, notebook_exercises, notebook_text
from blitz.checks import checks_for
from blitz.course import registry

EXERCISES = notebook_exercises()


def meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def test_one_notebook_per_module_exercise_in_course_order():
    assert [e.id for e in EXERCISES] == [e.id for e in registry.EXERCISES if e.has_module]
    assert "pipeline" not in [e.id for e in EXERCISES]  # the capstone needs all modules at once: no notebook
    assert list(generated_notebooks()) == [e.notebook_path for e in EXERCISES]


def test_generation_is_deterministic():
    first = generated_notebooks()
    assert first == generated_notebooks()
    for text in first.values():
        data = json.loads(text)
        assert text == json.dumps(data, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_valid_v4_python3_notebook(exercise):
    nb = nbformat.reads(notebook_text(exercise), as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat == 4 and nb.metadata.kernelspec.name == "python3"
    ids = [c.id for c in nb.cells]
    assert len(set(ids)) == len(ids)
    grade_ids = [meta(c)["grade_id"] for c in nb.cells]
    assert len(set(grade_ids)) == len(grade_ids)  # nbgrader refuses duplicate grade ids


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_every_check_is_a_test_cell_worth_its_points(exercise):
    nb = build_notebook(exercise)
    tests = {meta(c)["grade_id"]: c for c in nb.cells if meta(c).get("grade")}
    checks = checks_for(exercise.id)
    assert list(tests) == [f"test_{c.name}" for c in checks]
    for entry in checks:
        cell = tests[f"test_{entry.name}"]
        assert meta(cell)["points"] == entry.max_score and meta(cell)["locked"] and not meta(cell)["solution"]
        visible, _, hidden = cell.source.partition("### BEGIN HIDDEN TESTS")
        assert f'check("{entry.key}", globals())' in visible
        assert f'check("{entry.key}", globals(), seed=' in hidden and "### END HIDDEN TESTS" in hidden
    assert sum(meta(c)["points"] for c in tests.values()) == pytest.approx(exercise.points)


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_every_solution_region_is_an_answer_cell_and_the_rest_is_read_only(exercise):
    nb = build_notebook(exercise)
    solution_source = exercise.solution_path.read_text(encoding="utf-8")
    answers = [c for c in nb.cells if meta(c).get("solution")]
    assert sum(c.source.count("### BEGIN SOLUTION") for c in answers) == solution_source.count("# BEGIN SOLUTION")
    for c in nb.cells:
        if not meta(c).get("solution"):
            assert meta(c)["locked"] and "BEGIN SOLUTION" not in c.source
    # Teaching text in both languages before the first code cell.
    intro = nb.cells[0].source
    assert exercise.title.zh in intro and exercise.title.en in intro


def test_course_directory(tmp_path, capsys, monkeypatch):
    from blitz.cli import main

    monkeypatch.delenv("BLITZ_LANG", raising=False)  # the note is bilingual unless a language is chosen

    assert main(["course", str(tmp_path / "c"), "--course-id", "demo", "--timeout", "42"]) == 0
    out = capsys.readouterr().out
    assert "nbgrader generate_assignment tensors" in out and "nbgrader export" in out and "接下来" in out
    config = (tmp_path / "c" / "nbgrader_config.py").read_text(encoding="utf-8")
    assert "c.CourseDirectory.course_id = 'demo'" in config and "c.Execute.timeout = 42" in config
    assert "c.Execute.iopub_timeout = 15" in config and 'os.environ.setdefault("BLITZ_DATA"' in config
    for e in EXERCISES:
        path = tmp_path / "c" / "source" / e.id / f"{e.id}.ipynb"
        assert path.read_text(encoding="utf-8") == e.notebook_path.read_text(encoding="utf-8")


def test_bad_timeout_is_refused(tmp_path, capsys):
    from blitz.cli import main

    assert main(["course", str(tmp_path / "c"), "--timeout", "0"]) == 2
    assert "--timeout" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


def test_course_autograde_needs_a_course(tmp_path, capsys):
    from blitz.cli import main

    assert main(["course-autograde", str(tmp_path), "tensors"]) == 2
    assert "blitz course" in capsys.readouterr().err


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_the_notebook_asks_for_no_button_a_class_release_lacks(exercise):
    # A class release has no nbgrader: its students have no Validate button; Restart and Run All they do have.
    text = "".join(c.source for c in build_notebook(exercise).cells if c.cell_type == "markdown")
    assert "Validate" not in text
    assert "Restart Kernel and Run All Cells" in text


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_the_notebook_opens_with_the_exercises_reading(exercise):
    from blitz.course import reading

    cells = build_notebook(exercise).cells
    assert cells[1].cell_type == "markdown" and meta(cells[1])["locked"]
    for lang in reading.LANGS:
        assert reading.text(exercise.id, lang).strip() in cells[1].source
