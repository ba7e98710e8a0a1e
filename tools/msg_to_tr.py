"""The codemod that moved the kit's messages into the gettext catalog: `Msg(zh, en)` -> `tr(en, **values)`.

    python tools/msg_to_tr.py FILE...          # rewrites the files, adds their messages to the catalog
    python tools/msg_to_tr.py --prune FILE...  # the same, then drops the entries no tr() uses any more
    blitz generate                             # compiles the catalog

It also turns the two text arguments of `check(exercise, zh, en)`, `_fail(zh, en)`, `_say(zh, en)` and
`UnsafeFile(zh, en)` into one `tr(...)` (PAIRS).

A site converts when both arguments are string literals or f-strings: the English becomes the template
(each f-string expression a named placeholder: a plain name keeps its name, anything else gets a keyword
argument named after its source), the Chinese the catalog's translation. Before writing, every converted
site is checked: putting the expressions back into the two templates gives f-strings whose syntax trees
are the original ones, so no message changes its content. Sites it leaves as `Msg(...)`, with the reason:
an argument built at run time (a variable, a concatenation, a call), a plain literal with braces (a
template that a later `.format()` fills), nested format specs, a comment inside the call, an empty English
text, or an English template whose Chinese differs at another site.

Kept in the tree for code written as `Msg(zh, en)` elsewhere and merged after the conversion (a branch
begun before it): take that branch's version of a file, run this on it, `blitz generate`, and
tests/unit/test_catalogs.py says what is left. New code calls `tr` directly.
"""

from __future__ import annotations

import ast
import io
import keyword
import re
import sys
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "blitz" / "course" / "locale" / "zh" / "LC_MESSAGES" / "blitz.po"
CONVERSIONS = {-1: "", 115: "!s", 114: "!r", 97: "!a"}


class Skip(Exception):
    """A site the codemod leaves as it is; the message says why."""


@dataclass
class Site:
    start: tuple[int, int]
    end: tuple[int, int]
    en: str = ""
    zh: str = ""
    values: dict[str, str] = field(default_factory=dict)  # placeholder name -> expression source


def _name_for(expr: ast.expr, taken: set[str]) -> str:
    source = ast.unparse(expr)
    if isinstance(expr, ast.Name):
        base = expr.id
    else:
        base = re.sub(r"\W+", "_", source).strip("_").lower()
        if len(base) > 30 or not base.isidentifier():
            base = expr.attr if isinstance(expr, ast.Attribute) else "value"
    if keyword.iskeyword(base) or not base.isidentifier():
        base = f"{base}_"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}{n}", n + 1
    return name


def _template(node: ast.expr, names: dict[str, str], values: dict[str, str]) -> str:
    """The str.format template of a literal or f-string; `names` maps expression source to placeholder."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        if "{" in node.value or "}" in node.value:
            raise Skip("a plain literal with braces (a template for .format)")
        return node.value
    if not isinstance(node, ast.JoinedStr):
        raise Skip("an argument built at run time")
    out = []
    for part in node.values:
        if isinstance(part, ast.Constant):
            out.append(str(part.value).replace("{", "{{").replace("}", "}}"))
            continue
        assert isinstance(part, ast.FormattedValue)
        if any(isinstance(n, (ast.NamedExpr, ast.Await, ast.Yield, ast.YieldFrom)) for n in ast.walk(part.value)):
            raise Skip("an expression that must not move")
        spec = ""
        if part.format_spec is not None:
            assert isinstance(part.format_spec, ast.JoinedStr)
            if any(not isinstance(v, ast.Constant) for v in part.format_spec.values):
                raise Skip("a nested format spec")
            spec = ":" + "".join(str(v.value) for v in part.format_spec.values)  # type: ignore[attr-defined]
        source = ast.unparse(part.value)
        if source not in names:
            names[source] = _name_for(part.value, set(names.values()))
            values[names[source]] = source
        out.append("{" + names[source] + CONVERSIONS[part.conversion] + spec + "}")
    return "".join(out)


def _back(template: str, values: dict[str, str]) -> ast.expr:
    """The f-string a template stands for, with its placeholders' expressions put back (for the self-check)."""

    def put(m: re.Match) -> str:
        return "{" + "(" + values[m.group(1)] + ")" + m.group(2) + "}"

    escaped = re.sub(
        r"\{\{|\}\}|\{(\w+)((?:![rsa])?(?::[^{}]*)?)\}",
        lambda m: m.group(0) if m.group(1) is None else put(m),
        template,
    )
    return ast.parse("f" + repr(escaped), mode="eval").body


def _same(a: ast.expr, b: ast.expr) -> bool:
    def norm(node: ast.expr) -> str:
        if isinstance(node, ast.Constant):
            return ast.dump(ast.JoinedStr(values=[node]) if node.value else ast.JoinedStr(values=[]))
        return ast.dump(node)

    return norm(a) == norm(b)


# Calls that take a message as two arguments (Chinese, English) at this position; `Msg` is replaced whole,
# the others get one `tr(...)` argument in place of the two.
PAIRS = {"Msg": 0, "check": 1, "_fail": 0, "_say": 0, "UnsafeFile": 0}


def _site(call: ast.Call, lines: list[str]) -> Site:
    assert isinstance(call.func, ast.Name)
    at = PAIRS[call.func.id]
    args = list(call.args)
    kw = {k.arg: k.value for k in call.keywords}
    if call.func.id == "Msg" and len(args) == 2 and not kw:
        zh_node, en_node = args
    elif call.func.id == "Msg" and not args and set(kw) == {"zh", "en"}:
        zh_node, en_node = kw["zh"], kw["en"]
    elif call.func.id != "Msg" and len(args) >= at + 2:
        zh_node, en_node = args[at], args[at + 1]
    else:
        raise Skip("not two arguments")
    if any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "Msg"
        for a in (zh_node, en_node)
        for n in ast.walk(a)
    ):
        raise Skip("a Msg inside")
    region = "\n".join(lines[call.lineno - 1 : call.end_lineno])
    tokens = tokenize.generate_tokens(io.StringIO(region).readline)
    try:
        if any(t.type == tokenize.COMMENT for t in tokens):
            raise Skip("a comment inside the call")
    except tokenize.TokenError:
        pass
    if call.func.id == "Msg":
        site = Site((call.lineno, call.col_offset), (call.end_lineno or 0, call.end_col_offset or 0))
    else:
        site = Site((zh_node.lineno, zh_node.col_offset), (en_node.end_lineno or 0, en_node.end_col_offset or 0))
    names: dict[str, str] = {}
    site.en = _template(en_node, names, site.values)
    site.zh = _template(zh_node, names, site.values)
    if not site.en:
        raise Skip("an empty English text")
    for template, original in ((site.en, en_node), (site.zh, zh_node)):
        if not _same(_back(template, site.values), original):
            raise Skip("the self-check failed")  # never seen; kept so a change in this file cannot slip through
    return site


def _call_source(site: Site) -> str:
    return "tr(" + ", ".join([repr(site.en)] + [f"{name}={source}" for name, source in site.values.items()]) + ")"


def scan(path: Path) -> tuple[list[Site], list[tuple[int, str]]]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    sites, skipped = [], []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in PAIRS:
            try:
                sites.append(_site(node, lines))
            except Skip as why:
                if node.func.id == "Msg" or str(why) != "an argument built at run time":
                    skipped.append((node.lineno, f"{node.func.id}: {why}"))
    return sites, skipped


def rewrite(path: Path, sites: list[Site]) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for site in sorted(sites, key=lambda s: s.start, reverse=True):
        (l1, c1), (l2, c2) = site.start, site.end
        # ast offsets are in UTF-8 bytes
        first = lines[l1 - 1].encode()
        last = lines[l2 - 1].encode()
        head = first[:c1].decode()
        tail = last[c2:].decode()
        lines[l1 - 1 : l2] = [head + _call_source(site) + tail]
    text = "".join(lines)
    text = _import_tr(text)
    path.write_text(text, encoding="utf-8")


def _import_tr(text: str) -> str:
    tree = ast.parse(text)
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "blitz.course.i18n":
            if any(a.name == "tr" for a in node.names):
                return text
            lines = text.splitlines(keepends=True)
            line = lines[node.lineno - 1]
            lines[node.lineno - 1] = line.replace("import ", "import tr, ", 1)
            return "".join(lines)
    last = max(n.end_lineno or 0 for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom)))
    lines = text.splitlines(keepends=True)
    lines.insert(last, "from blitz.course.i18n import tr\n")
    return "".join(lines)


def _prune(catalog) -> None:
    """Drop the entries whose (template, context) no tr()/tr_in() in blitz/ uses any more."""
    from babel.messages.extract import extract_from_dir

    keywords = {"tr": None, "tr_in": ((1, "c"), 2)}
    found = extract_from_dir(str(ROOT / "blitz"), method_map=[("**.py", "python")], keywords=keywords)
    used = {(message, context) for _file, _line, message, _comments, context in found}
    for message in list(catalog):
        if message.id and (message.id, message.context) not in used:
            catalog.delete(message.id, context=message.context)


def main(args: list[str]) -> int:
    from babel.messages.pofile import read_po, write_po

    prune = "--prune" in args
    files = [a for a in args if a != "--prune"]

    with PO.open("rb") as f:
        catalog = read_po(f)
    found: dict[Path, list[Site]] = {}
    left: list[tuple[Path, int, str]] = []
    for name in files:
        path = Path(name).resolve()
        sites, skipped = scan(path)
        found[path] = sites
        left += [(path, line, why) for line, why in skipped]
    chinese: dict[str, set[str]] = {}
    for sites in found.values():
        for s in sites:
            chinese.setdefault(s.en, set()).add(s.zh)
    for message in catalog:
        if message.id:
            chinese.setdefault(message.id, set()).add(message.string)
    for path, sites in found.items():
        keep = [s for s in sites if len(chinese[s.en]) == 1]
        left += [(path, s.start[0], "its English has another Chinese elsewhere") for s in sites if s not in keep]
        if keep:
            rewrite(path, keep)
        for s in keep:
            catalog.add(s.en, s.zh)
    if prune:
        _prune(catalog)
    with PO.open("wb") as f:
        write_po(f, catalog, width=0, sort_output=True, omit_header=False)
    converted = sum(len(s) for s in found.values()) - sum(1 for _, _, w in left if w.startswith("its English"))
    print(f"converted {converted} sites; left {len(left)}:")
    for path, line, why in sorted(left):
        print(f"  {path.relative_to(ROOT)}:{line}: {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
