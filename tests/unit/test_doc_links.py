"""Every relative link of the README, CONTRIBUTING.md, SECURITY.md and docs/ leads to a file that exists,
and the README links every page of the instructor guide (issue 23, item 10)."""

from __future__ import annotations

import re

import pytest

from blitz.course import registry

ROOT = registry.ROOT
PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "SECURITY.md", *sorted((ROOT / "docs").rglob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page):
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # a web address or an anchor of the same page
        path = (page.parent / target.split("#", 1)[0]).resolve()
        if not path.exists():
            broken.append(target)
    assert not broken, f"{page.relative_to(ROOT)} links to missing files: {broken}"


def test_the_readme_links_the_guide_and_the_moved_pages():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    guide = sorted(p.name for p in (ROOT / "docs" / "guide").glob("*.md"))
    assert len(guide) >= 6
    for name in guide:
        assert f"docs/guide/{name}" in readme, f"the README does not link docs/guide/{name}"
    for page in ("docs/how-checks-judge.md", "docs/benchmarks.md", "docs/grading-details.md", "CONTRIBUTING.md"):
        assert f"]({page})" in readme
