"""The class report's figures (matplotlib, Agg), drawn from plain numbers: :mod:`blitz.grading.class_report`
computes them, this module only draws. No student text is drawn (names and messages stay in the CSV files).

Each function returns PNG bytes carrying ``blitz:*`` text chunks (blitz:kind, blitz:lang, blitz:title and
the numbers drawn, as JSON), read back with :func:`blitz.course.figures.png_metadata`. Labels are in the
reader's language where a Chinese font is installed, else in English (:func:`blitz.course.figures.figure_lang`).
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from blitz.course import figures
from blitz.course.i18n import Msg, tr, tr_in
from blitz.course.text import points

DPI = 100
BINS = 10
GREY = "#6e6e6e"
LABELS = {
    "passed": tr("passed"),
    "failed": tr("failed"),
    "not_done": tr("not done"),
    "error": tr("error"),
    "crashed": tr("crashed"),
    "timeout": tr("timed out"),
    "missing": tr("file missing"),
    "not_graded": tr("not graded"),
}
COLOURS = {
    "passed": "#2e8b57",
    "failed": "#d62728",
    "not_done": "#c7c7c7",
    "error": "#ff7f0e",
    "crashed": "#8c564b",
    "timeout": "#9467bd",
    "missing": "#e8d19a",
    "not_graded": "#4d4d4d",
}
HATCH = {"not_graded": "//"}


def _png(figure: Figure, kind: str, lang: str, **numbers) -> bytes:
    meta = {"blitz:kind": kind, "blitz:lang": lang, "blitz:title": figure.get_suptitle()}
    meta.update({f"blitz:{k}": json.dumps(v, ensure_ascii=False) for k, v in numbers.items()})
    return figures.png_bytes(figure, meta)


def _nothing(ax, lang: str) -> None:
    ax.text(0.5, 0.5, figures.text_line(tr("no data"), lang), transform=ax.transAxes, ha="center")


# ---------------------------------------------------------------------------------------------- pass rate


def _stacked_bars(ax, rows: Sequence[tuple[str, str, list[int]]], categories: Sequence[str], lang: str) -> None:
    y = np.arange(len(rows))
    students = np.array([max(1, sum(counts)) for _, _, counts in rows], dtype=float)
    left = np.zeros(len(rows))
    for i, name in enumerate(categories):
        share = np.array([counts[i] for _, _, counts in rows], dtype=float) / students * 100
        if share.any():
            label = figures.text_line(LABELS.get(name, Msg(name, name)), lang)
            ax.barh(y, share, left=left, color=COLOURS.get(name, GREY), hatch=HATCH.get(name), label=label, height=0.7)
        left += share
    for i in range(1, len(rows)):  # a line between exercises
        if rows[i][1] != rows[i - 1][1]:
            ax.axhline(i - 0.5, color=GREY, linewidth=0.8)


def pass_rate_png(rows: Sequence[tuple[str, str, list[int]]], categories: Sequence[str], lang: str) -> bytes:
    """One stacked bar per check (key, exercise, counts in `categories` order), top to bottom in the
    given order: the share of students in each category; "passed/students" on the right.
    Metadata blitz:checks: [[key, passed, students], ...]."""
    lang = figures.figure_lang(lang)
    passed_at = list(categories).index("passed")
    with figures.fonts(lang):
        figure = Figure(figsize=(10.0, 2.2 + 0.3 * max(len(rows), 3)), dpi=DPI, layout="constrained")
        ax = figure.add_subplot()
        students = len(rows) and max(sum(counts) for _, _, counts in rows)
        figure.suptitle(figures.title_text(tr("Pass rate per check ({students} students)", students=students), lang))
        if rows:
            _stacked_bars(ax, rows, categories, lang)
            ax.set_yticks(range(len(rows)), [key for key, _, _ in rows], fontsize=8)
            right = ax.twinx()
            right.set_ylim(ax.get_ylim())
            right.set_yticks(range(len(rows)), [f"{c[passed_at]}/{sum(c)}" for _, _, c in rows], fontsize=8)
            right.set_ylabel(figures.text_line(tr("passed / students"), lang))
            ax.invert_yaxis()
            right.invert_yaxis()
            shown = len(ax.get_legend_handles_labels()[0])
            figure.legend(loc="outside lower center", ncol=shown if shown <= 6 else 4, fontsize=8)
        else:
            _nothing(ax, lang)
        ax.set_xlim(0, 100)
        ax.set_xlabel(figures.text_line(tr("% of students"), lang))
    checks = [[key, counts[passed_at], sum(counts)] for key, _, counts in rows]
    return _png(figure, "pass_rate", lang, checks=checks)


# ---------------------------------------------------------------------------------------------- scores


def histogram_bins(max_total: float) -> np.ndarray:
    """BINS equal bins from 0 to the maximum; the last holds the maximum itself."""
    return np.linspace(0.0, max_total if max_total > 0 else 1.0, BINS + 1)


def score_histogram_png(totals: Sequence[float], not_graded: int, max_total: float, lang: str) -> bytes:
    """The graded students' totals in BINS bins, the ungraded drawn apart at 0 (grey, hatched), the
    mean and median of the graded as lines. Metadata: blitz:bins (edges), blitz:graded (count per bin),
    blitz:not_graded (a number)."""
    lang = figures.figure_lang(lang)
    edges = histogram_bins(max_total)
    counts, _ = np.histogram(np.asarray(totals, dtype=float), bins=edges)
    width = edges[1] - edges[0]
    with figures.fonts(lang):
        figure = Figure(figsize=(8.0, 5.0), dpi=DPI, layout="constrained")
        ax = figure.add_subplot()
        graded = figures.text_line(tr_in("legend", "graded"), lang)
        ax.bar(edges[:-1], counts, width=width, align="edge", color=COLOURS["passed"], edgecolor="white", label=graded)
        if not_graded:
            ax.bar(
                [0.0],
                [not_graded],
                width=width,
                align="edge",
                bottom=[counts[0]],
                color=COLOURS["not_graded"],
                hatch=HATCH["not_graded"],
                edgecolor="white",
                label=figures.text_line(LABELS["not_graded"], lang),
            )
        if len(totals):
            for value, name, style in (
                (statistics.fmean(totals), tr("mean"), "--"),
                (statistics.median(totals), tr("median"), ":"),
            ):
                label = f"{figures.text_line(name, lang)} {points(value)}"
                ax.axvline(value, color="black", linestyle=style, linewidth=1.2, label=label)
        if not_graded or len(totals):
            ax.legend(fontsize=9)
        ax.set_xticks(edges, [points(e) for e in edges], fontsize=8)
        ax.set_xlim(edges[0], edges[-1])
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(figures.text_line(tr("total (of {points_max_total})", points_max_total=points(max_total)), lang))
        ax.set_ylabel(figures.text_line(tr("students"), lang))
        title = tr(
            "Scores: {len_totals} graded, {not_graded} not graded", len_totals=len(totals), not_graded=not_graded
        )
        figure.suptitle(figures.title_text(title, lang))
    bins = [round(float(e), 4) for e in edges]
    return _png(figure, "score_histogram", lang, bins=bins, graded=counts.tolist(), not_graded=not_graded)


# ---------------------------------------------------------------------------------------------- time


def time_view_top(times: Sequence[list[float]]) -> float:
    """The top of the time chart's scale: every box and whisker shows, but one looping student (a
    time limit's worth of seconds) does not squash the others to a line. Per exercise, the values up
    to the upper quartile plus three interquartile ranges (at least twice the median) are in view."""
    tops = []
    for s in times:
        if len(s) >= 2:
            q1, _, q3 = statistics.quantiles(s, n=4, method="inclusive")
            fence = max(q3 + 3 * (q3 - q1), 2 * statistics.median(s))
        else:
            fence = max(s)
        tops.append(min(max(s), fence))
    return max(tops, default=1.0) or 1.0


def exercise_time_png(times: Sequence[tuple[str, list[float]]], lang: str) -> bytes:
    """A box plot of the seconds each exercise took, one box per exercise (n students under its name),
    the median written above. Outliers far above the rest (a student who looped until the time limit)
    are not drawn to scale: the chart ends above the others, and says how many are beyond it and the
    largest. Metadata blitz:exercises: [[id, n, median, max, beyond], ...]."""
    lang = figures.figure_lang(lang)
    shown = [(e, s) for e, s in times if s]
    top = time_view_top([s for _, s in shown])
    beyond = [sum(1 for x in s if x > top) for _, s in shown]
    with figures.fonts(lang):
        figure = Figure(figsize=(max(6.0, 1.2 * len(shown) + 2), 5.0), dpi=DPI, layout="constrained")
        ax = figure.add_subplot()
        figure.suptitle(figures.title_text(tr("Time per exercise (seconds)"), lang))
        if shown:
            ax.boxplot([s for _, s in shown], showfliers=True)
            ax.set_xticks(range(1, len(shown) + 1), [f"{e}\n(n={len(s)})" for e, s in shown], fontsize=9)
            for i, (_, s) in enumerate(shown, start=1):
                median = statistics.median(s)
                label = f"{figures.text_line(tr('median'), lang)} {median:.1f}"
                if beyond[i - 1]:
                    more = tr("{beyond_i_1} above (max {max_s:.0f} s)", beyond_i_1=beyond[i - 1], max_s=max(s))
                    label = f"{figures.text_line(more, lang)}\n{label}"
                ax.annotate(
                    label,
                    (i, min(max(s), top)),
                    textcoords="offset points",
                    xytext=(0, 4),
                    ha="center",
                    fontsize=8,
                    color=GREY,
                )
            ax.set_ylim(0, 1.2 * top)  # room for the medians written on top
        else:
            _nothing(ax, lang)
        ax.set_ylabel(figures.text_line(tr("seconds"), lang))
    numbers = [[e, len(s), round(statistics.median(s), 3), round(max(s), 3), n] for (e, s), n in zip(shown, beyond)]
    return _png(figure, "exercise_time", lang, exercises=numbers)
