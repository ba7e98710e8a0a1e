"""Checks for exercises/data.py: Data: MNIST with torchvision, ToTensor/Normalize, DataLoader / 数据：torchvision 的 MNIST、ToTensor/Normalize 与 DataLoader.

Generated from the registry by `blitz generate`; the checks live in blitz/exercises/data/checks.py, shared
with notebooks and `blitz grade`.
"""

import pytest

from blitz.engine.catalog import check_refs
from blitz.frontends.pytest_plugin import run_as_test


@pytest.mark.parametrize("check", check_refs("data"), ids=lambda c: c.name)
def test_data(check, submission, ctx):
    run_as_test(check, submission, ctx)
