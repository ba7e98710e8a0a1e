"""Checks for the whole pipeline: End to end: your data, model, training and evaluation on real MNIST / 全流程：你的数据、模型、训练与评估在真实 MNIST 上跑一遍.

The checks themselves live in blitz/checks/pipeline.py, shared with notebooks and `blitz grade`.
"""

import pytest

from blitz.autograde import run_as_test
from blitz.checks import checks_for


@pytest.mark.parametrize("check", checks_for("pipeline"), ids=lambda c: c.name)
def test_pipeline(check, submission, ctx):
    run_as_test(check, submission, ctx)
