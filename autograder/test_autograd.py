"""Checks for exercises/autograd.py: Autograd: backward, external gradients, retain_graph, the update rule / 自动求导：backward、外部梯度、retain_graph 与参数更新.

Generated from the registry by `blitz generate`; the checks live in blitz/exercises/autograd/checks.py, shared
with notebooks and `blitz grade`.
"""

import pytest

from blitz.engine.catalog import check_refs
from blitz.frontends.pytest_plugin import run_as_test


@pytest.mark.parametrize("check", check_refs("autograd"), ids=lambda c: c.name)
def test_autograd(check, submission, ctx):
    run_as_test(check, submission, ctx)
