"""The message catalogs: every `tr` template in blitz/ has its Chinese, none is left over, the compiled .mo
is the .po's, the placeholders match the values each call passes, and a third language is one catalog."""

from __future__ import annotations

import ast
import shutil
import string
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from test_feedback_languages import CJK, english_runs

import blitz
from blitz.authoring.generate import compiled_catalogs
from blitz.course import i18n
from blitz.course.i18n import Msg, tr

PACKAGE = Path(blitz.__file__).resolve().parent
PO = i18n.LOCALE_DIR / "zh" / "LC_MESSAGES" / "blitz.po"
LARGEST = "largest difference {worst:.4g} at index {index}: got {got_v}, expected {exp_v}"


def _catalog() -> Catalog:
    with PO.open("rb") as f:
        return read_po(f)


def _extracted() -> set[tuple[str, str | None]]:
    """(template, context) of what `pybabel extract` finds (pyproject.toml's [tool.babel.extract_messages])."""
    keywords = {"tr": None, "tr_in": ((1, "c"), 2)}
    found = extract_from_dir(str(PACKAGE), method_map=[("**.py", "python")], keywords=keywords)
    return {(message, context) for _file, _line, message, _comments, context in found}


def _tr_calls() -> list[tuple[Path, ast.Call]]:
    calls = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("tr", "tr_in"):
                calls.append((path, node))
    return calls


def _fields(template: str) -> set[str]:
    return {name for _text, name, _spec, _conv in string.Formatter().parse(template) if name is not None}


def test_every_template_has_its_chinese_and_none_is_left_over():
    catalog = _catalog()
    translated = {(m.id, m.context): m.string for m in catalog if m.id}
    used = _extracted()
    assert len(used) > 450 and ("graded", "legend") in used
    assert sorted(used - set(translated), key=str) == [], "tr() templates without a Chinese entry in blitz.po"
    assert sorted(set(translated) - used, key=str) == [], "obsolete entries in blitz.po (no tr() uses them)"
    assert [m for m in catalog if m.id and (not m.string or m.fuzzy)] == [], "untranslated or fuzzy entries"


# Menu names of JupyterLab, quoted in the notebooks' how-to as the student sees them.
ENGLISH_IN_CHINESE = {"Restart Kernel and Run All"}


def test_every_entry_is_one_language():
    """Each catalog entry, not only those the mutants reach: no Chinese in an English template, and no
    English sentence in its Chinese (code, quotes and placeholders aside)."""
    entries = [m for m in _catalog() if m.id]
    assert [m.id for m in entries if CJK.search(m.id)] == []
    assert [(m.id, r) for m in entries for r in english_runs(m.string) if r not in ENGLISH_IN_CHINESE] == []
    untranslated = [m.id for m in entries if not CJK.search(m.string)]
    assert all(not english_runs(m) for m in untranslated), untranslated  # symbols and names only


def test_every_tr_call_has_a_literal_template_and_passes_its_placeholders():
    """Babel sees only literal templates; every placeholder of the English and the Chinese is a keyword
    argument of the call (a missing one would raise KeyError when the message is made)."""
    translated = {(m.id, m.context): m.string for m in _catalog() if m.id}
    bad = []
    for path, call in _tr_calls():
        where = f"{path.relative_to(PACKAGE)}:{call.lineno}"
        texts = call.args if isinstance(call.func, ast.Name) and call.func.id == "tr_in" else [None, *call.args]
        if len(texts) != 2 or not all(isinstance(t, ast.Constant) and isinstance(t.value, str) for t in texts if t):
            bad.append(f"{where}: the template (and context) is not one string literal")
            continue
        context, first = (t.value if isinstance(t, ast.Constant) else None for t in texts)
        passed = {k.arg for k in call.keywords}
        if None in passed:
            continue  # tr(template, **values): the values are checked where the mapping is built
        for template in (first, translated.get((first, context), "")):
            if not _fields(template) <= passed:
                bad.append(f"{where}: {sorted(_fields(template) - passed)} not passed")
    assert bad == []


def test_the_compiled_catalog_is_the_po():
    compiled = compiled_catalogs()
    assert list(compiled) == [PO.with_suffix(".mo")]
    assert PO.with_suffix(".mo").read_bytes() == compiled[PO.with_suffix(".mo")], "run `blitz generate`"


def test_tr_formats_the_english_and_the_chinese_with_the_same_values():
    msg = tr(LARGEST, worst=0.5, index=3, got_v=1, exp_v=2)
    assert msg == Msg("最大差异 0.5 在位置 3：得到 1，期望 2", "largest difference 0.5 at index 3: got 1, expected 2")


@pytest.fixture
def french(tmp_path, monkeypatch):
    """The kit's catalogs plus a French one holding one message, in a locale folder of the test's own."""
    shutil.copytree(i18n.LOCALE_DIR, tmp_path, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.po"))
    catalog = Catalog(locale="fr", domain="blitz")
    catalog.add(LARGEST, "à l'indice {index}, {got_v} au lieu de {exp_v} (écart {worst:.4g})")
    (tmp_path / "fr" / "LC_MESSAGES").mkdir(parents=True)
    out = BytesIO()
    write_mo(out, catalog)
    (tmp_path / "fr" / "LC_MESSAGES" / "blitz.mo").write_bytes(out.getvalue())
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    monkeypatch.setenv("BLITZ_LANG", "en")  # recorded, so the set_lang below is undone
    i18n.reload_catalogs()
    yield
    monkeypatch.undo()
    i18n.reload_catalogs()


def test_a_third_language_is_one_more_catalog(french):
    assert i18n.langs() == ("zh", "en", "fr", "both")
    msg = tr(LARGEST, worst=0.5, index=3, got_v=1, exp_v=2)
    assert msg.render("fr") == "à l'indice 3, 1 au lieu de 2 (écart 0.5)"  # the translation reorders
    assert msg.render("zh") == "最大差异 0.5 在位置 3：得到 1，期望 2"
    assert msg.render("en") == "largest difference 0.5 at index 3: got 1, expected 2"
    assert (
        msg.render("both")
        == "最大差异 0.5 在位置 3：得到 1，期望 2\nlargest difference 0.5 at index 3: got 1, expected 2"
    )
    # A message the French catalog lacks reads in English; a sum of messages keeps each one's French.
    other = tr("returned NaN/inf where a finite number was expected")
    assert other.render("fr") == other.en and other.render("zh") == "在期望有限数的位置返回了 NaN/inf"
    assert (msg + other).render("fr") == msg.render("fr") + other.en
    i18n.set_lang("fr")
    assert i18n.current_lang() == "fr" and str(msg) == msg.render("fr")


def test_without_an_extra_catalog_the_languages_are_the_kits():
    assert i18n.langs() == i18n.LANGS == ("zh", "en", "both")
    assert tr(LARGEST, worst=0.5, index=3, got_v=1, exp_v=2).more == ()
