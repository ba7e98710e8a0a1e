"""What every figure of the kit shares (matplotlib, Agg, no window): the Chinese font, the language a
figure can be drawn in, its text in one or both languages, and PNG files that carry ``blitz:*`` text
chunks (read them with :func:`png_metadata`) so tests and tools can check what was drawn without
reading pixels.

Used by the student's report (:mod:`blitz.student.plots`) and the instructor's class report
(:mod:`blitz.grading.class_report`). Titles and labels are in the reader's language (zh, en, or both)
when a font with Chinese glyphs is installed (:func:`cjk_font`); without one they are in English.
"""

from __future__ import annotations

import io
import os
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from blitz.course.i18n import Msg, tr

# Families with Chinese glyphs, best first (matched as prefixes of matplotlib's family names).
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Noto Sans CJK",
    "Source Han Sans",
    "Noto Serif CJK SC",
    "Source Han Serif",
    "Noto Serif CJK",
    "AR PL UMing",
    "Droid Sans Fallback",
)
# File names of the same fonts, for fonts installed after matplotlib cached its font list.
CJK_FILE_HINTS = ("notosanscjk", "notoserifcjk", "sourcehan", "wqy", "wenquanyi", "uming", "droidsansfallback")
FONT_PACKAGE = "fonts-noto-cjk"  # Debian and Ubuntu; other systems: any Noto CJK / Source Han font


def _cjk_family(names: set[str]) -> str | None:
    for wanted in CJK_FAMILIES:
        for name in sorted(names):
            if name.startswith(wanted):
                return name
    return None


@cache
def cjk_font() -> str | None:
    """The family name of an installed font with Chinese glyphs, or None."""
    found = _cjk_family({f.name for f in font_manager.fontManager.ttflist})
    if found is None:
        # matplotlib keeps its font list in a cache file: a font installed later is not in it yet.
        for path in font_manager.findSystemFonts():
            if any(hint in Path(path).name.lower() for hint in CJK_FILE_HINTS):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):  # an unreadable font file: look at the others
                    continue
        found = _cjk_family({f.name for f in font_manager.fontManager.ttflist})
    return found


def figure_lang(lang: str) -> str:
    """The language a figure can be drawn in: the reader's, or English without a Chinese font."""
    return lang if lang == "en" or cjk_font() else "en"


def font_missing(lang: str) -> Msg | None:
    """What to install for Chinese figures, when the reader reads Chinese and no font has the glyphs."""
    if figure_lang(lang) == lang:
        return None
    return tr(
        "no Chinese font found, so the figures are in English. Install {FONT_PACKAGE} (Debian/Ubuntu: sudo apt-get install {FONT_PACKAGE})",
        FONT_PACKAGE=FONT_PACKAGE,
    )


def text_line(msg: Msg, lang: str) -> str:
    """One line in the figure's language; `both` puts Chinese and English side by side."""
    return f"{msg.zh} / {msg.en}" if lang == "both" and msg.zh != msg.en else msg.render(lang)


def title_text(msg: Msg, lang: str) -> str:
    """A title in the figure's language; `both` puts Chinese above English."""
    return msg.render(lang)  # Msg.render gives "zh\nen" for both


@contextmanager
def fonts(lang: str):
    """matplotlib's fonts for `lang`: DejaVu Sans for Latin, falling back to the CJK font for Chinese."""
    import matplotlib

    # Named outright (not "sans-serif"): each text keeps this list, wherever it is drawn later.
    families = ["DejaVu Sans"] + ([cjk_font()] if lang != "en" and cjk_font() else [])
    with matplotlib.rc_context({"font.family": families}):
        yield


def png_bytes(figure: Figure, meta: dict[str, str]) -> bytes:
    """The figure as PNG bytes, with `meta` as text chunks; drawn in the fonts of meta["blitz:lang"]."""
    buffer = io.BytesIO()
    with fonts(meta["blitz:lang"]):  # tick labels are made while drawing
        FigureCanvasAgg(figure).print_png(buffer, metadata=meta)
    return buffer.getvalue()


def save_png(figure: Figure, path: str | os.PathLike, meta: dict[str, str]) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(png_bytes(figure, meta))
    return out


def png_metadata(path: str | os.PathLike) -> dict[str, str]:
    """The PNG's text chunks (tEXt, zTXt, iTXt) as a plain dict."""
    from PIL import Image

    with Image.open(path) as image:
        image.load()  # text chunks after the image data are only read with the pixels
        return {str(k): str(v) for k, v in getattr(image, "text", {}).items()}
