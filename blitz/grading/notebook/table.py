"""What `blitz course-autograde` prints: the gradebook's score table and the class report."""

from __future__ import annotations

from pathlib import Path

from blitz.course.i18n import tr
from blitz.engine.results import SubmissionResult


def score_table(root: Path, status: dict[str, str]) -> str:
    """Every student in the course's gradebook: each assignment's score, the total and the maximum,
    and what this run did for them (read back from nbgrader's database, as `nbgrader export` does)."""
    from nbgrader.api import Gradebook, MissingEntry

    from blitz.course import registry
    from blitz.course.text import display_width, pad, terminal

    order = {e.id: i for i, e in enumerate(registry.EXERCISES)}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        assignments = sorted(gb.assignments, key=lambda a: (order.get(a.name, len(order)), a.name))
        names = [a.name for a in assignments]
        maximum = sum(a.max_score for a in assignments)
        rows = []
        for student in sorted(gb.students, key=lambda s: s.id):
            cells = []
            for a in assignments:
                try:
                    cells.append(gb.find_submission(a.name, student.id).score)
                except MissingEntry:
                    cells.append(None)
            rows.append((student.id, cells))
    width = max([7] + [display_width(terminal(sid)[:24]) for sid, _ in rows])
    head = f"{pad('student', width)} " + " ".join(f"{n[:9]:>9}" for n in names)
    head += f" {'total / max':>17}"
    lines = [head, "-" * len(head)]
    for student, cells in rows:
        scores = " ".join(f"{c:>9.2f}" if c is not None else f"{'-':>9}" for c in cells)
        total = sum(c for c in cells if c is not None)
        state = status.get(student, "")
        lines.append(
            f"{pad(terminal(student)[:24], width)} {scores} {total:>8.2f} / {maximum:<6.2f} {terminal(state)}".rstrip()
        )
    return "\n".join(lines)


def class_report(root: Path, assignment: str, records: list[SubmissionResult]) -> None:
    """The class report of the kit's records, as `blitz grade` writes it; never a reason to fail the run."""
    from blitz.course.i18n import chosen_lang
    from blitz.grading.class_report import FOLDER, summary_text, write_class_report
    from blitz.grading.names import terminal

    if not records:
        return
    lang = chosen_lang()
    out = root / "blitz-reports" / assignment
    print()
    print(summary_text(records, lang))
    try:
        written = write_class_report(records, out, lang)
    except Exception as exc:  # noqa: BLE001 - e.g. a broken matplotlib: the grades stand
        why = terminal(f"{type(exc).__name__}: {exc}")
        print(tr("The class report could not be written ({why}); the grades stand.", why=why).render())
        return
    names = ", ".join(written)
    print(tr("class report: {out_folder}/ ({names})", out_folder=out / FOLDER, names=names).render())
