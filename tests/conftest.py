"""The kit's tests in three tiers, by folder: unit/ (in process), e2e/ (commands, workers, sandboxes,
nbgrader, the browser), corpora/ (the mutants and the adversarial suites).

The helpers the tiers share sit here in tests/ and are imported by name (`import kit`, `import hostile`,
`import mutants`): this folder goes on sys.path before any test module is imported.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

TIERS = ("unit", "e2e", "corpora")


def pytest_collection_modifyitems(config, items):
    """Each test carries its folder's tier as a marker (`-m unit`, `-m "not corpora"`). For `pytest -n`
    (`--dist loadgroup`, `make test`), a test module is one group unless its tests name another with
    `pytest.mark.xdist_group`: one worker runs it, so its module-scoped fixtures (a class graded once,
    MNIST trained once) are built once. Groups holding slow tests go first, so that no long group is
    left to start when the other worker has run out of work."""
    for item in items:
        parts = Path(str(item.path)).resolve().relative_to(HERE).parts
        if parts and parts[0] in TIERS:
            item.add_marker(parts[0])
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(Path(*parts).with_suffix("").as_posix()))
    slow: set[str] = set()
    for item in items:
        if item.get_closest_marker("slow") is not None:
            slow.add(_group(item))
    first = {}
    for index, item in enumerate(items):
        first.setdefault(_group(item), index)
    items.sort(key=lambda item: (_group(item) not in slow, first[_group(item)]))


def _group(item) -> str:
    marker = item.get_closest_marker("xdist_group")
    return str(marker.kwargs.get("name", marker.args[0] if marker.args else "")) if marker else ""
