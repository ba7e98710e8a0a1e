"""The autograder against broken and alternative submissions (tests/mutants/).

Each broken submission is the reference with one realistic student bug; it must fail exactly the
checks about that bug, with a message that names the call and shows no kit internals. Each
alternative is correct but spelled differently; it must pass every check: behaviour, not spelling.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import sys
from collections import Counter
from pathlib import Path

import mutants
import pytest
from mutants.alternatives import ALTERNATIVES
from mutants.broken import CAPSTONE_ANSWERS, CAPSTONE_SAYS, MUTANTS, STOPPED, capstone_answer

from blitz.checks import Context, checks_for, run_check
from blitz.course import mnist, registry
from blitz.engine import check as engine_check
from blitz.exercises.pipeline.checks import true_test_labels
from blitz.probes.local import LocalSubmission

EXERCISES = [e.id for e in registry.EXERCISES if e.has_module]
EXERCISES_DIR = Path(engine_check.__file__).resolve().parents[1] / "exercises"


# --- which failure branches fire: every `fail(` call site in blitz/exercises/*/checks.py, by file and line ---

FIRED: set[tuple[str, int]] = set()  # the call sites that raised, in this session
RAN: set[str] = set()  # the mutants whose exercise ran with the recorder on


def fail_sites() -> set[tuple[str, int]]:
    """Every failure branch of the checks: the `fail(...)` calls in blitz/exercises/*/checks.py, by (file, line)."""
    sites = set()
    for path in sorted(EXERCISES_DIR.glob("*/checks.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "fail":
                sites.add((path.parent.name, node.lineno))
    return sites


@pytest.fixture(autouse=True)
def record_failures(monkeypatch):
    """Note the check line of every `fail(...)` that raises: the frame that called engine.check.fail."""
    original = engine_check.CheckFailure.__init__

    def recording(self, msg, credit=0.0):
        caller = sys._getframe(1)
        if caller.f_code is engine_check.fail.__code__:
            site = caller.f_back
            path = Path(site.f_code.co_filename).resolve()
            if path.name == "checks.py" and path.parent.parent == EXERCISES_DIR:
                FIRED.add((path.parent.name, site.f_lineno))
        original(self, msg, credit)

    monkeypatch.setattr(engine_check.CheckFailure, "__init__", recording)


def run_exercise(folder, exercise: str) -> dict:
    """Every check of the exercise (the MNIST capstone has its own tests) on the submission in folder."""
    sub = LocalSubmission(folder)
    return {check.key: run_check(check, sub, Context()) for check in checks_for(exercise)}


def public_names(exercise: str) -> set[str]:
    module = importlib.import_module(f"solutions.{exercise}")
    return {
        name
        for name, obj in vars(module).items()
        if not name.startswith("_")
        and (inspect.isfunction(obj) or inspect.isclass(obj))
        and obj.__module__ == module.__name__
    }


def assert_good_message(result, exercise: str) -> None:
    assert result.status in ("failed", "error"), (result.key, result.status)
    assert result.message is not None
    en, both = result.message.render("en"), result.message.render("both")
    assert en.strip() and result.message.render("zh").strip()
    # The message names the student's function (or class) that was called.
    assert any(re.search(rf"\b{name}\b", en) for name in public_names(exercise)), en
    assert not re.search(r"^Called\s*$", en, re.MULTILINE), en  # an exception whose call went unlabelled
    # No kit traceback: only the student's own files may appear as frames.
    assert "Traceback" not in both and "site-packages" not in both and "blitz/" not in both, both
    for frame_file in re.findall(r'File "([^"]+)"', both):
        assert frame_file in {f"{e}.py" for e in EXERCISES}, both


def test_enough_realistic_bugs():
    assert len(MUTANTS) >= 25
    names = [m.name for m in MUTANTS + STOPPED + ALTERNATIVES]
    assert len(set(names)) == len(names), "duplicate names"
    per_exercise = Counter(m.exercise for m in MUTANTS)
    assert set(per_exercise) == set(EXERCISES), per_exercise


def test_every_check_is_failed_by_some_mutant():
    """A check no bug can fail proves nothing."""
    failed = set().union(*(m.fails for m in MUTANTS))
    every = {c.key for e in EXERCISES for c in checks_for(e)}
    assert every - failed == set()


def test_a_patch_that_no_longer_applies_is_refused(tmp_path):
    stale = mutants.Mutant("stale", "tensors", "this text is not in tensors.py", "", frozenset(), "")
    with pytest.raises(AssertionError, match="occurs 0 times"):
        mutants.build(tmp_path, stale)


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_broken_submission_fails_exactly_its_checks(mutant, tmp_path):
    results = run_exercise(mutants.build(tmp_path / "submission", mutant), mutant.exercise)
    RAN.add(mutant.name)
    failing = {key for key, result in results.items() if not result.passed}
    details = "\n\n".join(
        f"{k} [{r.status}]: {r.message.render('en') if r.message else ''}" for k, r in results.items() if not r.passed
    )
    assert failing == mutant.fails, f"{mutant.bug}\nfailed: {sorted(failing)}\n{details}"
    for key in sorted(failing):
        assert_good_message(results[key], mutant.exercise)
        assert results[key].score == 0
    if mutant.says or mutant.says_zh:  # the first failure names the story, in each language
        first = results[min(failing, key=list(results).index)]
        for lang, says in (("en", mutant.says), ("zh", mutant.says_zh)):
            for words in (says,) if isinstance(says, str) else says:
                assert words in first.message.render(lang), first.message.render(lang)


@pytest.mark.slow
@pytest.mark.parametrize("mutant", STOPPED, ids=lambda m: m.name)
def test_a_submission_that_never_ends_is_stopped_and_shown_what_it_printed(mutant, tmp_path):
    """A time limit hit while printing: exactly the looping checks time out, and their message shows the
    printed lines and says that printing at every step is slow, in each language."""
    results = mutants.run_stopped(mutant, tmp_path / "submission")
    failing = {key for key, result in results.items() if not result.passed}
    assert failing == mutant.fails, (mutant.bug, {k: results[k].status for k in failing})
    for key in sorted(failing):
        assert results[key].status == "timeout" and results[key].message is not None, results[key]
        for lang, says in (("en", mutant.says), ("zh", mutant.says_zh)):
            text = results[key].message.text(lang)
            for words in (says,) if isinstance(says, str) else says:
                assert words in text, text


@pytest.mark.parametrize("alternative", ALTERNATIVES, ids=lambda a: a.name)
def test_alternative_submission_passes(alternative, tmp_path):
    results = run_exercise(mutants.build(tmp_path / "submission", alternative), alternative.exercise)
    failing = {k: r.message.render("en") for k, r in results.items() if not r.passed}
    assert not failing, f"{alternative.why}\n{failing}"


def test_every_failure_branch_of_the_checks_is_reached_by_a_mutant(tmp_path):
    """Each `fail(...)` in blitz/exercises/*/checks.py fires for some broken submission (the capstone's for a fake
    pipeline answer); a new branch without a mutant fails here. Runs the mutants the session has not."""
    for mutant in MUTANTS:
        if mutant.name not in RAN:
            run_exercise(mutants.build(tmp_path / mutant.name, mutant), mutant.exercise)
            RAN.add(mutant.name)
    labels = true_test_labels(str(mnist.require()))
    for name in CAPSTONE_ANSWERS:
        result = mutants.run_canned_capstone(capstone_answer(name, labels), labels)
        assert result.status == "failed", name
        if name in CAPSTONE_SAYS:
            assert CAPSTONE_SAYS[name] in result.message.render("en"), (name, result.message.render("en"))
    sites = fail_sites()
    assert len(sites) >= 30  # the walk found the checks' branches
    unreached = sorted(sites - FIRED)
    assert not unreached, f"failure branches no mutant reaches (add one to tests/mutants/broken.py): {unreached}"
    assert FIRED <= sites
