"""nbgrader's read-only-cell check, without its false alarm on test cells that hold hidden tests.

When `nbgrader autograde` reads a submission, its ``OverwriteCells`` compares each read-only cell
with the checksum kept in the gradebook and warns "Attribute 'checksum' for cell test_... has
changed!" when they differ, then puts the instructor's version back. But `nbgrader
generate_assignment` stores that checksum *before* it clears the hidden tests (the released cell is
shorter), so every test cell of blitz's notebooks (each runs its check once more with a hidden
seed) is reported as changed even in a notebook handed in untouched: 12 false warnings for
`tensors` (nbgrader issue #1961), which bury the real ones.

:class:`OverwriteCells` first recognises a grade cell that is exactly what the students were given
(the instructor's source with nbgrader's own hidden-test region removed) and restores the hidden
tests quietly, as nbgrader would have; then nbgrader's check runs as before. So a cell that differs
from the released one in any way, a tampered test cell, is still reported and still overwritten.

`blitz course` writes an nbgrader_config.py that uses it (:func:`sanitize_preprocessors`), so a
plain `nbgrader autograde` in the course directory gets it. This module imports nbgrader: it is
loaded by nbgrader's own process, never by the `blitz` command.
"""

from __future__ import annotations

import copy

from nbgrader import utils
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import CheckCellMetadata, ClearHiddenTests, ClearOutput, DeduplicateIds, OverwriteKernelspec
from nbgrader.preprocessors import OverwriteCells as NbgraderOverwriteCells


class OverwriteCells(NbgraderOverwriteCells):
    """nbgrader's OverwriteCells that takes an untouched released test cell for what it is."""

    def released_source(self, cell, source: str) -> str:
        """`source` as `nbgrader generate_assignment` released it: the hidden-test region removed."""
        released = copy.deepcopy(cell)
        released.source = source
        # The course's configured delimiters apply here too (the config is passed on).
        ClearHiddenTests(config=self.config).preprocess_cell(released, {}, 0)
        return released.source

    def preprocess_cell(self, cell, resources, cell_index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is not None and utils.is_grade(cell) and utils.is_locked(cell):
            try:
                original = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
            except MissingEntry:
                original = None  # nbgrader says so below
            if (
                original is not None
                and original.locked
                and cell.cell_type == original.cell_type
                and cell.source != original.source
                and cell.source == self.released_source(cell, original.source)
            ):
                cell.source = original.source
        return super().preprocess_cell(cell, resources, cell_index)


def sanitize_preprocessors() -> list:
    """nbgrader 0.9's `Autograde.sanitize_preprocessors`, with :class:`OverwriteCells` in its place."""
    return [ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata]
