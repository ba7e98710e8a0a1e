"""The nbgrader course's capstone notebook (blitz/authoring/capstone_notebook.py): the code cells of
every exercise the capstone runs together, one graded test cell worth the capstone's points; in a
kernel its globals are each of those exercises' modules."""

from __future__ import annotations

from blitz.authoring.capstone_notebook import build_capstone_notebook
from blitz.authoring.notebooks import build_notebook
from blitz.course import registry
from blitz.probes.local import namespace_submission


def _meta(cell) -> dict:
    return cell.metadata["nbgrader"]


def test_the_capstone_notebook_holds_every_inputs_answer_cells_and_is_worth_its_points():
    nb = build_capstone_notebook()
    graded = [c for c in nb.cells if _meta(c).get("grade")]
    assert [_meta(c)["grade_id"] for c in graded] == ["test_mnist_accuracy"]
    assert sum(_meta(c)["points"] for c in graded) == registry.CAPSTONE.points == 15
    ids = [_meta(c)["grade_id"] for c in nb.cells]
    assert len(ids) == len(set(ids))
    for exercise_id in registry.CAPSTONE.inputs:
        answers = [c for c in build_notebook(registry.BY_ID[exercise_id]).cells if _meta(c).get("solution")]
        assert answers, exercise_id
        for cell in answers:
            assert f"{exercise_id}_{_meta(cell)['grade_id']}" in ids
            mine = next(c for c in nb.cells if _meta(c)["grade_id"] == f"{exercise_id}_{_meta(cell)['grade_id']}")
            assert mine.source == cell.source and _meta(mine)["solution"]


def test_in_a_kernel_the_capstones_globals_are_each_inputs_module():
    sub = namespace_submission(registry.CAPSTONE.id, {"fit": len})
    for exercise_id in (registry.CAPSTONE.id, *registry.CAPSTONE.inputs):
        assert sub.modules[exercise_id].fit is len
    assert set(namespace_submission("tensors", {"x": 1}).modules._modules) == {"tensors"}
