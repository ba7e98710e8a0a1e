"""Checks for exercises/extras.py: Extras: conv and recurrent layers, view/permute, the loss table / 选读：卷积与循环层、view/permute、损失函数表.

Generated from the registry by `blitz generate`; the checks live in blitz/exercises/extras/checks.py, shared
with notebooks and `blitz grade`.
"""

import pytest

from blitz.engine.catalog import check_refs
from blitz.frontends.pytest_plugin import run_as_test


@pytest.mark.parametrize("check", check_refs("extras"), ids=lambda c: c.name)
def test_extras(check, submission, ctx):
    run_as_test(check, submission, ctx)
