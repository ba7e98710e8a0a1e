"""On Gradescope the self-check and the graded run are two sandboxes, the self-check's first
(issue 21, item 7): nothing the graded run computes can surface in a test shown before publication.

A tensors.py whose gram() gives each process a random token, appends it to a module global, to
/tmp and to /dev/shm, and raises an error naming its own token and every token it finds there.
The graded (hidden) tests' errors name the graded run's tokens; no test shown at once names any of
them. (When the two runs shared a child, the self-check's errors named the graded run's token.)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: kit, mutants, the Gradescope helpers

import kit  # noqa: E402
import mutants  # noqa: E402
from test_gradescope import graded, gradescope_root, run_autograder, self_checks  # noqa: E402

SPY = """

import os as _os, uuid as _uuid
_ME = _uuid.uuid4().hex[:12]
_SEEN = []


def gram(t):
    found = set(_SEEN)
    for _path in ("/tmp/blitz-spy", "/dev/shm/blitz-spy"):
        try:
            with open(_path) as _f:
                found.update(_f.read().split())
        except OSError:
            pass
        try:
            with open(_path, "a") as _f:
                _f.write(_ME + " ")
        except OSError:
            pass
    _SEEN.append(_ME)
    raise ValueError("ME:" + _ME + " BEFORE:" + ",".join(sorted(found - {_ME})) + ":END")
"""


@pytest.mark.slow
def test_nothing_of_the_graded_run_shows_before_publication(tmp_path):
    package = tmp_path / "autograder.zip"
    built = kit.blitz("gradescope", str(package), "--exercises", "tensors", "--lang", "en", lang="en")
    assert built.returncode == 0, built.stderr
    root = gradescope_root(package, tmp_path)
    folder = mutants.build(root / "submission", only=("tensors",))
    with (folder / "tensors.py").open("a", encoding="utf-8") as f:
        f.write(SPY)
    run, results = run_autograder(root)
    assert run.returncode == 0, run.stdout + run.stderr
    hidden_text = " ".join(t["output"] for t in graded(results))
    shown_text = " ".join(t["output"] for t in self_checks(results)) + " " + results.get("output", "")
    hidden_tokens = set(re.findall(r"ME:([0-9a-f]{12})", hidden_text))
    shown_tokens = set(re.findall(r"[0-9a-f]{12}", shown_text))
    assert hidden_tokens, "the spy's error must reach the graded tests' output for this test to mean anything"
    assert re.search(r"ME:[0-9a-f]{12}", shown_text), "and the self-check's output"
    assert hidden_tokens.isdisjoint(shown_tokens), (hidden_tokens, shown_tokens)
    visible = {t["visibility"] for t in graded(results)}
    assert visible == {"after_published"}, visible
