"""`blitz similar DIR`: which submissions of a class look copied from one another.

DIR is a class folder, one subfolder per student holding their exercise modules (the layout of
`blitz grade`). Each exercise is compared across every pair of students with copydetect's
winnowed fingerprints (the method of MOSS): the code is tokenised first, so renamed variables,
new comments and moved blank lines do not hide a copy. The stub every student was handed
(exercises/<id>.py, made from the reference by `blitz generate`) is boilerplate: its own lines
never count as shared, so two untouched stubs score 0.

A pair's score is the code the two share, as a fraction of the smaller of their own code (stub
lines left out), over every exercise both submitted: 100% means one student's own code is wholly
inside the other's. The exercises are short and some have one natural spelling (`return a * b`),
so a high score is a reason to read the two side by side in the HTML report, never a verdict.

Nothing of the students' code runs: the files are only read (symlinks and files over 1 MB are
skipped). Student names are escaped in the HTML report and in the terminal table, and their code
in the report.
"""

from __future__ import annotations

import argparse
import html
import importlib.util
import io
import sys
from dataclasses import dataclass, field
from pathlib import Path

from blitz.course import registry
from blitz.course.i18n import Msg, chosen_lang
from blitz.course.text import clip, display_width, pad, terminal

MAX_BYTES = 1 << 20  # a file larger than this is no exercise module
NOISE = 25  # copydetect's default: matches shorter than this many tokenised characters are noise
FLAG = 0.5  # pairs at or above this score are highlighted in the report


@dataclass
class Shared:
    """What two students' files of one exercise share."""

    exercise: str
    tokens: int  # shared tokenised characters
    own: int  # the smaller of the two files' own (non-stub) tokenised characters
    slices: tuple = ()  # copydetect's copied slices in (file a, file b)


@dataclass
class Pair:
    a: str
    b: str
    parts: list[Shared] = field(default_factory=list)

    @property
    def score(self) -> float:
        own = sum(p.own for p in self.parts)
        return min(1.0, sum(p.tokens for p in self.parts) / own) if own else 0.0


def class_files(folder: Path, exercises: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """{student: {exercise: source}} for every subfolder holding at least one exercise module."""
    students: dict[str, dict[str, str]] = {}
    for sub in sorted(folder.iterdir()):
        if sub.is_symlink() or not sub.is_dir() or sub.name.startswith((".", "__")):
            continue
        files = {}
        for exercise in exercises:
            path = sub / f"{exercise}.py"
            if path.is_file() and not path.is_symlink() and path.stat().st_size <= MAX_BYTES:
                files[exercise] = path.read_text(encoding="utf-8", errors="replace")
        if files:
            students[sub.name] = files
    return students


def _fingerprint(source: str, boilerplate=None):
    from copydetect import CodeFingerprint

    # The name only picks the Python tokenizer; the text comes from `fp`.
    return CodeFingerprint("module.py", NOISE, 1, boilerplate=boilerplate, fp=io.StringIO(source))


def compare(students: dict[str, dict[str, str]], exercises: tuple[str, ...]) -> list[Pair]:
    """Every pair of students, most similar first."""
    import numpy as np
    from copydetect import compare_files

    from blitz.authoring.markers import stub_source

    names = sorted(students)
    pairs = {(a, b): Pair(a, b) for i, a in enumerate(names) for b in names[i + 1 :]}
    for exercise in exercises:
        stub = _fingerprint(stub_source(registry.get(exercise)))
        boilerplate = np.array(sorted(stub.hashes))
        prints = {s: _fingerprint(files[exercise], boilerplate) for s, files in students.items() if exercise in files}
        for (a, b), pair in pairs.items():
            if a in prints and b in prints:
                fa, fb = prints[a], prints[b]
                tokens, _, slices = compare_files(fa, fb)
                own = int(min(fa.token_coverage, fb.token_coverage))
                pair.parts.append(Shared(exercise, int(tokens), own, slices if tokens else ()))
    return sorted(pairs.values(), key=lambda p: (-p.score, p.a, p.b))


def table(pairs: list[Pair], top: int, lang: str) -> str:
    """The terminal table of the `top` most similar pairs."""
    shown = pairs[:top]
    width = min(24, max([7] + [display_width(terminal(n)) for p in shown for n in (p.a, p.b)]))
    head = f"{pad('student', width)}  {pad('student', width)}  {'similar':>7}  exercises"
    lines = [head, "-" * len(head)]
    for p in shown:
        detail = ", ".join(f"{s.exercise} {s.tokens / s.own:.0%}" for s in p.parts if s.own and s.tokens)
        a, b = (clip(terminal(n), width) for n in (p.a, p.b))
        lines.append(f"{pad(a, width)}  {pad(b, width)}  {p.score:>7.0%}  {detail or '-'}")
    if not shown:
        lines.append(
            Msg("（不到两份提交，没有可比较的）", "(fewer than two submissions: nothing to compare)").render(lang)
        )
    return "\n".join(lines)


STYLE = """body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;
padding:.3em .6em}tr.flag{background:#fdd}pre{background:#f6f6f6;padding:.5em;overflow-x:auto;font-size:85%}
mark{background:#fb8}.side{display:grid;grid-template-columns:1fr 1fr;gap:1em}"""


def _code(source: str, slices) -> str:
    if len(slices) and slices.shape[1]:
        from copydetect.utils import highlight_overlap

        marked, _ = highlight_overlap(source, slices, "<mark>", "</mark>", escape_html=True)
        return marked
    return html.escape(source)


def html_report(pairs: list[Pair], students: dict[str, dict[str, str]], lang: str) -> str:
    """One self-contained page: the ranked pairs, then the flagged pairs' shared code side by side."""

    def e(text: str) -> str:
        return html.escape(terminal(text))

    title = Msg("提交之间的相似度", "Similarity between submissions").render(lang)
    rows = []
    for rank, p in enumerate(pairs, 1):
        per = ", ".join(f"{s.exercise} {s.tokens / s.own:.0%}" for s in p.parts if s.own and s.tokens) or "-"
        flag = ' class="flag"' if p.score >= FLAG else ""
        link = f'<a href="#pair{rank}">{p.score:.0%}</a>' if p.score >= FLAG else f"{p.score:.0%}"
        rows.append(f"<tr{flag}><td>{rank}</td><td>{e(p.a)}</td><td>{e(p.b)}</td><td>{link}</td><td>{e(per)}</td></tr>")
    details = []
    for rank, p in enumerate(pairs, 1):
        if p.score < FLAG:
            continue
        details.append(f'<h2 id="pair{rank}">{rank}. {e(p.a)} &harr; {e(p.b)}: {p.score:.0%}</h2>')
        for s in p.parts:
            if not s.tokens:
                continue
            left = _code(students[p.a][s.exercise], s.slices[0])
            right = _code(students[p.b][s.exercise], s.slices[1])
            details.append(
                f"<h3>{e(s.exercise)}.py: {s.tokens / s.own:.0%}</h3><div class='side'>"
                f"<div><b>{e(p.a)}</b><pre>{left}</pre></div><div><b>{e(p.b)}</b><pre>{right}</pre></div></div>"
            )
    explain = Msg(
        "分数 = 两人共有的代码占较少一方自己代码（去掉发下去的模板）的比例，按两人都交了的练习合计。"
        "练习很短，有的只有一种自然写法；高分只是说明值得并排读一读，不是结论。",
        "Score: the code two students share, as a fraction of the smaller one's own code (the stub they were "
        "given left out), over the exercises both submitted. The exercises are short and some have one natural "
        "spelling: a high score says to read the two side by side, not that one copied.",
    ).render(lang)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>blitz similar</title><style>{STYLE}</style>"
        f"</head><body><h1>{e(title)}</h1><p>{e(explain)}</p>"
        "<p>copydetect (winnowing, MOSS's method), noise threshold "
        f"{NOISE}; {len(students)} submissions, {len(pairs)} pairs; flagged at {FLAG:.0%}.</p>"
        "<table><tr><th>#</th><th>student</th><th>student</th><th>similar</th><th>per exercise</th></tr>"
        + "".join(rows)
        + "</table>"
        + "".join(details)
        + "</body></html>\n"
    )


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "similar",
        help="find near-identical submissions (instructors) / 找出几乎相同的提交",
        description="Find near-identical submissions / 找出几乎相同的提交。\n\n" + __doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("dir", metavar="DIR", help="a class folder: one subfolder per student")
    p.add_argument("--out", default="blitz-similarity.html", help="the HTML report (default: ./blitz-similarity.html)")
    p.add_argument("--top", type=int, default=10, help="pairs shown on the terminal (default 10)")
    p.add_argument("--exercises", default=None, help="comma-separated exercise ids (default: every module)")
    p.set_defaults(func=run)


def _fail(zh: str, en: str) -> int:
    print(Msg(f"blitz similar: {zh}", f"blitz similar: {en}").render(chosen_lang()), file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    lang = chosen_lang()
    ids = tuple(e.id for e in registry.MODULE_EXERCISES)
    if args.exercises:
        chosen = [x.strip() for x in args.exercises.split(",") if x.strip()]
        unknown = [x for x in chosen if x not in ids]
        if unknown or not chosen:
            return _fail(
                f"未知的练习：{', '.join(unknown) or '(空)'}", f"unknown exercise: {', '.join(unknown) or '(none)'}"
            )
        ids = tuple(x for x in ids if x in chosen)
    folder = Path(args.dir).expanduser()
    if not folder.is_dir():
        return _fail(f"{folder} 不是文件夹。", f"{folder} is not a folder.")
    if args.top < 0:
        return _fail("--top 不能是负数。", "--top must not be negative.")
    if importlib.util.find_spec("copydetect") is None:
        return _fail(
            "需要 copydetect：pip install 'blitz[instructor]'（或 pip install copydetect）。",
            "needs copydetect: pip install 'blitz[instructor]' (or pip install copydetect).",
        )
    students = class_files(folder, ids)
    pairs = compare(students, ids)
    out = Path(args.out).expanduser()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(html_report(pairs, students, lang), encoding="utf-8")
    except OSError as exc:
        return _fail(f"无法写入 {out}：{exc.strerror}", f"cannot write {out}: {exc.strerror}")
    print(table(pairs, args.top, lang))
    print(
        Msg(
            f"{len(students)} 份提交，{len(pairs)} 对；报告：{out}",
            f"{len(students)} submissions, {len(pairs)} pairs; report: {out}",
        ).render(lang)
    )
    return 0
