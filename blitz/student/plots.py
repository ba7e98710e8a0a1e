"""The report's figures, drawn with matplotlib (Agg, no window): the loss curve and the grid of
misclassified digits.

Titles and labels are in the student's language (zh, en, or both) when a font with Chinese glyphs is
installed (:func:`cjk_font`); without one they are in English and :func:`font_note` says which
package to install. Each PNG carries ``blitz:*`` text chunks (read them with :func:`png_metadata`), so
tests and tools can check what was drawn without reading pixels; the ``build_*`` functions return the
:class:`~matplotlib.figure.Figure` itself for the same purpose.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import SupportsInt

import numpy as np
from matplotlib.figure import Figure

from blitz.course import figures
from blitz.course.figures import CJK_FILE_HINTS, FONT_PACKAGE, cjk_font, png_metadata  # noqa: F401 - re-exported
from blitz.course.i18n import Msg, tr

__all__ = [
    "cjk_font",
    "figure_lang",
    "font_note",
    "build_loss_figure",
    "build_grid_figure",
    "draw_loss_curve",
    "draw_misclassified_grid",
    "png_metadata",
]

DPI = 100
LOSS_SIZE = (8.0, 5.0)  # inches: 800 x 500 pixels at DPI
SMOOTH_ABOVE = 50  # a running mean helps only once there are enough noisy points
MARKERS_UP_TO = 50  # few points: mark each so a short run still reads as data
EPOCH_LABELS_UP_TO = 12  # more epochs than this: boundaries only, no "epoch k" over each
RAW_ALONE, RAW_UNDER_MEAN, MEAN = "#1f77b4", "#a0c4e4", "#d65a0a"
EPOCH_SHADE, EPOCH_LINE = "#f2f2f2", "#b0b0b0"
TRUE_GREEN, PRED_RED, GREY = "#006e28", "#c81414", "#6e6e6e"
# The grid, in inches: cell i (row-major) has its digit, DIGIT_INCHES square, at the top of a cell
# CELL_WIDTH wide, one CAPTION_LINE per language under it, then CELL_GAP; the title takes TITLE_LINE a line.
DIGIT_INCHES, CELL_WIDTH, CAPTION_LINE, CELL_GAP = 1.0, 1.1, 0.2, 0.12
MARGIN, TITLE_LINE = 0.1, 0.3
DIGIT_SIDE = 28


# --- fonts and language (blitz.course.figures, shared with the instructors' class report) -------

figure_lang = figures.figure_lang
_text = figures.text_line
_title = figures.title_text
_fonts = figures.fonts
_save = figures.save_png


def font_note(lang: str) -> Msg | None:
    """What to install for Chinese figures, when the student reads Chinese and no font has the glyphs."""
    missing = figures.font_missing(lang)
    if missing is None:
        return None
    return tr("Note: ") + missing + tr(" and run blitz report again.")


# --- loss curve ---------------------------------------------------------------------------------


def _running_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Centred mean over up to `window` points; near the ends the window shrinks on both sides
    alike, so a falling curve is not pulled down (or lagged) at its start."""
    sums = np.concatenate([[0.0], np.cumsum(values)])
    idx = np.arange(len(values))
    half = np.minimum(window // 2, np.minimum(idx, len(values) - 1 - idx))
    return (sums[idx + half + 1] - sums[idx - half]) / (2 * half + 1)


def _epoch_spans(epoch_starts: Sequence[int], points: int) -> list[tuple[int, int]]:
    """(first, last + 1) batch of each epoch that has batches."""
    starts = sorted({min(max(int(s), 0), points) for s in epoch_starts} | {0})
    ends = starts[1:] + [points]
    return [(s, e) for s, e in zip(starts, ends) if e > s]


def _draw_epochs(ax, spans: list[tuple[int, int]], lang: str) -> None:
    """Every other epoch shaded, a dashed line where each new one starts, "epoch k" along the top."""
    for k, (start, end) in enumerate(spans):
        if k % 2 == 1:
            ax.axvspan(start - 0.5, end - 0.5, color=EPOCH_SHADE, zorder=0, linewidth=0)
        if k > 0:
            ax.axvline(start - 0.5, color=EPOCH_LINE, linestyle="--", linewidth=1, zorder=1)
        if len(spans) > 1 and len(spans) <= EPOCH_LABELS_UP_TO:
            # Narrow spans get the number alone; the x label says what the numbers are.
            name = _text(tr("epoch {k_1}", k_1=k + 1), lang) if len(spans) <= 4 else str(k + 1)
            ax.text(
                (start + end - 1) / 2,
                0.98,
                name,
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="top",
                color=GREY,
                fontsize=9,
            )


def _draw_series(ax, values: np.ndarray, lang: str) -> None:
    """The raw curve (broken at NaN/inf), markers for short runs, a running mean for long ones."""
    finite = np.flatnonzero(np.isfinite(values))
    smooth = len(finite) > SMOOTH_ABOVE
    shown = np.where(np.isfinite(values), values, np.nan)
    ax.plot(
        np.arange(len(values)),
        shown,
        color=RAW_UNDER_MEAN if smooth else RAW_ALONE,
        linewidth=1 if smooth else 1.8,
        marker="o" if len(finite) <= MARKERS_UP_TO else None,
        markersize=4,
        label=_text(tr("loss per batch"), lang),
    )
    if smooth:
        window = max(5, len(finite) // 25)
        ax.plot(
            finite,
            _running_mean(values[finite], window),
            color=MEAN,
            linewidth=2,
            label=_text(tr("running mean of {window}", window=window), lang),
        )
        ax.legend(loc="upper right", bbox_to_anchor=(1, 0.92), fontsize=9, framealpha=0.9)  # under "epoch k"


def _loss_title(values: np.ndarray, epochs: int, lang: str) -> str:
    title = tr(
        "Training loss per batch ({epochs} epoch{s_if_epochs_1_else}, {len_values} batches",
        epochs=epochs,
        s_if_epochs_1_else="s" if epochs != 1 else "",
        len_values=len(values),
    )
    skipped = int(np.sum(~np.isfinite(values)))
    if skipped:
        title += tr(", skipped {skipped} NaN/inf", skipped=skipped)
    return _title(title + tr(")"), lang)


def build_loss_figure(losses: Sequence[float], epoch_starts: Sequence[int] = (0,), lang: str = "en") -> Figure:
    """`losses` (one per batch) against the batch number, each epoch shaded or marked off.

    `epoch_starts`: the index of each epoch's first batch. NaN and inf are left out (the curve
    breaks there, and the title says how many). Over SMOOTH_ABOVE points a running mean is drawn
    on top of the pale raw curve. The figure's language is :func:`figure_lang` of `lang`.
    """
    lang = figure_lang(lang)
    values = np.array([float(v) for v in losses], dtype=np.float64)
    spans = _epoch_spans(epoch_starts, len(values))
    with _fonts(lang):
        figure = Figure(figsize=LOSS_SIZE, dpi=DPI, layout="constrained")
        ax = figure.add_subplot()
        ax.grid(axis="y", color="#e4e4e4", linewidth=0.8)
        ax.set_axisbelow(True)
        _draw_epochs(ax, spans, lang)
        finite = values[np.isfinite(values)]
        if len(finite):
            _draw_series(ax, values, lang)
            note = tr("last {finite_1:.4g} · min {finite_min:.4g}", finite_1=finite[-1], finite_min=finite.min())
            ax.set_title(_text(note, lang), loc="right", fontsize=9, color=GREY)
        else:
            empty = tr("no finite values to plot") if len(values) else tr("no data")
            ax.text(0.5, 0.5, _text(empty, lang), transform=ax.transAxes, ha="center", va="center", color=GREY)
        if len(values):
            ax.set_xlim(-0.5 - 0.01 * len(values), len(values) - 0.5 + 0.01 * len(values))
        figure.suptitle(_loss_title(values, max(len(spans), 1), lang))
        ax.set_xlabel(_text(tr("batch"), lang))
        ax.set_ylabel(_text(tr("loss"), lang))
    return figure


def draw_loss_curve(
    losses: Sequence[float], path: str | os.PathLike, epoch_starts: Sequence[int] = (0,), lang: str = "en"
) -> Path:
    """Save :func:`build_loss_figure` as an 800x500 PNG. Metadata: blitz:kind="loss_curve",
    blitz:points, blitz:first, blitz:last (repr of the floats; "" when empty), blitz:epoch_starts
    (JSON), blitz:lang (the language drawn), blitz:title. Returns the path written."""
    figure = build_loss_figure(losses, epoch_starts, lang)
    values = [float(v) for v in losses]
    meta = {
        "blitz:kind": "loss_curve",
        "blitz:points": str(len(values)),
        "blitz:first": repr(values[0]) if values else "",
        "blitz:last": repr(values[-1]) if values else "",
        "blitz:epoch_starts": json.dumps([s for s, _ in _epoch_spans(epoch_starts, len(values))]),
        "blitz:lang": figure_lang(lang),
        "blitz:title": figure.get_suptitle(),
    }
    return _save(figure, path, meta)


# --- misclassified grid -------------------------------------------------------------------------


def _as_uint8_digits(images) -> np.ndarray:
    """(N, 28, 28) uint8 from a tensor or array shaped (N, 28, 28) or (N, 1, 28, 28).

    uint8 is kept as is; anything else is stretched min-max per image, so [0, 1] floats and
    normalised ones (about [-0.4, 2.8] for MNIST) both show as black background, white ink.
    """
    if hasattr(images, "detach"):  # a torch tensor; numpy cannot take bfloat16, so widen floats
        images = images.detach().cpu()
        images = images.float() if images.is_floating_point() else images
        images = images.numpy()
    arr = np.asarray(images)
    if arr.size == 0:
        return np.zeros((0, DIGIT_SIDE, DIGIT_SIDE), np.uint8)
    if arr.ndim == 4 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 3 or arr.shape[1:] != (DIGIT_SIDE, DIGIT_SIDE):
        raise ValueError(f"images must be shaped (N, 28, 28) or (N, 1, 28, 28), not {tuple(np.shape(images))}")
    if arr.dtype == np.uint8:
        return arr
    arr = arr.astype(np.float64)
    lo = arr.min(axis=(1, 2), keepdims=True)
    span = arr.max(axis=(1, 2), keepdims=True) - lo
    span[span == 0] = 1.0  # a blank image stays black instead of dividing by zero
    return np.round((arr - lo) / span * 255).astype(np.uint8)


def _caption_langs(lang: str) -> list[str]:
    return ["zh", "en"] if lang == "both" else [lang]


def _draw_caption(ax, true: int, pred: int, lang: str) -> None:
    """`true 3 / pred 5` under the digit, the true label green and the prediction red; one line per language."""
    words = {"zh": ("真实", "预测"), "en": ("true", "pred")}
    for line, one in enumerate(_caption_langs(lang)):
        y = -0.03 - CAPTION_LINE / DIGIT_INCHES * line
        true_word, pred_word = words[one]
        common = {"transform": ax.transAxes, "va": "top", "fontsize": 9}
        ax.text(0.44, y, f"{true_word} {true}", ha="right", color=TRUE_GREEN, **common)
        ax.text(0.5, y, "/", ha="center", color=GREY, **common)
        ax.text(0.56, y, f"{pred_word} {pred}", ha="left", color=PRED_RED, **common)


def _grid_canvas(count: int, columns: int, title: str, caption_lines: int) -> Figure:
    """A figure sized for `count` cells in rows of `columns`, with the title and one empty axes per cell."""
    rows = math.ceil(count / columns)
    title_band = MARGIN + TITLE_LINE * (title.count("\n") + 1)
    cell_height = DIGIT_INCHES + CAPTION_LINE * caption_lines + CELL_GAP
    width, height = 2 * MARGIN + columns * CELL_WIDTH, title_band + rows * cell_height
    figure = Figure(figsize=(width, height), dpi=DPI)
    figure.suptitle(title, x=MARGIN / width, y=1 - MARGIN / height, ha="left", va="top")
    for i in range(count):
        row, col = divmod(i, columns)
        left = MARGIN + col * CELL_WIDTH + (CELL_WIDTH - DIGIT_INCHES) / 2
        top = title_band + row * cell_height
        box = (left / width, 1 - (top + DIGIT_INCHES) / height, DIGIT_INCHES / width, DIGIT_INCHES / height)
        figure.add_axes(box)
    return figure


def build_grid_figure(
    images,
    true_labels: Iterable[SupportsInt],
    pred_labels: Iterable[SupportsInt],
    *,
    columns: int = 8,
    max_items: int = 64,
    title: Msg | None = None,
    lang: str = "en",
) -> Figure:
    """The first `max_items` digits in a grid of `columns`, each captioned with its true and predicted label.

    `images`: tensor or array shaped (N, 28, 28) or (N, 1, 28, 28); uint8 pixels are shown as they
    are (0 black, 255 white), other dtypes stretched min-max per image. Cell i (row-major) is
    ``figure.axes[i]``, holding its digit as its only image. The title gets ": k of N shown".
    """
    if columns < 1 or max_items < 0:
        raise ValueError("columns must be at least 1, max_items at least 0")
    digits = _as_uint8_digits(images)
    true_list, pred_list = [int(t) for t in true_labels], [int(p) for p in pred_labels]
    if not len(digits) == len(true_list) == len(pred_list):
        raise ValueError(f"{len(digits)} images but {len(true_list)} true and {len(pred_list)} predicted labels")
    lang = figure_lang(lang)
    title = title or tr("Misclassified test digits")
    count = min(len(digits), max_items)
    with _fonts(lang):
        if count == 0:
            figure = Figure(figsize=(6.0, 1.6), dpi=DPI, layout="constrained")
            figure.suptitle(_title(title, lang))
            figure.text(0.5, 0.3, _text(tr("No misclassified digits"), lang), ha="center")
            return figure
        columns = min(columns, count)  # no empty columns for a short list
        shown = tr(": {count} of {len_digits} shown", count=count, len_digits=len(digits))
        figure = _grid_canvas(count, columns, _title(title + shown, lang), len(_caption_langs(lang)))
        for i, ax in enumerate(figure.axes):
            ax.imshow(digits[i], cmap="gray", vmin=0, vmax=255, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            _draw_caption(ax, true_list[i], pred_list[i], lang)
    return figure


def draw_misclassified_grid(
    images,
    true_labels: Iterable[SupportsInt],
    pred_labels: Iterable[SupportsInt],
    path: str | os.PathLike,
    *,
    columns: int = 8,
    max_items: int = 64,
    title: Msg | None = None,
    lang: str = "en",
) -> Path:
    """Save :func:`build_grid_figure` as a PNG. Metadata: blitz:kind="misclassified", blitz:count
    (cells drawn), blitz:labels (JSON [[true, pred], ...] in cell order), blitz:columns (as used),
    blitz:lang (the language drawn), blitz:title. Returns the path written."""
    trues, preds = [int(t) for t in true_labels], [int(p) for p in pred_labels]
    figure = build_grid_figure(images, trues, preds, columns=columns, max_items=max_items, title=title, lang=lang)
    count = min(len(trues), max_items)
    pairs = [[t, p] for t, p in zip(trues[:count], preds[:count])]
    meta = {
        "blitz:kind": "misclassified",
        "blitz:count": str(count),
        "blitz:labels": json.dumps(pairs),
        "blitz:columns": str(min(columns, count) if count else columns),
        "blitz:lang": figure_lang(lang),
        "blitz:title": figure.get_suptitle(),
    }
    return _save(figure, path, meta)
