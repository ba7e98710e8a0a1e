"""A time limit hit while printing (issue 22.4): the message shows what was printed (its first and last
lines) and says that printing every step is slow, in both languages, in both placements."""

from __future__ import annotations

import hostile
import pytest

from blitz.engine.feedback import student_error_message
from blitz.execution import stops
from blitz.execution.local import Engine
from blitz.execution.output import Printed


def printed(n: int, first: int = 0) -> Printed:
    out = Printed()
    out.feed("".join(f"line {i}\n" for i in range(first, first + n)).encode())
    return out


def test_since_keeps_only_the_lines_of_the_running_check():
    out = printed(5)  # an earlier check printed five lines
    out.feed("".join(f"step {i}\n" for i in range(100)).encode())
    mine = out.since(5)
    assert mine["head"] == [f"step {i}" for i in range(5)]  # the head's lines after the first five
    assert mine["tail"] == [f"step {i}" for i in range(90, 100)]
    assert mine["omitted"] == 100 - 5 - 10
    assert out.since(105) == {"head": [], "tail": [], "omitted": 0}
    little = printed(3).since(0)
    assert little == {"head": ["line 0", "line 1", "line 2"], "tail": [], "omitted": 0}


def test_a_later_check_that_prints_a_lot_shows_its_own_first_lines():
    """A check started after an earlier one printed a flood (mark()): its own first lines are shown, not lost."""
    out = printed(50)  # an earlier check printed fifty lines
    start = out.mark()
    out.feed("".join(f"step {i}\n" for i in range(100)).encode())
    mine = out.since(start)
    assert mine["head"] == [f"step {i}" for i in range(10)]
    assert mine["tail"] == [f"step {i}" for i in range(90, 100)] and mine["omitted"] == 80
    few = printed(50)
    start = few.mark()
    few.feed(b"a\nb\n")
    assert few.since(start) == {"head": ["a", "b"], "tail": [], "omitted": 0}


def test_a_timeout_that_printed_a_lot_shows_it_and_says_printing_is_slow():
    msg = stops.timeout_msg("train.fit", 10, printed(500).since(0))
    for lang, words in (("en", "Printing at every step is slow"), ("zh", "每一步都打印很慢")):
        text = msg.render(lang)
        assert "line 0" in text and "line 499" in text and words in text, text
        assert "490" in text  # the lines left out between the first and the last
    assert "以" not in msg.render("en") and "Printing" not in msg.render("zh")  # each language pure (our words)


def test_a_timeout_that_printed_little_says_what_it_always_said():
    plain = stops.timeout_msg("tensors.gram", 3)
    assert stops.timeout_msg("tensors.gram", 3, printed(5).since(0)) == plain
    assert plain.en == "tensors.gram ran longer than 3 s and was stopped — an endless loop?"


def test_a_sandboxed_timeout_carries_the_first_and_last_lines():
    output = "".join(f"loss {i}\n" for i in range(400))
    error = stops.timeout_error(30, output)
    assert error.kind == "timeout" and "loss 0" in error.where and "loss 399" in error.where
    assert "loss 200" not in error.where  # the middle is left out
    msg, status = student_error_message(error, "pipeline")
    assert status == "timeout"
    assert "What it printed" in msg.en and "loss 399" in msg.en and "Printing at every step is slow" in msg.en
    assert "它打印的内容" in msg.zh and "loss 399" in msg.zh and "每一步都打印很慢" in msg.zh
    quiet = stops.timeout_error(30, "one line\n")
    assert quiet.where == "" and "printed" not in student_error_message(quiet, "pipeline")[0].en
    # Lines are cut: a worker printing one huge line does not make a huge message.
    assert len(stops.timeout_error(30, ("x" * 100000 + "\n") * 30).where) < 30 * 320


@pytest.mark.slow
def test_a_check_stopped_while_printing_in_the_local_placement(tmp_path, monkeypatch):
    """`blitz check`'s placement: a function that prints in an endless loop is stopped, and its message
    shows the printing; the flood of an earlier check of the same exercise is not blamed on a quiet loop."""
    folder = hostile.solutions(tmp_path / "work")
    # Each step prints, then waits a little: ~300 lines in the 3 s (20 make "a lot"), without a core spinning on
    # the prints (and another reading them) for the whole limit.
    hostile.plant(folder, "tensors", "gram", "while True: print('step', flush=True); __import__('time').sleep(0.01)")
    monkeypatch.setenv("BLITZ_TIME_LIMIT", "3")
    with Engine(label=str(folder)) as engine:
        outcome = engine.run_exercise(folder, "tensors")
    gram = next(r for r in outcome.results if r.name == "gram")
    assert gram.status == "timeout"
    assert gram.message is not None
    assert "step" in gram.message.en and "Printing at every step is slow" in gram.message.en
    assert "每一步都打印很慢" in gram.message.zh
