"""Hints and messages that teach (issue 15): a ladder per check, hints that know the chapter, stubs
that say what and not which call, notebooks that show the ladder and the score so far, points as
people read them."""

from __future__ import annotations

import ast
import re

import mutants
import pytest
import torch
from mutants.broken import capstone_answer
from test_feedback_languages import assert_one_language

from blitz.checks import Context, all_checks, get_check, run_check
from blitz.course import mnist, registry
from blitz.course.hints import CHAPTERS, LADDERS, ladder
from blitz.course.pytorch_errors import _KNOWN, ORDER, explain_error
from blitz.course.text import points
from blitz.engine.probing import brief
from blitz.engine.results import ExerciseResult
from blitz.exercises.pipeline.checks import true_test_labels
from blitz.student.render import result_lines
from blitz.student.state import ExerciseStatus

CHECKS = all_checks()


def solution_lines(exercise: registry.Exercise) -> list[str]:
    """The reference's answer code: the lines between BEGIN and END SOLUTION, as a student would type them."""
    lines, inside = [], False
    for line in exercise.solution_path.read_text(encoding="utf-8").splitlines():
        if "END SOLUTION" in line:
            inside = False
        code = line.strip().removeprefix("return ")
        if inside and len(code) >= 6 and not code.startswith("#") and re.search(r"[(\[@*+/-]", code):
            lines.append(code)
        if "BEGIN SOLUTION" in line:
            inside = True
    return lines


# --- the ladders -------------------------------------------------------------------------------


def test_every_check_has_a_ladder_declared_once_in_check_order():
    assert [c.key for c in CHECKS] == [f"{e}.{name}" for e, names in LADDERS.items() for name in names]
    assert all(len(c.hints) >= 3 for c in CHECKS), [c.key for c in CHECKS if len(c.hints) < 3]
    assert set(CHAPTERS) == {e.id for e in registry.EXERCISES}


@pytest.mark.parametrize("entry", CHECKS, ids=lambda c: c.key)
def test_a_ladder_speaks_one_language_at_a_time_and_ends_at_the_course(entry):
    for number, rung in enumerate(entry.hints, 1):
        assert_one_language(rung, f"{entry.key} hint {number}")
    last = entry.hints[-1]
    assert "course section" in last.en and "课程" in last.zh, last
    assert CHAPTERS[entry.exercise].en in last.en
    assert not re.search(r"\w\(|@|`", last.en), f"the last rung points at code: {last.en}"


@pytest.mark.parametrize("exercise", registry.MODULE_EXERCISES, ids=lambda e: e.id)
def test_no_hint_and_no_stub_docstring_writes_the_answer(exercise):
    answers = solution_lines(exercise)
    rungs = [r for c in CHECKS if c.exercise == exercise.id for r in c.hints]
    for rung in rungs:
        leaked = [a for a in answers if a in rung.en or a in rung.zh]
        assert not leaked, f"{exercise.id}: a hint writes the answer {leaked}"
    tree = ast.parse(exercise.solution_path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and ast.get_docstring(node):
            doc = ast.get_docstring(node)
            leaked = [a for a in answers if a in doc]
            assert not leaked, f"{exercise.id}.{node.name}: the stub's docstring writes the answer {leaked}"


def test_gram_says_what_not_which_call():
    doc = ast.get_docstring(
        next(
            n
            for n in ast.parse(registry.get("tensors").solution_path.read_text()).body
            if getattr(n, "name", "") == "gram"
        )
    )
    assert "@" not in doc and "matmul" not in doc and "dot product of rows" in doc
    assert all("t @ t.T" not in r.en for r in ladder("tensors.gram"))


# --- errors explained in the chapter's words ---------------------------------------------------

# Where a concept is first taught: a hint in an earlier chapter must not lean on it.
CONCEPTS = {
    "nn.Linear": "model",
    "in_features": "model",
    "model.to": "model",
    "optimizer": "train",
    "CrossEntropyLoss": "train",
    "DataLoader": "data",
    "retain_graph": "autograd",
    "backward": "autograd",
}
EXAMPLES = [
    "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)",
    "The size of tensor a (5) must match the size of tensor b (2) at non-singleton dimension 1",
    "Torch not compiled with CUDA enabled",
    "expected scalar type Long but found Float",
    "Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!",
    "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.",
    "Trying to backward through the graph a second time",
    "grad can be implicitly created only for scalar outputs",
    "a leaf Variable that requires grad is being used in an in-place operation.",
    "shape '[2, 5]' is invalid for input of size 6",
]


def test_every_known_error_has_an_example_here():
    assert all(any(re.search(pattern, e) for e in EXAMPLES) for pattern, _ in _KNOWN)


@pytest.mark.parametrize("exercise", ORDER)
def test_a_hint_never_leans_on_a_later_chapter(exercise):
    later = {term for term, chapter in CONCEPTS.items() if ORDER.index(chapter) > ORDER.index(exercise)}
    for example in EXAMPLES:
        first = next(advice[0][0] for pattern, advice in _KNOWN if re.search(pattern, example))
        if ORDER.index(first) > ORDER.index(exercise):
            continue  # an error of a later chapter's code (backward twice in the tensors chapter) cannot happen
        advice = explain_error("RuntimeError", example, exercise)
        assert advice is not None, example
        used = [term for term in later if term in advice.en or term in advice.zh]
        assert not used, f"{exercise}: {example!r} is explained with a later chapter's {used}: {advice.en}"


def test_the_issues_errors_get_the_chapters_advice():
    matmul = explain_error("RuntimeError", EXAMPLES[0], "tensors")
    assert "Element-wise: use *" in matmul.en and "@" in matmul.en and "in_features" not in matmul.en
    assert "in_features" in explain_error("RuntimeError", EXAMPLES[0], "model").en
    cuda = explain_error("AssertionError", "Torch not compiled with CUDA enabled", "tensors")
    assert "torch.cuda.is_available()" in cuda.en and "torch.cuda.is_available()" in cuda.zh
    numpy = explain_error("RuntimeError", EXAMPLES[5], "evaluate")
    assert "torch.no_grad()" in numpy.en and ".detach()" not in numpy.en
    assert ".detach()" in explain_error("RuntimeError", EXAMPLES[5], "autograd").en


# --- what the student reads -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [(10 / 3, "3.33"), (18.333333, "18.33"), (15.0, "15"), (0.0, "0"), (2.5, "2.5"), (13.75, "13.75")],
)
def test_points_have_at_most_two_decimals_and_no_trailing_zeros(value, text):
    assert points(value) == text


def test_long_reprs_are_cut_between_words_on_one_line():
    text = brief("Sequential(\n  (0): Linear(in_features=10, out_features=5, bias=True)\n  (1): ReLU()\n)", 40)
    assert "\n" not in text and text.endswith("…") and len(text) <= 40
    assert text == "Sequential((0): Linear(in_features=10…"
    assert brief("Adam (\nParameter Group 0\n    lr: 0.001\n)", 80) == "Adam (Parameter Group 0 lr: 0.001)"


def test_a_failing_notebook_cell_shows_the_checks_ladder_in_both_languages(monkeypatch):
    from blitz.frontends.notebook import CheckFailed, check

    monkeypatch.delenv("BLITZ_LANG", raising=False)
    monkeypatch.setattr("blitz.frontends.notebook._SHOWN", {})
    rungs = ladder("tensors.gram")
    texts = []
    for _ in rungs:  # the first run shows the first rung; each run again while it fails, one more
        with pytest.raises(CheckFailed) as failed:
            check("tensors.gram", {})
        texts.append(str(failed.value))
    assert rungs[0].en in texts[0] and rungs[1].en not in texts[0]
    assert f"{len(rungs) - 1} more hint(s): run this cell again" in texts[0]
    assert f"还有 {len(rungs) - 1} 条提示" in texts[0]
    text = texts[-1]
    for rung in rungs:
        assert rung.zh in text and rung.en in text
    assert "more hint(s)" not in text
    assert "Hints, gentle first:" in text and ladder("tensors.from_data")[0].en not in text


def test_the_notebook_score_cell_never_raises_and_counts_what_passes(capsys, tmp_path):
    import runpy

    from blitz.frontends.notebook import score

    score("tensors", {})
    assert "Score so far: 0 / 15" in capsys.readouterr().out
    folder = mutants.build(tmp_path, mutants.by_name("gram_elementwise"), only=("tensors",))
    score("tensors", runpy.run_path(str(folder / "tensors.py")))
    out = capsys.readouterr().out
    assert "Score so far: 13.75 / 15" in out and "✗ tensors.gram" in out and "✓ tensors.from_data" in out


def test_the_notebooks_last_cell_is_the_score_worth_no_points():
    from blitz.authoring.notebooks import build_notebook

    nb = build_notebook(registry.get("tensors"))
    last = nb.cells[-1]
    assert last.cell_type == "code" and 'score("tensors", globals())' in last.source
    meta = last.metadata["nbgrader"]
    assert meta["grade"] is False and "points" not in meta and meta["locked"] and not meta["solution"]


def test_the_capstone_says_its_accuracy_on_a_pass():
    labels = true_test_labels(str(mnist.require()))
    answer = {
        "weights": mutants.RIGHT_WEIGHTS,
        "subset_predictions": labels[:50].clone(),
        "student_subset_accuracy": 1.0,
    }
    result = mutants.run_canned_capstone(answer, labels)
    assert result.passed and "test accuracy 100.00%" in result.note.en
    status = ExerciseStatus(registry.get("pipeline"), ExerciseResult("pipeline", [result]))
    shown = "\n".join(result_lines(status, "en"))
    assert "test accuracy 100.00%" in shown


def test_the_capstone_says_its_accuracy_on_a_fail():
    labels = true_test_labels(str(mnist.require()))
    for name in ("below_the_bar", "subset_accuracy"):
        result = mutants.run_canned_capstone(capstone_answer(name, labels), labels)
        assert not result.passed and re.search(r"accuracy[^\n]* \d+\.\d\d%", result.message.en), result.message.en


def test_watchs_h_shows_only_the_first_failing_checks_ladder(tmp_path, monkeypatch):
    """h climbs the ladder of the first failing check; once that check passes, its hints go away."""
    import io
    import shutil

    from blitz.student.watch import Watcher

    monkeypatch.setenv("BLITZ_LANG", "en")
    folder = mutants.stubs(tmp_path)
    mutants.build(folder, mutants.by_name("gram_elementwise"), only=("tensors",))
    watcher = Watcher(folder, io.StringIO())
    watcher.refresh()
    watcher.next_hint()
    watcher.next_hint()
    screen = watcher.screen()
    gram, first = ladder("tensors.gram"), ladder("tensors.from_data")
    assert "Hint 1 of 3:" in screen and gram[0].en in screen and gram[1].en in screen and gram[2].en not in screen
    assert not any(rung.en in screen for rung in first)  # from_data passes: none of its hints
    shutil.copy(registry.get("tensors").solution_path, folder / "tensors.py")
    watcher.refresh(force=True)
    screen = watcher.screen()
    assert "▶ autograd" in screen and not any(rung.en in screen for rung in gram)


def test_cuda_without_a_gpu_points_at_is_available(tmp_path):
    """`t.cuda()` on a machine without a GPU: not the raw driver error alone, a hint to ask first."""
    from blitz.probes.local import LocalSubmission

    always_cuda = mutants.Mutant(
        "always_cuda",
        "tensors",
        '    if torch.cuda.is_available():\n        return t.to("cuda")\n    return t\n',
        "    return t.cuda()\n",
        frozenset({"tensors.to_available_device"}),
        "t.cuda() whether or not there is a GPU",
    )
    folder = mutants.build(tmp_path, always_cuda, only=("tensors",))
    result = run_check(get_check("tensors.to_available_device"), LocalSubmission(folder), Context())
    if torch.cuda.is_available():
        assert result.passed
    else:
        assert result.status == "error"
        assert "torch.cuda.is_available()" in result.message.en and "torch.cuda.is_available()" in result.message.zh
        assert "hint: there is no usable GPU" in result.message.en
