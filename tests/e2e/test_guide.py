"""The instructor guide's commands run as written (issue 23: "the guide's commands run as written in a test").

Every shell block of docs/guide/*.md preceded by `<!-- run -->` (or `<!-- run; creates: PATH ... -->`) runs
in a fresh bash, in one temporary folder shared by the whole guide, page after page in the order of
docs/guide/index.md's table and block after block in page order: `blitz`, `dask`, `nbgrader` and `python`
come first on PATH (this venv's bin), `$BLITZ_KIT` is the kit's checkout, `$BLITZ_DATA` comes from the
environment. Each block must exit 0 and leave the files its marker names. The blocks that are not run
(set-up, several machines, Gradescope's upload) still have every `blitz ...` line parsed by blitz's own
argument parser, so an example with an option that does not exist fails.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from blitz.cli import build_parser
from blitz.course import registry

GUIDE = registry.ROOT / "docs" / "guide"
BIN = Path(sys.executable).parent
BLOCK = re.compile(r"(?:<!-- (run)(?:; creates: (?P<creates>[^>]*?))? -->\s*\n)?```bash\n(?P<body>.*?)```", re.S)

pytestmark = [
    pytest.mark.slow,  # nbgrader and a Dask cluster: about two minutes; part of `make test`, not `make check`
    pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed: the guide grades in it"),
]


def pages() -> list[str]:
    """The guide's pages in the order of index.md's table (the later pages use the practice class)."""
    return re.findall(r"^\| \[[^]]+\]\(([a-z-]+\.md)\)", (GUIDE / "index.md").read_text(encoding="utf-8"), re.M)


def blocks(page: str) -> list[tuple[bool, list[str], str]]:
    """(runnable, the files it creates, the commands) of each bash block of a page."""
    text = (GUIDE / page).read_text(encoding="utf-8")
    return [(m.group(1) == "run", (m.group("creates") or "").split(), m.group("body")) for m in BLOCK.finditer(text)]


def test_the_guide_has_its_pages_and_runnable_blocks():
    assert pages() == ["local-grading.md", "nbgrader.md", "gradescope.md", "dask.md", "security.md"]
    for page in pages():
        assert any(run for run, _, _ in blocks(page)), f"{page} has no runnable block"
    # No placeholder is left, and the course's rules are described with runnable blocks.
    local = (GUIDE / "local-grading.md").read_text(encoding="utf-8")
    assert "TODO" not in local and "--late-penalty" in local and "--student" in local


def test_every_blitz_example_parses():
    parser = build_parser()
    seen = 0
    for page in ["index.md", *pages()]:
        for _, _, body in blocks(page):
            for line in body.splitlines():
                words = shlex.split(line, comments=True)
                if words[:1] != ["blitz"] or any("$" in w for w in words):
                    continue
                seen += 1
                try:
                    parser.parse_args(words[1:])
                except SystemExit as exc:
                    pytest.fail(f"{page}: `{line.strip()}` is refused by blitz's parser (exit {exc.code})")
    assert seen >= 6


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("guide")


def _env() -> dict[str, str]:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", BLITZ_KIT=str(registry.ROOT))
    env["BLITZ_LANG"] = "en"
    env.pop("LC_ALL", None)
    return env


@pytest.mark.parametrize("page", pages())
def test_the_pages_commands_run_as_written(page, workspace):
    runnable = [(creates, body) for run, creates, body in blocks(page) if run]
    for creates, body in runnable:
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", body],
            cwd=workspace,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=540,
        )
        assert done.returncode == 0, (
            f"{page}: this block exited {done.returncode}:\n{body}\n{done.stdout}\n{done.stderr}"
        )
        missing = [path for path in creates if not (workspace / path).is_file()]
        assert not missing, f"{page}: the block did not create {missing}:\n{body}\n{done.stdout}\n{done.stderr}"
