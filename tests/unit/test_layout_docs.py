"""The README's Layout and the module map of blitz/__init__.py match the tree (issue 20, "Done when")."""

from __future__ import annotations

import re

import blitz
from blitz.course import registry

ROOT = registry.ROOT
PACKAGE = ROOT / "blitz"


def packages() -> list[str]:
    """Every package of blitz/ as a dotted name, the per-exercise packages left out (exercises/ covers them)."""
    found = []
    for init in sorted(PACKAGE.rglob("__init__.py")):
        rel = init.parent.relative_to(ROOT)
        if rel.parts[:2] == ("blitz", "exercises") and len(rel.parts) > 2 or rel == PACKAGE.relative_to(ROOT):
            continue
        found.append(".".join(rel.parts))
    return found


def layout_block() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Layout", 1)[1]
    return section.split("```text", 1)[1].split("```", 1)[0]


def test_the_tree_has_the_packages_the_tests_look_for():
    assert {"blitz.course", "blitz.engine", "blitz.grading", "blitz.execution.sandbox"} <= set(packages())


def test_the_module_map_names_every_package():
    doc = blitz.__doc__ or ""
    missing = [name for name in packages() if f":mod:`{name}`" not in doc]
    assert not missing, f"blitz/__init__.py's module map does not name {missing}"


def test_every_module_the_map_names_exists():
    doc = blitz.__doc__ or ""
    named = re.findall(r":mod:`(blitz[\w.]*)`", doc)
    assert len(named) >= 10
    for name in named:
        path = ROOT.joinpath(*name.split("."))
        assert path.with_suffix(".py").is_file() or (path / "__init__.py").is_file(), f"{name} does not exist"


def test_the_readme_layout_names_every_package_and_module():
    block = layout_block()
    missing = []
    for name in packages():
        folder = ROOT.joinpath(*name.split("."))
        if not re.search(rf"^\s*{re.escape(folder.name)}/", block, re.M):
            missing.append(f"{name}/")
        for module in sorted(folder.glob("*.py")):
            if module.stem != "__init__" and not re.search(rf"\b{re.escape(module.stem)}\b", block):
                missing.append(f"{name}.{module.stem}")
    assert not missing, f"README's Layout does not name {missing}"


def test_every_folder_the_layout_names_exists():
    block = layout_block()
    lines = block.splitlines()
    top = [m.group(1) for line in lines if (m := re.match(r"^  ([a-z_]+)/\s", line))]
    assert len(top) >= 8
    for name in top:
        assert (PACKAGE / name / "__init__.py").is_file(), f"README's Layout names blitz/{name}/, which is not there"
