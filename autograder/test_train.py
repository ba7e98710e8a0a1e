"""Checks for exercises/train.py: Training: Adam, cross-entropy and the training loop / 训练：Adam、交叉熵与训练循环.

Generated from the registry by `blitz generate`; the checks live in blitz/checks/train.py, shared
with notebooks and `blitz grade`.
"""

import pytest

from blitz.checks import checks_for
from blitz.frontends.pytest_plugin import run_as_test


@pytest.mark.parametrize("check", checks_for("train"), ids=lambda c: c.name)
def test_train(check, submission, ctx):
    run_as_test(check, submission, ctx)
