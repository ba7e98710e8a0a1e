"""Checks for exercises/pipeline.py: End to end: your data, model, training and evaluation on real MNIST / 全流程：你的数据、模型、训练与评估在真实 MNIST 上跑一遍.

Generated from the registry by `blitz generate`; the checks live in blitz/exercises/pipeline/checks.py, shared
with notebooks and `blitz grade`.
"""

import pytest

from blitz.engine.catalog import check_refs
from blitz.frontends.pytest_plugin import run_as_test


@pytest.mark.parametrize("check", check_refs("pipeline"), ids=lambda c: c.name)
def test_pipeline(check, submission, ctx):
    run_as_test(check, submission, ctx)
