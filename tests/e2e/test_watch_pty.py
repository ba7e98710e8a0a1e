"""`blitz watch` in a real pseudo-terminal: the student saves a file, the screen changes, q quits."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import kit
import mutants
import pexpect
import pytest

from blitz.course import registry
from blitz.course.hints import ladder

ROOT = registry.ROOT
FOOTER = "Save a file to check again · h hint · r re-run · q quit"
WAIT = 120  # seconds for one screen: importing torch on a busy CI machine is slow, and nothing here is timed


def spawn_watch(folder: Path, lang: str = "en") -> pexpect.spawn:
    command, *args = kit.command()
    return pexpect.spawn(
        command,
        args + ["watch", "--submission", str(folder), "--interval", "0.1"],
        env=kit.environment(lang),
        encoding="utf-8",
        timeout=WAIT,
        dimensions=(60, 140),
        cwd=str(ROOT),
    )


@pytest.fixture
def folder(tmp_path) -> Path:
    return mutants.stubs(tmp_path)


def screen(child: pexpect.spawn, until: str = "", footer: str = FOOTER) -> str:
    """The next complete screen (each ends with the key line); with `until`, the first that shows it.

    A save may be seen half-written (the editor truncates, then writes), which draws a screen of
    its own first: that is the watcher doing its job, so the test waits past it.
    """
    deadline = time.monotonic() + WAIT
    while True:
        child.expect_exact(footer, timeout=max(1.0, deadline - time.monotonic()))
        if until in child.before:
            return child.before


def save(path: Path, text: str) -> None:
    """Save as many editors do: write a new file, then rename it over the old one."""
    tmp = path.with_suffix(".swp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def test_saving_the_solution_turns_the_screen_green_then_q_quits(folder):
    child = spawn_watch(folder)
    try:
        first = screen(child)
        assert "Progress [" in first and "0/7 exercises · 0/100 points" in first
        assert "▶ tensors — Tensors: creation" in first and "[not started]" in first
        assert "·tensors ·autograd" in first
        assert "is not implemented yet (NotImplementedError)" in first

        time.sleep(0.2)  # a new mtime even on file systems with coarse timestamps
        (folder / "tensors.py").write_text(
            (ROOT / "solutions" / "tensors.py").read_text(encoding="utf-8"), encoding="utf-8"
        )
        changed = screen(child, until="passed!")
        assert "✓ tensors passed! Next up: autograd." in changed
        assert "1/7 exercises · 15/100 points" in changed
        assert "✓tensors ·autograd" in changed
        assert "▶ autograd — Autograd" in changed and "[not started]" in changed

        child.send("h")
        with_hint = screen(child)
        assert "Hint 1 of 3:" in with_hint and ladder("autograd.cubic_minus_square_grads")[0].en in with_hint

        child.send("q")
        child.expect(pexpect.EOF)
        assert "Bye!" in child.before
    finally:
        child.close()
    assert child.exitstatus == 0
    state = json.loads((folder / ".blitz" / "state.json").read_text(encoding="utf-8"))
    assert state["hints"] == {"autograd.cubic_minus_square_grads": 1}


def test_a_broken_save_shows_the_failure_in_chinese(folder):
    shutil.copy(ROOT / "solutions" / "tensors.py", folder / "tensors.py")
    child = spawn_watch(folder, lang="zh")
    try:
        first = screen_zh(child)
        assert "▶ autograd" in first and "1/7 个练习 · 15/100 分" in first
        source = (ROOT / "solutions" / "tensors.py").read_text(encoding="utf-8")
        time.sleep(0.2)
        save(folder / "tensors.py", source.replace("return t @ t.T", "return t.T @ t"))
        broken = screen_zh(child, until="▶ tensors")
        assert "▶ tensors" in broken and "[未通过]" in broken
        assert "✗ Gram 矩阵：行与行的点积" in broken and "最大差异" in broken
        assert "11/12 项检查通过" in broken
        child.send("q")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0


def screen_zh(child: pexpect.spawn, until: str = "") -> str:
    return screen(child, until, footer="保存文件就会重新检查 · h 提示 · r 重新运行 · q 退出")
