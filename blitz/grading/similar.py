"""`blitz similar DIR`: which submissions of a class look copied, from one another or from the reference.

DIR is a class folder, one subfolder per student holding their exercise modules (the layout of
`blitz grade`); a course notebook (`<id>.ipynb`) stands in for a missing `<id>.py`, its code cells
compared (the kit's check cells left out). Each exercise is compared across every pair of students
with copydetect's winnowed fingerprints (the method of MOSS): the code is tokenised first, so renamed
variables, new comments and moved blank lines do not hide a copy.

Known text is boilerplate, never evidence between two students: the stub and the notebook every
student was handed, the reference solution (public in the kit's repository, so every copy of it
would match every other), and whatever `--base` names (a file `<id>.py`/`<id>.ipynb`, or a folder of
them: a textbook's code, last year's handout). So two untouched stubs score 0, and two students who
both typed in the reference share nothing of their own. How much of a student's own code is the
reference is measured on its own, per exercise, and a student at or above the flag is listed apart.

A pair's score is the code the two share, as a fraction of the smaller of their own code (known
text left out), over every exercise both submitted: 100% means one student's own code is wholly
inside the other's; no figure exceeds 100%. The exercises are short and some have one natural
spelling (`return a * b`), so a high score is a reason to read the two side by side in the HTML
report, never a verdict.

Nothing of the students' code runs: the files are only read, by lstat (links, FIFOs and files over
the size caps are skipped). Student names are escaped in the HTML report and in the terminal
table, and their code in the report.
"""

from __future__ import annotations

import argparse
import html
import importlib.util
import io
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from blitz.course import registry
from blitz.course.i18n import Msg, chosen_lang, tr
from blitz.course.text import clip, display_width, pad, terminal
from blitz.execution import files
from blitz.grading.notebook_submission import NOTEBOOK_BYTES, NotANotebook, notebook_code

MAX_BYTES = 1 << 20  # a file larger than this is no exercise module
NOISE = 25  # copydetect's default: matches shorter than this many tokenised characters are noise
FLAG = 0.5  # pairs (and shares of the reference) at or above this are highlighted in the report
# An answer region of the course's source notebook, and what nbgrader's release puts in its place.
_SOLUTION = re.compile(r"### BEGIN SOLUTION.*?### END SOLUTION", re.S)
_RELEASED = "# YOUR CODE HERE\nraise NotImplementedError()"


@dataclass(frozen=True)
class Source:
    """One exercise of one student: the code compared, and the file it came from."""

    text: str
    file: str


@dataclass
class Shared:
    """What two students' files of one exercise share (or a student's file and the reference)."""

    exercise: str
    tokens: int  # shared tokenised characters, counted in the file with less code of its own
    own: int  # the smaller of the two files' own (non-boilerplate) tokenised characters
    slices: tuple = ()  # copydetect's copied slices in (file a, file b)

    @property
    def share(self) -> float:
        return min(1.0, self.tokens / self.own) if self.own else 0.0


@dataclass
class Pair:
    a: str
    b: str
    parts: list[Shared] = field(default_factory=list)

    @property
    def score(self) -> float:
        own = sum(p.own for p in self.parts)
        return min(1.0, sum(p.tokens for p in self.parts) / own) if own else 0.0


@dataclass
class FromReference:
    """How much of one student's own code (the handed-out text left out) is the reference's."""

    student: str
    parts: list[Shared] = field(default_factory=list)

    @property
    def score(self) -> float:
        own = sum(p.own for p in self.parts)
        return min(1.0, sum(p.tokens for p in self.parts) / own) if own else 0.0


def _read_file(path: Path) -> Source | None:
    """A module, or a notebook's code cells, read by lstat within the caps; None if it cannot be."""
    try:
        if path.suffix == ".ipynb":
            return Source(notebook_code(files.read_regular(path, NOTEBOOK_BYTES)), path.name)
        return Source(files.read_regular(path, MAX_BYTES).decode("utf-8", errors="replace"), path.name)
    except (files.UnsafeFile, NotANotebook):
        return None


def _read(folder: Path, exercise: str) -> Source | None:
    """`<id>.py`, else the code cells of `<id>.ipynb`."""
    return _read_file(folder / f"{exercise}.py") or _read_file(folder / f"{exercise}.ipynb")


def class_files(folder: Path, exercises: tuple[str, ...]) -> dict[str, dict[str, Source]]:
    """{student: {exercise: source}} for every subfolder holding at least one exercise module or notebook."""
    students: dict[str, dict[str, Source]] = {}
    for sub in sorted(folder.iterdir()):
        if sub.is_symlink() or not sub.is_dir() or sub.name.startswith((".", "__")):
            continue
        found = {e: src for e in exercises if (src := _read(sub, e)) is not None}
        if found:
            students[sub.name] = found
    return students


def handed_out(exercise: str, base: tuple[Path, ...] = ()) -> list[str]:
    """The text every student had before writing a line: the stub, the released notebook's code, and
    what `--base` names for this exercise (a folder's `<id>.py`/`<id>.ipynb`, or such a file)."""
    from blitz.authoring.markers import stub_source

    entry = registry.get(exercise)
    notebook = _read_file(entry.notebook_path)  # the course's source notebook: its answers are cut out
    found: list[Source | None] = [Source(_SOLUTION.sub(_RELEASED, notebook.text), notebook.file)] if notebook else []
    for path in base:
        if path.is_dir():
            found += [_read_file(path / f"{exercise}.py"), _read_file(path / f"{exercise}.ipynb")]
        elif path.stem == exercise:
            found.append(_read_file(path))
    return [stub_source(entry)] + [src.text for src in found if src is not None]


def reference_text(exercise: str) -> str | None:
    """The reference solution's code (None in a student release, which has none)."""
    path = registry.get(exercise).solution_path
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _fingerprint(source: str, boilerplate=None):
    from copydetect import CodeFingerprint

    # The name only picks the Python tokenizer; the text comes from `fp`.
    return CodeFingerprint("module.py", NOISE, 1, boilerplate=boilerplate, fp=io.StringIO(source))


def _hashes(texts: list[str]):
    import numpy as np

    return np.array(sorted({h for t in texts for h in _fingerprint(t).hashes}))


def _shared(exercise: str, fa, fb) -> Shared:
    """What two fingerprints share, counted in the one with less own code, so never above 100%."""
    from copydetect import compare_files

    tokens, (sim_a, sim_b), slices = compare_files(fa, fb)
    own = int(min(fa.token_coverage, fb.token_coverage))
    if not tokens or not own:
        return Shared(exercise, 0, own)
    counted = sim_a * fa.token_coverage if fa.token_coverage <= fb.token_coverage else sim_b * fb.token_coverage
    return Shared(exercise, int(min(own, round(counted))), own, slices)


def compare(
    students: dict[str, dict[str, Source]], exercises: tuple[str, ...], base: tuple[Path, ...] = ()
) -> list[Pair]:
    """Every pair of students, most similar first; known text (handed out, the reference) left out."""
    names = sorted(students)
    pairs = {(a, b): Pair(a, b) for i, a in enumerate(names) for b in names[i + 1 :]}
    for exercise in exercises:
        reference = reference_text(exercise)
        known = _hashes(handed_out(exercise, base) + ([reference] if reference else []))
        prints = {s: _fingerprint(f[exercise].text, known) for s, f in students.items() if exercise in f}
        for (a, b), pair in pairs.items():
            if a in prints and b in prints:
                pair.parts.append(_shared(exercise, prints[a], prints[b]))
    return sorted(pairs.values(), key=lambda p: (-p.score, p.a, p.b))


def from_reference(
    students: dict[str, dict[str, Source]], exercises: tuple[str, ...], base: tuple[Path, ...] = ()
) -> list[FromReference]:
    """Each student's share of reference code, as a fraction of their own code (handed-out text left
    out), highest first. Empty where the reference is not at hand (a student release)."""
    from copydetect import compare_files

    found = {s: FromReference(s) for s in students}
    for exercise in exercises:
        reference = reference_text(exercise)
        if reference is None:
            continue
        known = _hashes(handed_out(exercise, base))
        ref = _fingerprint(reference, known)
        for student, f in students.items():
            if exercise in f:
                mine = _fingerprint(f[exercise].text, known)
                own = int(mine.token_coverage)
                tokens, (share, _), slices = compare_files(mine, ref)
                counted = int(min(own, round(share * own))) if tokens else 0
                found[student].parts.append(Shared(exercise, counted, own, slices if counted else ()))
    return sorted(found.values(), key=lambda r: (-r.score, r.student))


def _per_exercise(parts: list[Shared]) -> str:
    return ", ".join(f"{s.exercise} {s.share:.0%}" for s in parts if s.tokens) or "-"


def table(pairs: list[Pair], top: int, lang: str) -> str:
    """The terminal table of the `top` most similar pairs (those sharing nothing are not shown)."""
    shown = [p for p in pairs[:top] if p.score > 0]
    width = min(24, max([7] + [display_width(terminal(n)) for p in shown for n in (p.a, p.b)]))
    head = f"{pad('student', width)}  {pad('student', width)}  {'similar':>7}  exercises"
    lines = [head, "-" * len(head)]
    for p in shown:
        a, b = (clip(terminal(n), width) for n in (p.a, p.b))
        lines.append(f"{pad(a, width)}  {pad(b, width)}  {p.score:>7.0%}  {_per_exercise(p.parts)}")
    if not shown:
        lines.append(tr("(no two submissions share code of their own)").render(lang))
    return "\n".join(lines)


def reference_table(found: list[FromReference], top: int, lang: str) -> str:
    """The students whose own code is mostly the reference's (at or above the flag), highest first."""
    flagged = [r for r in found if r.score >= FLAG][:top]
    if not flagged:
        return tr("No submission is mostly the reference solution.").render(lang)
    width = min(24, max([7] + [display_width(terminal(r.student)) for r in flagged]))
    title = tr("Submissions that are mostly the reference solution:").render(lang)
    head = f"{pad('student', width)}  {'reference':>9}  exercises"
    lines = [title, head, "-" * len(head)]
    for r in flagged:
        lines.append(f"{pad(clip(terminal(r.student), width), width)}  {r.score:>9.0%}  {_per_exercise(r.parts)}")
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


def _e(text: str) -> str:
    return html.escape(terminal(text))


def _pair_rows(pairs: list[Pair]) -> list[str]:
    """The ranked pairs, one table row each."""
    rows = []
    for rank, p in enumerate(pairs, 1):
        flag = ' class="flag"' if p.score >= FLAG else ""
        link = f'<a href="#pair{rank}">{p.score:.0%}</a>' if p.score >= FLAG else f"{p.score:.0%}"
        rows.append(
            f"<tr{flag}><td>{rank}</td><td>{_e(p.a)}</td><td>{_e(p.b)}</td><td>{link}</td>"
            f"<td>{_e(_per_exercise(p.parts))}</td></tr>"
        )
    return rows


def _pair_details(pairs: list[Pair], students: dict[str, dict[str, Source]]) -> list[str]:
    """The flagged pairs' shared code, side by side."""
    details = []
    for rank, p in enumerate(pairs, 1):
        if p.score < FLAG:
            continue
        details.append(f'<h2 id="pair{rank}">{rank}. {_e(p.a)} &harr; {_e(p.b)}: {p.score:.0%}</h2>')
        for s in p.parts:
            if not s.tokens:
                continue
            left, right = students[p.a][s.exercise], students[p.b][s.exercise]
            details.append(
                f"<h3>{_e(s.exercise)}: {s.share:.0%}</h3><div class='side'>"
                f"<div><b>{_e(p.a)}</b> ({_e(left.file)})<pre>{_code(left.text, s.slices[0])}</pre></div>"
                f"<div><b>{_e(p.b)}</b> ({_e(right.file)})<pre>{_code(right.text, s.slices[1])}</pre></div></div>"
            )
    return details


def _reference_section(found: list[FromReference], students: dict[str, dict[str, Source]], lang: str) -> str:
    flagged = [r for r in found if r.score >= FLAG]
    title = tr("Submissions that are mostly the reference solution").render(lang)
    if not flagged:
        none = tr("None.").render(lang)
        return f"<h2>{_e(title)}</h2><p>{_e(none)}</p>"
    rows = "".join(
        f"<tr class='flag'><td>{_e(r.student)}</td><td>{r.score:.0%}</td><td>{_e(_per_exercise(r.parts))}</td></tr>"
        for r in flagged
    )
    code = []
    for r in flagged:
        for s in r.parts:
            if s.tokens:
                src = students[r.student][s.exercise]
                code.append(
                    f"<h3>{_e(r.student)}: {_e(src.file)}, {s.share:.0%}</h3><pre>{_code(src.text, s.slices[0])}</pre>"
                )
    return (
        f"<h2>{_e(title)}</h2><table><tr><th>student</th><th>reference</th><th>per exercise</th></tr>{rows}</table>"
        + "".join(code)
    )


def html_report(
    pairs: list[Pair], found: list[FromReference], students: dict[str, dict[str, Source]], lang: str
) -> str:
    """One self-contained page: the ranked pairs, the students mostly made of the reference, then the
    flagged pairs' shared code side by side."""
    title = tr("Similarity between submissions").render(lang)
    rows = _pair_rows(pairs)
    explain = tr(
        "Score: the code two students share, as a fraction of the smaller one's own code, over the exercises both submitted; the stub, the notebook they were given and the reference solution are known text and never count as shared. The exercises are short and some have one natural spelling: a high score says to read the two side by side, not that one copied."
    ).render(lang)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>blitz similar</title><style>{STYLE}</style>"
        f"</head><body><h1>{_e(title)}</h1><p>{_e(explain)}</p>"
        "<p>copydetect (winnowing, MOSS's method), noise threshold "
        f"{NOISE}; {len(students)} submissions, {len(pairs)} pairs; flagged at {FLAG:.0%}.</p>"
        "<table><tr><th>#</th><th>student</th><th>student</th><th>similar</th><th>per exercise</th></tr>"
        + "".join(rows)
        + "</table>"
        + _reference_section(found, students, lang)
        + "".join(_pair_details(pairs, students))
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
    p.add_argument(
        "--base",
        action="append",
        default=[],
        metavar="PATH",
        help="more known text, never counted as shared: a file <id>.py or <id>.ipynb, or a folder of them "
        "(repeatable; the stubs, the notebooks and the reference are always known)",
    )
    p.set_defaults(func=run)


def _fail(msg: Msg) -> int:
    print(tr("blitz similar: {en}", en=msg.en, zh=msg.zh).render(chosen_lang()), file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    lang = chosen_lang()
    ids = tuple(e.id for e in registry.MODULE_EXERCISES)
    if args.exercises:
        chosen = [x.strip() for x in args.exercises.split(",") if x.strip()]
        unknown = [x for x in chosen if x not in ids]
        if unknown or not chosen:
            return _fail(
                tr(
                    "unknown exercise: {join_unknown_or_none}",
                    join_unknown_or_none=", ".join(unknown) or "(none)",
                    join_unknown_or_空=", ".join(unknown) or "(空)",
                )
            )
        ids = tuple(x for x in ids if x in chosen)
    folder = Path(args.dir).expanduser()
    if not folder.is_dir():
        return _fail(tr("{folder} is not a folder.", folder=folder))
    if args.top < 0:
        return _fail(tr("--top must not be negative."))
    if importlib.util.find_spec("copydetect") is None:
        return _fail(
            tr("needs copydetect: pip install 'blitz[instructor]' (or pip install copydetect)."),
        )
    students = class_files(folder, ids)
    base = tuple(Path(b).expanduser() for b in args.base)
    missing = [str(b) for b in base if not b.exists()]
    if missing:
        return _fail(tr("--base does not exist: {join_missing}", join_missing=", ".join(missing)))
    pairs = compare(students, ids, base)
    found = from_reference(students, ids, base)
    out = Path(args.out).expanduser()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(html_report(pairs, found, students, lang), encoding="utf-8")
    except OSError as exc:
        return _fail(tr("cannot write {out}: {exc_strerror}", out=out, exc_strerror=exc.strerror))
    print(table(pairs, args.top, lang))
    print()
    print(reference_table(found, args.top, lang))
    print(
        tr(
            "{len_students} submissions, {len_pairs} pairs; report: {out}",
            len_students=len(students),
            len_pairs=len(pairs),
            out=out,
        ).render(lang)
    )
    return 0
