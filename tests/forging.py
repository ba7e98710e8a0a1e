"""The reference solutions with their probe answers rewritten: the harness of the forged-answer and
forged-claim suites (tests/corpora/test_forged_answers.py, test_forged_claims.py)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from blitz.course import registry
from blitz.probes.local import LocalSubmission

Honest = dict[tuple[str, int], Any]  # (check key, call number) -> the reference's answer


class Rewritten(LocalSubmission):
    """The reference solutions, whose every probe answer goes through `rewrite(probe name, answer)` (None:
    the honest answer). Each honest answer is computed once per (check, call) and kept in `honest`; every
    rewrite gets a deep copy of it."""

    def __init__(self, key: str, rewrite: Callable[[str, Any], Any] | None, honest: Honest):
        super().__init__(registry.ROOT / "solutions")
        self.key, self.rewrite, self.honest, self.calls = key, rewrite, honest, 0

    def probe(self, name: str, *args: Any, **kwargs: Any) -> Any:
        slot = (self.key, self.calls)
        self.calls += 1
        if slot not in self.honest:
            self.honest[slot] = super().probe(name, *args, **kwargs)
        answer = copy.deepcopy(self.honest[slot])
        return answer if self.rewrite is None else self.rewrite(name, answer)
