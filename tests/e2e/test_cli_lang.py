"""--lang before or after the command, a clear error for a language the kit does not speak, and no
traceback when the reader of the output goes away."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import kit
import mutants
import pytest

# tests/unit/test_feedback_languages.py's: any CJK character or punctuation.
CJK = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uf900-\ufaff\uff00-\uffef]")


@pytest.fixture(scope="module")
def stubs(tmp_path_factory):
    """Fresh stubs: the hints asked for here do not depend on what the student's exercises/ holds."""
    return str(mutants.stubs(tmp_path_factory.mktemp("stubs")))


def test_lang_after_the_command_is_the_same_as_before(stubs):
    before = kit.blitz("--lang", "zh", "hint", "tensors", "--all", "--submission", stubs, lang="en")
    after = kit.blitz("hint", "tensors", "--all", "--lang", "zh", "--submission", stubs, lang="en")
    assert before.returncode == after.returncode == 0, before.stderr + after.stderr
    assert before.stdout == after.stdout
    assert "提示" in after.stdout and "Hint" not in after.stdout


def test_lang_after_the_command_wins_over_the_one_before(stubs):
    result = kit.blitz("--lang", "zh", "hint", "tensors", "--all", "--lang", "en", "--submission", stubs, lang="zh")
    assert result.returncode == 0, result.stderr
    assert "Hint" in result.stdout and "提示" not in result.stdout


def test_unknown_language_option_lists_the_choices_in_both_languages():
    result = kit.blitz("hint", "tensors", "--lang", "fr")
    assert result.returncode == 2
    assert "Unknown language 'fr': choose one of zh, en, both" in result.stderr
    assert "不认识的语言 'fr'" in result.stderr


def test_unknown_language_in_the_environment_is_an_error_not_english():
    result = kit.blitz("list", lang="fr")
    assert result.returncode == 2
    assert "Unknown language 'fr'" in result.stderr and "BLITZ_LANG" in result.stderr
    assert result.stdout == ""


def test_a_closed_pipe_is_not_a_traceback():
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone before the first line, as `| head -0` would
    try:
        result = subprocess.run(
            kit.command() + ["hint", "tensors", "--all"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=kit.environment("both"),
            cwd=kit.ROOT,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert result.returncode == 0
    assert b"Traceback" not in result.stderr and b"BrokenPipeError" not in result.stderr


def test_both_languages_print_cleanly_in_the_doctor():
    result = kit.blitz("--lang", "both", "doctor", data=None)
    lines = result.stdout.splitlines()
    assert any(line.startswith("[ OK ] torch ") for line in lines), result.stdout
    # The same text in both languages (a path, a version) is said once; nothing is an empty " / ".
    assert not [line for line in lines if line.rstrip().endswith(("/", ":"))], result.stdout
    python = next(line for line in lines if "Python 3" in line)
    assert python.count(sys.executable) <= 1, python


def test_check_train_in_english_shows_no_chinese(tmp_path):
    """The issue's case: `blitz --lang en check train` on a broken train.py, the environment saying zh."""
    folder = mutants.build(tmp_path / "submission", mutants.by_name("missing_zero_grad"))
    result = kit.blitz("--lang", "en", "check", "train", "--submission", str(folder), lang="zh")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "✗ one epoch" in result.stdout and "afterwards" in result.stdout, result.stdout
    assert "zero_grad() never ran" in result.stdout, result.stdout
    assert not CJK.findall(result.stdout + result.stderr), result.stdout + result.stderr
