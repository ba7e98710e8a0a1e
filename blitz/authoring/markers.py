"""Stubs from the solutions: everything between `# BEGIN SOLUTION` and `# END SOLUTION` goes.

Inside a function the region becomes a `raise NotImplementedError(...)` that names the exercise and
how to get a hint; at module level it becomes a comment. Signatures, type hints and docstrings stay.
`blitz generate` writes the files; `stale()` lists generated files that differ from their source,
and a test fails while that list is not empty.
"""

from __future__ import annotations

import re

from blitz.course import registry

BEGIN = re.compile(r"^(?P<indent>[ \t]*)#+ BEGIN SOLUTION\s*$")
END = re.compile(r"^[ \t]*#+ END SOLUTION\s*$")
DEF = re.compile(r"^(?P<indent>[ \t]*)(?:async\s+)?(?:def|class)\s+(?P<name>\w+)")

HEADER = """\
# 练习 / Exercise: {id} — {title_zh} / {title_en}
# 把每个 `raise NotImplementedError(...)` 换成你的代码，然后运行 `blitz check {id}`（或 `pytest autograder -k {id}`）。
# Replace each `raise NotImplementedError(...)` with your code, then run `blitz check {id}` (or `pytest autograder -k {id}`).
# 需要提示 / For a hint: `blitz hint {id}`.
# This file was generated from solutions/{id}.py by `blitz generate`.
"""


class MarkerError(ValueError):
    pass


def stub_message(exercise_id: str, where: str) -> str:
    return (
        f"练习 {exercise_id}.{where} 还没有完成；运行 `blitz hint {exercise_id}` 查看提示。 / "
        f"Exercise {exercise_id}.{where} is not done yet; run `blitz hint {exercise_id}` for a hint."
    )


def _enclosing(lines: list[str], index: int, indent: int) -> str:
    """The qualified name of the def/class around line `index`, e.g. 'CNN.__init__'."""
    names, limit = [], indent
    for line in reversed(lines[:index]):
        match = DEF.match(line)
        if match and len(match.group("indent")) < limit:
            names.append(match.group("name"))
            limit = len(match.group("indent"))
            if limit == 0:
                break
    return ".".join(reversed(names))


def strip_solutions(source: str, exercise_id: str, replacement: str = "stub") -> str:
    """Replace every solution region. replacement="stub" raises; "nbgrader" keeps nbgrader's own markers."""
    lines = source.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        match = BEGIN.match(lines[i])
        if not match:
            if END.match(lines[i]):
                raise MarkerError(f"{exercise_id}: END SOLUTION without BEGIN at line {i + 1}")
            out.append(lines[i])
            i += 1
            continue
        start = i
        i += 1
        while i < len(lines) and not END.match(lines[i]):
            if BEGIN.match(lines[i]):
                raise MarkerError(f"{exercise_id}: nested BEGIN SOLUTION at line {i + 1}")
            i += 1
        if i == len(lines):
            raise MarkerError(f"{exercise_id}: BEGIN SOLUTION at line {start + 1} has no END SOLUTION")
        indent = match.group("indent")
        body = lines[start + 1 : i]
        i += 1
        if replacement == "nbgrader":
            out += [f"{indent}### BEGIN SOLUTION", *body, f"{indent}### END SOLUTION"]
        elif indent:
            where = _enclosing(lines, start, len(indent)) or "?"
            out.append(f"{indent}raise NotImplementedError({stub_message(exercise_id, where)!r})")
        else:
            out.append("# (你可以在这里写自己的辅助代码 / your own helpers may go here)")
    return "\n".join(out) + "\n"


def stub_source(exercise: registry.Exercise) -> str:
    source = exercise.solution_path.read_text(encoding="utf-8")
    header = HEADER.format(id=exercise.id, title_zh=exercise.title.zh, title_en=exercise.title.en)
    return header + strip_solutions(source, exercise.id)
