"""Every language a student reads: code written in English, the other languages in gettext catalogs.

`tr("Loss {loss:.4f} is too high.", loss=x)` is a message: its English is the template formatted, its
Chinese (and any other language's) the catalog's translation of the template, formatted with the same
values. The catalogs are blitz/course/locale/<lang>/LC_MESSAGES/blitz.po, compiled to blitz.mo by
`blitz generate` (Babel extracts the `tr` templates and compiles; Python's `gettext` reads the .mo at run
time, so the student package needs no Babel). A third language is one new catalog in that folder.
`Msg(zh, en)` itself remains for text passed on untranslated (a path, a hint rung of hints.toml, a message
read back from JSON).
"""

from __future__ import annotations

import gettext
import locale
import os
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "blitz"
BUILTIN = ("zh", "en")


@cache
def _catalog(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of `lang` (a NullTranslations, which answers the English, when there is none).

    An unreadable .mo answers the English too, so that `blitz generate` can still run and compile it again
    (tests/unit/test_catalogs.py fails while the .mo is not the .po's)."""
    found = gettext.find(DOMAIN, localedir=str(LOCALE_DIR), languages=[lang])
    if found is None:
        return gettext.NullTranslations()
    try:  # read here rather than by gettext.translation, whose cache would keep a recompiled .mo's old text
        with open(found, "rb") as f:
            return gettext.GNUTranslations(f)
    except (OSError, ValueError, struct.error):
        return gettext.NullTranslations()


@cache
def extra_langs() -> tuple[str, ...]:
    """Languages beyond Chinese and English: one per compiled catalog in LOCALE_DIR."""
    if not LOCALE_DIR.is_dir():
        return ()
    found = (d.name for d in LOCALE_DIR.iterdir() if (d / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file())
    return tuple(sorted(lang for lang in found if lang not in BUILTIN))


def langs() -> tuple[str, ...]:
    """What --lang and BLITZ_LANG accept: zh, en, every other catalog's language, and both (zh and en)."""
    return (*BUILTIN, *extra_langs(), "both")


def reload_catalogs() -> None:
    """Forget the catalogs read so far (after LOCALE_DIR changed: tests, a catalog just compiled)."""
    _catalog.cache_clear()
    extra_langs.cache_clear()


# The languages of the kit without extra catalogs (what `langs()` answers when only zh and en are there).
LANGS = ("zh", "en", "both")


@dataclass(frozen=True)
class Msg:
    """One message in Chinese and English (and in `more`, a third language's text when a catalog has it)."""

    zh: str
    en: str
    more: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)

    def text(self, lang: str) -> str:
        """The text in one language: zh, en, or a catalog's language (the English where it has none)."""
        if lang == "zh":
            return self.zh
        if lang == "en":
            return self.en
        return dict(self.more).get(lang, self.en)

    def render(self, lang: str | None = None) -> str:
        lang = lang or current_lang()
        if lang == "both":
            return f"{self.zh}\n{self.en}"
        return self.text(lang)

    def format(self, **values) -> Msg:
        more = tuple((lang, text.format(**values)) for lang, text in self.more)
        return Msg(self.zh.format(**values), self.en.format(**values), more)

    def __add__(self, other: Msg) -> Msg:
        extra = dict.fromkeys(lang for lang, _ in (*self.more, *other.more))
        more = tuple((lang, self.text(lang) + other.text(lang)) for lang in extra)
        return Msg(self.zh + other.zh, self.en + other.en, more)

    def __str__(self) -> str:
        return self.render()


def tr(message: str, /, **values: object) -> Msg:
    """The message whose English template is `message`, in every language, formatted with `values`.

    Placeholders are named (`{n}`, `{loss:.6f}`, `{path!r}`) so a translation may reorder them; a literal
    brace is doubled, as in str.format.
    """
    return _translated(message, values)


def tr_in(context: str, message: str, /, **values: object) -> Msg:
    """`tr` for an English template that reads differently in another language depending on where it stands
    (gettext's message context: "graded" is 已评分 in a figure's legend, 评分 as the kind of a Gradescope test)."""
    return _translated(message, values, context)


def _translated(message: str, values: dict[str, object], context: str | None = None) -> Msg:
    def text(lang: str) -> str:
        catalog = _catalog(lang)
        found = catalog.gettext(message) if context is None else catalog.pgettext(context, message)
        return found.format(**values)

    more = tuple((lang, text(lang)) for lang in extra_langs())
    return Msg(text("zh"), message.format(**values), more)


def joined(parts: Iterable[Msg], separator: Msg) -> Msg:
    """The parts one after another, `separator` between them: each language with its own (`tr("; ")`)."""
    parts = list(parts)
    extra = dict.fromkeys(lang for part in (*parts, separator) for lang, _ in part.more)
    more = tuple((lang, separator.text(lang).join(p.text(lang) for p in parts)) for lang in extra)
    return Msg(separator.zh.join(p.zh for p in parts), separator.en.join(p.en for p in parts), more)


def tr_again(message: str, /, **values: object) -> Msg:
    """`tr` for a template that is not a literal here: one read from the source of a literal `tr("...")`
    elsewhere (a check's title, which the torch-free check list reads from its @check line). Babel
    extracts the literal; tests/unit/test_catalogs.py checks that only literals are passed to `tr`."""
    return _translated(message, values)


def chosen_lang(default: str = "both") -> str:
    """`BLITZ_LANG` when it names one of `langs()`, otherwise `default`.

    The default `both` suits text that readers of either language share (notebooks, a course's notes).
    """
    chosen = os.environ.get("BLITZ_LANG", "").strip().lower()
    return chosen if chosen in langs() else default


def unknown_language(value: str) -> Msg:
    choices = ", ".join(langs())
    return tr(
        "Unknown language {value!r}: choose one of {choices} (zh Chinese, en English, both for the two).",
        value=value,
        choices=choices,
    )


def env_language_problem() -> Msg | None:
    """A message when BLITZ_LANG names no language the kit speaks (it used to fall back silently)."""
    value = os.environ.get("BLITZ_LANG", "").strip()
    if not value or value.lower() in langs():
        return None
    return unknown_language(value) + tr(" (from the environment variable BLITZ_LANG)")


def current_lang() -> str:
    """`BLITZ_LANG` (zh, en or both) wins; otherwise the locale decides: zh_* means Chinese."""
    chosen = chosen_lang(default="")
    if chosen:
        return chosen
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var, "")
        if value:
            return _lang_of_locale(value)
    try:
        name = locale.getlocale()[0] or ""
    except ValueError:
        name = ""
    return _lang_of_locale(name)


def _lang_of_locale(name: str) -> str:
    """zh_* means Chinese, a catalog's language its own (fr_FR: fr), anything else English."""
    prefix = name.lower().replace("-", "_").split("_")[0]
    return prefix if prefix in ("zh", *extra_langs()) else "en"


def set_lang(lang: str) -> None:
    """Used by the CLI's --lang: child processes (pytest, kernels) inherit it."""
    if lang not in langs():
        raise ValueError(f"lang must be one of {langs()}, not {lang!r}")
    os.environ["BLITZ_LANG"] = lang
