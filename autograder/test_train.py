"""Checks for exercises/train.py: Training: Adam, cross-entropy and the training loop / 训练：Adam、交叉熵与训练循环.

Generated from the registry by `blitz generate`; the checks live in blitz/exercises/train/checks.py, shared
with notebooks and `blitz grade`.
"""

import pytest

from blitz.engine.catalog import check_refs
from blitz.frontends.pytest_plugin import run_as_test


@pytest.mark.parametrize("check", check_refs("train"), ids=lambda c: c.name)
def test_train(check, submission, ctx):
    run_as_test(check, submission, ctx)
