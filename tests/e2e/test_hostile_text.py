"""Student ids and every stored text, through the real `blitz grade` (issue 21, items 5 and 8).

A class whose folder names clean or case-fold to the same id, next to a hostile student whose folder
name holds a bidi override, a zero-width space and an escape sequence, and whose code prints and
raises text full of control characters, bidi overrides and escapes. Then:

- ids are injective: ``a\\nb`` and ``a_b`` are two students, each graded under an id of its own;
  ``Alice`` and ``alice`` (one id but for case) are both refused, each record naming both, and
  neither gets a score;
- results.json (all of them), grades.csv, junit.xml and every text file of the class report hold no
  control character (but line breaks and tabs) and no format character (bidi overrides included).
"""

from __future__ import annotations

import json
import os
import sys
import unicodedata
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: kit, mutants

import kit  # noqa: E402
import mutants  # noqa: E402

from blitz.grading import names  # noqa: E402

HOSTILE = "eve\u202egnp.exe\u200b\x1b[2J\x1b]0;t\x07"
NOISE = "\\x1b[31m\\u202e\\u2066\\u200f\\x00\\x07\\x9b1m\\r\\x0b\\x0c\\ufeff"
HOSTILE_CODE = f"""
import sys
print("{NOISE}forged line", file=sys.stderr)
print("{NOISE}forged stdout")

def from_data(values):
    raise ValueError("{NOISE}=cmd|calc!A0\\r\\nforged: all tests passed")
"""


def bad_chars(text: str) -> list[str]:
    return sorted({f"U+{ord(c):04X}" for c in text if c not in "\n\t" and unicodedata.category(c) in ("Cc", "Cf")})


def strings(tree) -> list[str]:
    if isinstance(tree, str):
        return [tree]
    if isinstance(tree, dict):
        return [s for k, v in tree.items() for s in (k, *strings(v))]
    if isinstance(tree, list):
        return [s for v in tree for s in strings(v)]
    return []


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostiletext")
    subs = root / "class"
    for name in ("a_b", "a\nb", "Alice", "alice"):
        mutants.build(subs / name, only=("tensors",))
    hostile = mutants.build(subs / HOSTILE, only=("tensors",))
    with (hostile / "tensors.py").open("a", encoding="utf-8") as f:
        f.write(HOSTILE_CODE)
    out = root / "out"
    run = kit.grade(subs, out, "tensors", workers=1)  # one process: no pool of interpreters importing torch
    assert run.returncode == 0, run.stdout + run.stderr
    return out, run


def results(out: Path) -> dict[str, dict]:
    found = {}
    for path in out.glob("*/results.json"):
        found[path.parent.name] = json.loads(path.read_text(encoding="utf-8"))
    return found


@pytest.mark.slow
def test_ids_are_injective_and_case_collisions_are_all_refused(graded):
    out, _ = graded
    records = {k: v["extra_data"]["record"] for k, v in results(out).items()}
    assert set(records) == {"a_b", "a%0Ab", "Alice", "alice", names.student_id(HOSTILE)}, sorted(records)
    assert records["a_b"]["score"] == records["a%0Ab"]["score"] == 15  # two students, two full marks
    for who in ("Alice", "alice"):
        data = results(out)[who]
        assert data["score"] == 0 and records[who]["status"] == "refused", records[who]
        assert "Alice, alice" in data["output"], data["output"]
    assert records[names.student_id(HOSTILE)]["score"] < 15


@pytest.mark.slow
def test_no_stored_text_holds_a_control_or_bidi_character(graded):
    out, run = graded
    for who, data in results(out).items():
        bad = {s[:80]: bad_chars(s) for s in strings(data) if bad_chars(s)}
        assert bad == {}, (who, bad)
    hostile = json.dumps(results(out)[names.student_id(HOSTILE)], ensure_ascii=False)
    assert "forged" in hostile, "the hostile text must reach results.json for this test to mean anything"
    for name in ("grades.csv", "junit.xml", "summary.txt"):
        if (out / name).exists():
            assert bad_chars((out / name).read_text(encoding="utf-8")) == [], name
    texts = [p for p in (out / "class_report").iterdir() if p.suffix in (".csv", ".txt", ".md", ".html")]
    assert texts, "the class report was written"
    for path in texts:
        assert bad_chars(path.read_text(encoding="utf-8")) == [], path.name
    assert bad_chars(run.stdout) == [] and "\x1b" not in run.stderr, run.stdout[-500:]


def test_the_sanitizer_is_one_function():
    """names' helpers and the course's terminal text all go through text.clean."""
    from blitz.course import text

    hostile = "a\x1b[31mb\u202ec\x00d\u200b\ne\tf"
    assert text.clean(hostile, keep="\n\t") == "ab?c?d?\ne\tf"
    assert names.report_text(hostile) == text.clean(hostile, keep="\n\t")
    assert names.terminal(hostile) == text.clean(hostile) == "ab?c?d??e?f"
    assert text.clean_tree({hostile: [hostile, 3, None]}) == {"ab?c?d?\ne\tf": ["ab?c?d?\ne\tf", 3, None]}
    assert os.sep not in names.student_id("a/b") and names.folder_name(names.student_id(hostile)) == hostile
