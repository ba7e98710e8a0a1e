"""Two languages for everything a student reads: Chinese first, English beside it."""

from __future__ import annotations

import locale
import os
from dataclasses import dataclass

LANGS = ("zh", "en", "both")


@dataclass(frozen=True)
class Msg:
    """One message in Chinese and English."""

    zh: str
    en: str

    def render(self, lang: str | None = None) -> str:
        lang = lang or current_lang()
        if lang == "zh":
            return self.zh
        if lang == "en":
            return self.en
        return f"{self.zh}\n{self.en}"

    def format(self, **values) -> Msg:
        return Msg(self.zh.format(**values), self.en.format(**values))

    def __add__(self, other: Msg) -> Msg:
        return Msg(self.zh + other.zh, self.en + other.en)

    def __str__(self) -> str:
        return self.render()


def chosen_lang(default: str = "both") -> str:
    """`BLITZ_LANG` when it names one of LANGS, otherwise `default`.

    The default `both` suits text that readers of either language share (notebooks, a course's notes).
    """
    chosen = os.environ.get("BLITZ_LANG", "").strip().lower()
    return chosen if chosen in LANGS else default


def unknown_language(value: str) -> Msg:
    choices = ", ".join(LANGS)
    return Msg(
        f"不认识的语言 {value!r}：可选 {choices}（zh 中文，en 英文，both 两种都显示）。",
        f"Unknown language {value!r}: choose one of {choices} (zh Chinese, en English, both for the two).",
    )


def env_language_problem() -> Msg | None:
    """A message when BLITZ_LANG names no language the kit speaks (it used to fall back silently)."""
    value = os.environ.get("BLITZ_LANG", "").strip()
    if not value or value.lower() in LANGS:
        return None
    return unknown_language(value) + Msg("（来自环境变量 BLITZ_LANG）", " (from the environment variable BLITZ_LANG)")


def current_lang() -> str:
    """`BLITZ_LANG` (zh, en or both) wins; otherwise the locale decides: zh_* means Chinese."""
    chosen = chosen_lang(default="")
    if chosen:
        return chosen
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    try:
        name = locale.getlocale()[0] or ""
    except ValueError:
        name = ""
    return "zh" if name.lower().startswith("zh") else "en"


def set_lang(lang: str) -> None:
    """Used by the CLI's --lang: child processes (pytest, kernels) inherit it."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    os.environ["BLITZ_LANG"] = lang
