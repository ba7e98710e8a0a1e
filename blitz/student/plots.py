"""PNG reports drawn with Pillow alone: a training-loss curve and a grid of misclassified digits.

The kit depends on torch and torchvision only, so there is no matplotlib here; Pillow and numpy
arrive with torchvision. Each PNG carries ``blitz:*`` text chunks (read them with :func:`png_metadata`) so
tests can check what was drawn without parsing pixels.

Grid geometry (all in pixels, for ``scale`` s and ``columns`` c; see :class:`GridGeometry`)::

    +-- GRID_MARGIN -----------------------------------------------+
    |  title line, GRID_TITLE_HEIGHT high                          |
    |  [tile 0] GRID_GAP [tile 1] GRID_GAP ... [tile c-1]          |
    |  GRID_GAP                                                    |
    |  [tile c] ...                                                |
    +--------------------------------------------------------------+

    tile width  = max(DIGIT_SIDE * s, CAPTION_WIDTH)
    tile height = DIGIT_SIDE * s + CAPTION_HEIGHT
    tile i top-left = (GRID_MARGIN + (i % c) * (tile width + GRID_GAP),
                       GRID_MARGIN + GRID_TITLE_HEIGHT + (i // c) * (tile height + GRID_GAP))
    the digit sits at the top of its tile, centred across: x offset (tile width - DIGIT_SIDE*s) // 2
    the caption fills the CAPTION_HEIGHT band under the digit.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

__all__ = [
    "draw_loss_curve",
    "draw_misclassified_grid",
    "png_metadata",
    "grid_geometry",
    "GridGeometry",
]

# --- shared look -------------------------------------------------------------------------------

WHITE = (255, 255, 255)
BLACK = (20, 20, 20)
GREY = (110, 110, 110)
GRID_LINE = (228, 228, 228)
TRUE_GREEN = (0, 110, 40)
PRED_RED = (200, 20, 20)

# --- loss curve layout (final pixels; drawn at LOSS_SUPERSAMPLE times this, then shrunk) ------

LOSS_WIDTH, LOSS_HEIGHT = 800, 500
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 80, 24, 56, 60  # space around the axes frame
PLOT_INSET = 8  # keeps points off the frame so a lone point or the first step stays visible
LOSS_SUPERSAMPLE = 2  # Pillow lines are not antialiased; drawing large and shrinking smooths them
SMOOTH_ABOVE = 50  # a running mean helps only once there are enough noisy points
MARKERS_UP_TO = 50  # few points: mark each so a short run still reads as data
RAW_COLOR_ALONE = (31, 119, 180)
RAW_COLOR_UNDER_MEAN = (160, 196, 228)  # pale, so the running mean on top carries the trend
MEAN_COLOR = (214, 90, 10)

# --- misclassified grid layout -----------------------------------------------------------------

DIGIT_SIDE = 28  # MNIST digits are 28 x 28
GRID_MARGIN = 16
GRID_TITLE_HEIGHT = 36
GRID_GAP = 10
CAPTION_HEIGHT = 22
CAPTION_WIDTH = 104  # fits "true 9 / pred 9" at CAPTION_FONT_SIZE, so small scales stay legible
CAPTION_FONT_SIZE = 14
TITLE_FONT_SIZE = 18
EMPTY_GRID_SIZE = (420, 120)


# --- small helpers -----------------------------------------------------------------------------


@cache
def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """Pillow's built-in font: scalable from Pillow 10.1 on, the small bitmap one before that."""
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError, ImportError):  # old Pillow has no size=, or no FreeType
        return ImageFont.load_default()


def _ascii(text: str) -> str:
    """The built-in font has Latin glyphs only: drop the rest, and any separator left dangling.

    "Training loss / 训练损失" becomes "Training loss".
    """
    kept = "".join(ch for ch in text if ch.isascii())
    return " ".join(kept.split()).strip(" /|-:,;")


def _text_size(draw: ImageDraw.ImageDraw, text: str, font) -> tuple[int, int]:
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    return right - left, bottom - top


def _save(image: Image.Image, path: str | os.PathLike, meta: dict[str, str]) -> Path:
    info = PngInfo()
    for key, value in meta.items():
        info.add_text(key, value)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    image.save(out, format="PNG", pnginfo=info)
    return out


def png_metadata(path: str | os.PathLike) -> dict[str, str]:
    """The PNG's text chunks (tEXt, zTXt, iTXt) as a plain dict."""
    with Image.open(path) as image:
        image.load()  # text chunks after the image data are only read with the pixels
        return {str(k): str(v) for k, v in getattr(image, "text", {}).items()}


# --- loss curve --------------------------------------------------------------------------------


def _nice_ticks(lo: float, hi: float, target: int = 5, min_step: float = 0.0) -> list[float]:
    """Round tick values (steps of 1, 2 or 5 times a power of ten) covering [lo, hi]."""
    if hi <= lo:
        pad = abs(lo) * 0.1 or 1.0  # a flat curve still needs a visible y range
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / target
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(step, min_step)
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    # Multiply integers by the step, so ticks do not drift into 0.30000000000000004.
    return [round(k * step, 12) + 0.0 for k in range(first, last + 1)]


def _tick_label(value: float) -> str:
    return f"{value:.6g}"


def _running_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Centred mean over up to `window` points; near the ends the window shrinks on both sides
    alike, so a falling curve is not pulled down (or lagged) at its start."""
    sums = np.concatenate([[0.0], np.cumsum(values)])
    idx = np.arange(len(values))
    half = np.minimum(window // 2, np.minimum(idx, len(values) - 1 - idx))
    return (sums[idx + half + 1] - sums[idx - half]) / (2 * half + 1)


def _finite_runs(values: Sequence[float]) -> list[list[int]]:
    """Indices of each stretch of finite values: the curve breaks where a NaN or inf was."""
    runs: list[list[int]] = []
    current: list[int] = []
    for i, value in enumerate(values):
        if math.isfinite(value):
            current.append(i)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


@dataclass(frozen=True)
class _Axes:
    """Maps data coordinates to (supersampled) pixels inside the plot frame."""

    left: int
    top: int
    right: int
    bottom: int
    x_ticks: list[float]
    y_ticks: list[float]
    inset: int

    def px(self, x: float, y: float) -> tuple[float, float]:
        x0, x1 = self.x_ticks[0], self.x_ticks[-1]
        y0, y1 = self.y_ticks[0], self.y_ticks[-1]
        width = self.right - self.left - 2 * self.inset
        height = self.bottom - self.top - 2 * self.inset
        return (
            self.left + self.inset + (x - x0) / (x1 - x0) * width,
            self.bottom - self.inset - (y - y0) / (y1 - y0) * height,
        )


def _draw_frame(draw: ImageDraw.ImageDraw, axes: _Axes, s: int) -> None:
    """Grid lines, frame, ticks and tick labels."""
    tick_font = _font(12 * s)
    for y in axes.y_ticks:
        _, py = axes.px(axes.x_ticks[0], y)
        draw.line([(axes.left, py), (axes.right, py)], fill=GRID_LINE, width=s)
        draw.line([(axes.left - 5 * s, py), (axes.left, py)], fill=BLACK, width=s)
        draw.text((axes.left - 8 * s, py), _tick_label(y), fill=BLACK, font=tick_font, anchor="rm")
    for x in axes.x_ticks:
        px, _ = axes.px(x, axes.y_ticks[0])
        draw.line([(px, axes.bottom), (px, axes.bottom + 5 * s)], fill=BLACK, width=s)
        draw.text((px, axes.bottom + 8 * s), _tick_label(x), fill=BLACK, font=tick_font, anchor="mt")
    draw.rectangle([axes.left, axes.top, axes.right, axes.bottom], outline=BLACK, width=s)


def _draw_labels(image: Image.Image, axes: _Axes, title: str, note: str, xlabel: str, ylabel: str, s: int) -> None:
    """Title, a grey note top right, and the axis labels (the y label turned on its side)."""
    draw = ImageDraw.Draw(image)
    draw.text((image.width // 2, 14 * s), title, fill=BLACK, font=_font(18 * s), anchor="mt")
    if note:
        draw.text((axes.right, axes.top - 6 * s), note, fill=GREY, font=_font(12 * s), anchor="rb")
    label_font = _font(14 * s)
    draw.text(((axes.left + axes.right) // 2, image.height - 10 * s), xlabel, fill=BLACK, font=label_font, anchor="mb")
    if ylabel:
        # Pillow cannot draw rotated text: draw it on its own mask, turn that, then stamp it.
        w, h = _text_size(draw, ylabel, label_font)
        mask = Image.new("L", (w + 4 * s, h + 8 * s), 0)
        ImageDraw.Draw(mask).text((2 * s, 2 * s), ylabel, fill=255, font=label_font)
        mask = mask.rotate(90, expand=True)
        y = (axes.top + axes.bottom - mask.height) // 2
        image.paste(BLACK, (8 * s, y, 8 * s + mask.width, y + mask.height), mask)


def _draw_series(draw: ImageDraw.ImageDraw, axes: _Axes, values: list[float], s: int) -> str:
    """The raw curve, markers for short runs, a running mean for long ones; returns legend text."""
    runs = _finite_runs(values)
    finite = [i for run in runs for i in run]
    smooth = len(finite) > SMOOTH_ABOVE
    raw_color = RAW_COLOR_UNDER_MEAN if smooth else RAW_COLOR_ALONE
    for run in runs:
        points = [axes.px(i, values[i]) for i in run]
        if len(points) > 1:
            draw.line(points, fill=raw_color, width=s * (1 if smooth else 2))
    if len(finite) <= MARKERS_UP_TO:
        r = 3 * s
        for i in finite:
            x, y = axes.px(i, values[i])
            draw.ellipse([x - r, y - r, x + r, y + r], fill=RAW_COLOR_ALONE)
    if not smooth:
        return ""
    window = max(5, len(finite) // 25)
    mean = _running_mean(np.array([values[i] for i in finite]), window)
    draw.line([axes.px(i, m) for i, m in zip(finite, mean)], fill=MEAN_COLOR, width=2 * s, joint="curve")
    return f"running mean of {window}"


def _draw_legend(draw: ImageDraw.ImageDraw, axes: _Axes, mean_label: str, s: int) -> None:
    font = _font(12 * s)
    x, y = axes.right - 10 * s, axes.top + 10 * s
    entries = [("loss", RAW_COLOR_UNDER_MEAN), (mean_label, MEAN_COLOR)]
    text_width = max(_text_size(draw, text, font)[0] for text, _ in entries)
    left = x - text_width - 30 * s
    draw.rectangle([left - 6 * s, y - 6 * s, x + 6 * s, y + 40 * s], fill=WHITE, outline=GRID_LINE, width=s)
    for row, (text, color) in enumerate(entries):
        cy = y + 8 * s + row * 18 * s
        draw.line([(left, cy), (left + 22 * s, cy)], fill=color, width=3 * s)
        draw.text((left + 30 * s, cy), text, fill=BLACK, font=font, anchor="lm")


def _stats_note(values: list[float], finite: list[float]) -> str:
    """A one-line summary, so the last and best loss can be read off without squinting."""
    if not finite:
        return "no finite values to plot" if values else "no data"
    steps = f"{len(values)} step" + ("" if len(values) == 1 else "s")
    return f"{steps}   last {finite[-1]:.4g}   min {min(finite):.4g}"


def draw_loss_curve(
    losses: Sequence[float],
    path: str | os.PathLike,
    *,
    title: str = "Training loss / 训练损失",
    xlabel: str = "step",
    ylabel: str = "loss",
) -> Path:
    """Draw `losses` (one value per step, step = index) as an 800x500 line chart and save a PNG.

    NaN and inf values are left out (the curve breaks there) and the title says how many. Over
    SMOOTH_ABOVE points a running mean is drawn on top of the pale raw curve. Text is drawn in
    ASCII only (non-ASCII characters are dropped). Metadata: blitz:kind="loss_curve",
    blitz:points, blitz:first, blitz:last (repr of the floats; "" when `losses` is empty).
    Returns the path written.
    """
    values = [float(v) for v in losses]
    finite = [v for v in values if math.isfinite(v)]
    skipped = len(values) - len(finite)
    # The bitmap fallback font cannot grow, so shrinking a supersampled drawing would blur it away.
    s = LOSS_SUPERSAMPLE if isinstance(_font(12), ImageFont.FreeTypeFont) else 1

    shown_title = _ascii(title)
    if skipped:
        shown_title += f" (skipped {skipped} NaN/inf)"

    image = Image.new("RGB", (LOSS_WIDTH * s, LOSS_HEIGHT * s), WHITE)
    draw = ImageDraw.Draw(image)
    y_lo, y_hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
    axes = _Axes(
        left=PLOT_LEFT * s,
        top=PLOT_TOP * s,
        right=(LOSS_WIDTH - PLOT_RIGHT) * s,
        bottom=(LOSS_HEIGHT - PLOT_BOTTOM) * s,
        x_ticks=_nice_ticks(0, max(len(values) - 1, 1), target=8, min_step=1),  # steps are whole
        y_ticks=_nice_ticks(y_lo, y_hi, target=6),
        inset=PLOT_INSET * s,
    )
    _draw_frame(draw, axes, s)
    mean_label = _draw_series(draw, axes, values, s)
    if mean_label:
        _draw_legend(draw, axes, mean_label, s)
    _draw_labels(image, axes, shown_title, _stats_note(values, finite), _ascii(xlabel), _ascii(ylabel), s)

    image = image.resize((LOSS_WIDTH, LOSS_HEIGHT), Image.Resampling.LANCZOS)
    meta = {
        "blitz:kind": "loss_curve",
        "blitz:points": str(len(values)),
        "blitz:first": repr(values[0]) if values else "",
        "blitz:last": repr(values[-1]) if values else "",
    }
    return _save(image, path, meta)


# --- misclassified grid ------------------------------------------------------------------------


@dataclass(frozen=True)
class GridGeometry:
    """Where things are in a misclassified-digits grid drawn at a given `scale`.

    Tile i (row-major, `columns` per row) has its top-left corner at :meth:`tile_origin`; its
    digit occupies :meth:`digit_box`, a square of side ``digit_size`` (= 28 * scale), placed
    at the top of the tile and centred across it. The caption sits in the CAPTION_HEIGHT band below.
    """

    scale: int
    columns: int
    digit_size: int
    tile_width: int
    tile_height: int

    def tile_origin(self, i: int) -> tuple[int, int]:
        row, col = divmod(i, self.columns)
        return (
            GRID_MARGIN + col * (self.tile_width + GRID_GAP),
            GRID_MARGIN + GRID_TITLE_HEIGHT + row * (self.tile_height + GRID_GAP),
        )

    def digit_box(self, i: int) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) of tile i's digit: ready for ``Image.crop``."""
        x, y = self.tile_origin(i)
        x += (self.tile_width - self.digit_size) // 2
        return x, y, x + self.digit_size, y + self.digit_size

    def canvas_size(self, count: int) -> tuple[int, int]:
        rows = math.ceil(count / self.columns)
        return (
            2 * GRID_MARGIN + self.columns * self.tile_width + (self.columns - 1) * GRID_GAP,
            2 * GRID_MARGIN + GRID_TITLE_HEIGHT + rows * self.tile_height + (rows - 1) * GRID_GAP,
        )


def grid_geometry(scale: int = 3, columns: int = 8) -> GridGeometry:
    """The geometry :func:`draw_misclassified_grid` uses for this scale and column count."""
    digit = DIGIT_SIDE * scale
    return GridGeometry(scale, columns, digit, max(digit, CAPTION_WIDTH), digit + CAPTION_HEIGHT)


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


def _draw_caption(draw: ImageDraw.ImageDraw, centre: tuple[float, float], true: int, pred: int, width: int) -> None:
    """'true 3 / pred 5' with the true label green and the prediction red, centred at `centre`."""
    font = _font(CAPTION_FONT_SIZE)
    parts = [(f"true {true}", TRUE_GREEN), (" / ", GREY), (f"pred {pred}", PRED_RED)]
    if sum(_text_size(draw, t, font)[0] for t, _ in parts) > width:
        parts = [(str(true), TRUE_GREEN), (" / ", GREY), (str(pred), PRED_RED)]  # long labels: digits only
    total = sum(draw.textlength(t, font=font) for t, _ in parts)
    x, y = centre[0] - total / 2, centre[1]
    for text, color in parts:
        draw.text((x, y), text, fill=color, font=font, anchor="lm")
        x += draw.textlength(text, font=font)


def _title_width(title: str) -> int:
    """Pixels the grid needs across for its title line, margins included."""
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    return _text_size(probe, title, _font(TITLE_FONT_SIZE))[0] + 2 * GRID_MARGIN


def _draw_grid_title(draw: ImageDraw.ImageDraw, title: str) -> None:
    # Centred a little above the middle of its band, leaving air between it and the first row.
    y = GRID_MARGIN + GRID_TITLE_HEIGHT // 2 - 4
    draw.text((GRID_MARGIN, y), title, fill=BLACK, font=_font(TITLE_FONT_SIZE), anchor="lm")


def _draw_empty_grid(path: str | os.PathLike, title: str, columns: int, scale: int) -> Path:
    size = (max(EMPTY_GRID_SIZE[0], _title_width(title)), EMPTY_GRID_SIZE[1])
    image = Image.new("RGB", size, WHITE)
    draw = ImageDraw.Draw(image)
    _draw_grid_title(draw, title)
    centre = (size[0] // 2, (size[1] + GRID_TITLE_HEIGHT) // 2)
    draw.text(centre, "No misclassified digits", fill=TRUE_GREEN, font=_font(TITLE_FONT_SIZE), anchor="mm")
    return _save(image, path, _grid_meta([], columns, grid_geometry(scale, columns)))


def _grid_meta(pairs: list[list[int]], columns: int, geometry: GridGeometry) -> dict[str, str]:
    dx = (geometry.tile_width - geometry.digit_size) // 2
    return {
        "blitz:kind": "misclassified",
        "blitz:count": str(len(pairs)),
        "blitz:labels": json.dumps(pairs),
        "blitz:columns": str(columns),
        "blitz:tile_size": f"{geometry.tile_width}x{geometry.tile_height}",
        # Enough to find tile i's digit without importing this module:
        "blitz:digit_size": str(geometry.digit_size),
        "blitz:digit_offset": f"{dx},0",
        "blitz:origin": "{},{}".format(*geometry.tile_origin(0)),
        "blitz:gap": str(GRID_GAP),
    }


def draw_misclassified_grid(
    images,
    true_labels: Sequence[int],
    pred_labels: Sequence[int],
    path: str | os.PathLike,
    *,
    columns: int = 8,
    scale: int = 3,
    max_items: int = 64,
    title: str = "Misclassified test digits",
) -> Path:
    """Save a PNG grid of the first `max_items` digits, each captioned "true T / pred P".

    `images`: tensor or array shaped (N, 28, 28) or (N, 1, 28, 28); uint8 pixels are shown as they
    are, other dtypes stretched min-max per image. Each digit is enlarged `scale` times by nearest
    neighbour, so tile i's digit box (see :class:`GridGeometry`, the module docstring) holds exactly
    ``np.repeat(np.repeat(digit, scale, 0), scale, 1)`` in every RGB channel for uint8 input.
    With fewer than `columns` digits the grid is one row of that many tiles (same positions).
    Metadata: blitz:kind="misclassified", blitz:count (tiles drawn), blitz:labels (JSON
    [[true, pred], ...] in tile order), blitz:columns (as used), blitz:tile_size ("WxH"),
    blitz:digit_size, blitz:digit_offset ("dx,dy" in the tile), blitz:origin (tile 0), blitz:gap.
    Returns the path written.
    """
    if columns < 1 or scale < 1 or max_items < 0:
        raise ValueError("columns and scale must be at least 1, max_items at least 0")
    digits = _as_uint8_digits(images)
    true_list, pred_list = [int(t) for t in true_labels], [int(p) for p in pred_labels]
    if not len(digits) == len(true_list) == len(pred_list):
        raise ValueError(f"{len(digits)} images but {len(true_list)} true and {len(pred_list)} predicted labels")

    total, count = len(digits), min(len(digits), max_items)
    shown_title = _ascii(title)
    if count == 0:
        return _draw_empty_grid(path, shown_title, columns, scale)
    shown_title += f": {count} of {total} shown"

    columns = min(columns, count)  # no empty columns for a short list
    geometry = grid_geometry(scale, columns)
    width, height = geometry.canvas_size(count)
    image = Image.new("RGB", (max(width, _title_width(shown_title)), height), WHITE)
    draw = ImageDraw.Draw(image)
    _draw_grid_title(draw, shown_title)
    for i in range(count):
        # np.repeat is exact nearest-neighbour enlargement: each pixel becomes a scale x scale block.
        big = np.repeat(np.repeat(digits[i], scale, axis=0), scale, axis=1)
        left, top, right, bottom = geometry.digit_box(i)
        image.paste(Image.fromarray(big).convert("RGB"), (left, top))
        centre = ((left + right) / 2, bottom + CAPTION_HEIGHT / 2)
        _draw_caption(draw, centre, true_list[i], pred_list[i], geometry.tile_width)

    pairs = [[true_list[i], pred_list[i]] for i in range(count)]
    return _save(image, path, _grid_meta(pairs, columns, geometry))
