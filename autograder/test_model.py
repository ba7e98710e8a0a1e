"""Checks for exercises/model.py: Model: a CNN of two conv blocks and a linear layer / 模型：两个卷积块加一个全连接层的 CNN.

Generated from the registry by `blitz generate`; the checks live in blitz/exercises/model/checks.py, shared
with notebooks and `blitz grade`.
"""

import pytest

from blitz.engine.catalog import check_refs
from blitz.frontends.pytest_plugin import run_as_test


@pytest.mark.parametrize("check", check_refs("model"), ids=lambda c: c.name)
def test_model(check, submission, ctx):
    run_as_test(check, submission, ctx)
