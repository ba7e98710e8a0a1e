"""The kit's tests in three tiers, by folder: unit/ (in process), e2e/ (commands, workers, sandboxes,
nbgrader, the browser), corpora/ (the mutants and the adversarial suites).

The helpers the tiers share sit here in tests/ and are imported by name (`import kit`, `import hostile`,
`import mutants`): this folder goes on sys.path before any test module is imported.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

TIERS = ("unit", "e2e", "corpora")


def pytest_collection_modifyitems(config, items):
    """Each test carries its folder's tier as a marker (`-m unit`, `-m "not corpora"`)."""
    for item in items:
        parts = Path(str(item.path)).resolve().relative_to(HERE).parts
        if parts and parts[0] in TIERS:
            item.add_marker(parts[0])
