"""Every failure message in one language at a time: no Chinese in English output, no English
sentence left untranslated in Chinese output (code aside).

The messages are those of the mutants suite (tests/mutants/): each broken submission's failing
checks, plus the student's exceptions of every kind, rendered with lang "en" and with lang "zh".
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import mutants
import pytest
from mutants import broken
from mutants.broken import CAPSTONE_ANSWERS, MUTANTS, STOPPED, capstone_answer

from blitz.checks import Context, get_check, run_check
from blitz.course import mnist
from blitz.course.i18n import Msg
from blitz.engine.feedback import LABELS, feedback, student_error_message
from blitz.engine.student_code import StudentError
from blitz.exercises.pipeline.checks import true_test_labels
from blitz.probes.local import LocalSubmission

CJK = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uf900-\ufaff\uff00-\uffef]")
FRAME = re.compile(r'^\s*File "[^"]*", line \d+')  # a traceback frame; its code line follows
EXCEPTION = re.compile(r"\b[A-Z]\w*(?:Error|Exception|Warning|Exit)\b:.*$", re.MULTILINE)  # type: message
CALL_ARGS = re.compile(r"(?<=[\w.=\]\)>])\([^()]*\)|\([^()A-Za-z]*\)")  # f(...), x=(...), (4, 4)
WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
PUNCTUATION = "()[]{},.;:!?\"'"
LONGEST_ENGLISH_RUN = 3  # words; "loss.backward() 没有在 step 之前调用" is fine, a sentence is not


def without_code(text: str) -> str:
    """The prose of a message: traceback frames, exceptions' own words, `code`, quoted strings,
    calls and reprs, dotted names and keyword arguments taken out."""
    kept, after_frame = [], False
    for line in text.splitlines():
        if after_frame:  # the frame's line of code
            after_frame = False
            continue
        after_frame = bool(FRAME.match(line))
        if not after_frame:
            kept.append(line)
    text = EXCEPTION.sub(" ", "\n".join(kept))
    text = re.sub(r"`[^`]*`|'[^'\n]*'|\"[^\"\n]*\"", " ", text)
    while CALL_ARGS.search(text):
        text = CALL_ARGS.sub(" ", text)
    text = re.sub(r"\[[^\[\]]*\]|\{[^{}]*\}", " ", text)
    return re.sub(r"[\w-]+=\S*|\w+(?:\.\w+)+\S*", " ", text)


def english_runs(text: str) -> list[str]:
    """Runs of more than LONGEST_ENGLISH_RUN English words in a row, outside code."""
    runs, current = [], []
    for token in without_code(text).split():
        token = token.strip(PUNCTUATION)
        if WORD.fullmatch(token):
            current.append(token)
            continue
        if len(current) > LONGEST_ENGLISH_RUN:
            runs.append(" ".join(current))
        current = []
    if len(current) > LONGEST_ENGLISH_RUN:
        runs.append(" ".join(current))
    return runs


def assert_one_language(message: Msg, context: str) -> None:
    en, zh = message.render("en"), message.render("zh")
    assert en.strip() and zh.strip(), context
    assert not CJK.findall(en), f"{context}: Chinese in the English message:\n{en}"
    assert CJK.search(zh), f"{context}: no Chinese in the Chinese message:\n{zh}"
    assert not english_runs(zh), f"{context}: English left in the Chinese message {english_runs(zh)}:\n{zh}"


# --- the heuristics catch what they are for ------------------------------------------------------


def test_the_checks_catch_the_leaks_they_are_for():
    leaked = Msg(
        "调用 train.fit(model, loader) (losses per epoch, Adam and cross-entropy)\n  返回：tensor(shape=(3,))",
        "Called train.fit(model, loader) → body.0.weight afterwards / 训练后",
    )
    with pytest.raises(AssertionError, match="Chinese in the English"):
        assert_one_language(leaked, "leak")
    assert english_runs(leaked.zh) == ["losses per epoch Adam and cross-entropy"]
    # Code is not English prose: calls, reprs, frames, exceptions, `commands`, names and keywords.
    code = (
        "调用 tensors.gram(tensor(shape=(4, 4), dtype=float32, device=cpu)) 抛出了\n"
        "  RuntimeError: mat1 and mat2 shapes cannot be multiplied (4x4 and 5x5)\n"
        '  File "tensors.py", line 12, in gram\n    return t @ t.T if this and that else the other\n'
        "运行 `blitz hint tensors to see more`；期望 shuffle=True 与 dict {'a': 'b c d e'} 和 [1, 2, 3]"
    )
    assert english_runs(code) == []


def test_labels_are_defined_once_and_used_by_every_part():
    message = feedback(
        "f(x)",
        returned="1",
        raised="E: e",
        expected="2",
        where="  File",
        hint=Msg("试试", "try"),
        observed=Msg("看", "s"),
    )
    for lang in ("zh", "en"):
        text = message.render(lang)
        assert all((label.zh if lang == "zh" else label.en) in text for label in LABELS.values()), text
    assert message.en.splitlines()[0] == "Called f(x)" and "  returned: 1" in message.en
    assert "  返回：1" in message.zh and "  提示：试试" in message.zh


def string_constants(path: Path) -> list[str]:
    """The text of every string literal of a module, f-strings' literal parts included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def test_the_checks_type_no_labels_of_their_own():
    """The drift this module ended: every check spells its labels through blitz.engine.feedback."""
    root = Path(__file__).resolve().parents[2] / "blitz"
    hand_typed = re.compile(r"^Called |^调用 |returned: |expected: |got: |hint: |期望：|返回了?：|得到：|提示：")
    sources = [*sorted((root / "checks").glob("*.py")), root / "engine" / "compare.py", root / "engine" / "check.py"]
    found = {p.name: [s for s in string_constants(p) if hand_typed.search(s)] for p in sources}
    assert {name: hits for name, hits in found.items() if hits} == {}


# --- every failure of the mutants suite, in each language ----------------------------------------


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_mutant_failures_speak_one_language_at_a_time(mutant, tmp_path):
    sub = LocalSubmission(mutants.build(tmp_path / "submission", mutant))
    for key in sorted(mutant.fails):
        result = run_check(get_check(key), sub, Context())
        assert not result.passed and result.message is not None, key
        assert_one_language(result.message, f"{mutant.name} {key}")


@pytest.mark.slow
@pytest.mark.parametrize("mutant", STOPPED, ids=lambda m: m.name)
def test_stopped_mutants_speak_one_language_at_a_time(mutant, tmp_path, monkeypatch):
    """A time limit hit while printing (in a worker, as tests/test_timeout_printing.py's local placement).
    Here only the message's language is the point: a 4-second limit (the loop prints at every step from its
    first batch on); tests/corpora/test_mutants.py runs them under STOPPED_LIMIT and reads what they printed."""
    monkeypatch.setattr(broken, "STOPPED_LIMIT", "4")
    results = mutants.run_stopped(mutant, tmp_path / "submission")
    for key in sorted(mutant.fails):
        assert results[key].status == "timeout" and results[key].message is not None, results[key]
        assert_one_language(results[key].message, f"{mutant.name} {key}")


@pytest.mark.parametrize("name", list(CAPSTONE_ANSWERS))
def test_capstone_failures_speak_one_language_at_a_time(name):
    labels = true_test_labels(str(mnist.require()))
    result = mutants.run_canned_capstone(capstone_answer(name, labels), labels)
    assert result.status == "failed", result.message.render("en") if result.message else result.status
    assert_one_language(result.message, name)


@pytest.mark.parametrize("kind", ["raised", "import", "missing", "timeout", "crashed", "not_done"])
def test_student_errors_speak_one_language_at_a_time(kind):
    frames = '  File "train.py", line 20, in fit\n    loss = loss_fn(model(x), y)'
    error = {
        "raised": StudentError("RuntimeError", "Trying to backward through the graph a second time", frames, "f(x)"),
        "import": StudentError("SyntaxError", "invalid syntax", frames, "import train.py", "import"),
        "missing": StudentError("AttributeError", "train.py defines no 'fit'", call="train.fit", kind="missing"),
        "timeout": StudentError("Timeout", "time limit of 15 s", call="train.fit(...)", kind="timeout"),
        "crashed": StudentError("WorkerCrashed", "exit status 3", call="train.fit(...)", kind="crashed"),
        "not_done": StudentError("NotImplementedError", "", frames, "train.fit(model)"),
    }[kind]
    message, status = student_error_message(error, "train")
    assert status == {"not_done": "not_done", "timeout": "timeout", "crashed": "crashed"}.get(kind, "error")
    assert_one_language(message, kind)


def test_a_returned_float_reads_the_same_in_float32_and_float64():
    # The same mean loss summed in float32 (a GPU, the release) and in float64 reads alike: seven digits.
    from blitz.engine.compare import kind_of

    assert kind_of([1.1535329620043437]) == kind_of([1.1535329818725586]) == "list [1.153533]"
    assert kind_of((2.5,)) == "tuple (2.5,)" and kind_of("x") == "str 'x'"
