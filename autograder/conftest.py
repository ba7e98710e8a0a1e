"""The autograder: `pytest autograder` checks exercises/; `--submission PATH` checks another folder.

    pytest autograder                          # your own work in exercises/
    pytest autograder --submission solutions   # the reference: everything passes
    pytest autograder -k tensors               # one exercise
    pytest autograder --device cuda            # on the GPU (skipped where there is none)

Each test runs one check from blitz/exercises/<id>/checks.py; a failure prints what was called, what came
back and what was expected. The run ends with a score table, keyed by exercise id. Each exercise
runs once, in a fresh process with a time limit (blitz/execution/limits.py; BLITZ_TIME_LIMIT=SECONDS
replaces it): an endless loop or a crash fails the checks it hit, and the others still count.
This process never imports torch (blitz.engine.catalog reads the checks' declarations as text); the
warm worker does, while pytest collects.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from blitz.course import registry
from blitz.course.i18n import Msg, current_lang
from blitz.engine.catalog import Context
from blitz.frontends.pytest_plugin import RESULTS, EngineSubmission, printed_summary, score_lines


def pytest_addoption(parser):
    group = parser.getgroup("blitz")
    group.addoption("--submission", default="exercises", help="folder with the exercise modules (default: exercises)")
    group.addoption("--device", default="cpu", choices=["cpu", "cuda"], help="where models train (default: cpu)")
    group.addoption("--data", default=None, help="folder holding MNIST/raw (default: $BLITZ_DATA or data/)")
    group.addoption("--seed", default=0, type=int, help="seed of the random inputs (default: 0)")
    group.addoption(
        "--epochs", default=None, type=int, help="epochs of the MNIST check (default: the calibrated value)"
    )


def _resolve(folder: str) -> Path:
    for base in (Path.cwd(), registry.ROOT):
        path = (base / folder).resolve()
        if path.is_dir():
            return path
    raise pytest.UsageError(
        Msg(
            f"找不到提交的文件夹 {folder!r}（在当前目录和 {registry.ROOT} 下都没有）。",
            f"No submission folder {folder!r} (looked in the current directory and in {registry.ROOT}).",
        ).render()
    )


@pytest.fixture(scope="session")
def ctx(request) -> Context:
    device = request.config.getoption("--device")
    if device == "cuda" and not _cuda_available():
        pytest.skip("--device cuda: CUDA is not available on this machine / 这台机器没有可用的 CUDA")
    return Context(
        device=device,
        seed=request.config.getoption("--seed"),
        data_root=request.config.getoption("--data"),
        epochs=request.config.getoption("--epochs"),
    )


def _cuda_available() -> bool:
    import torch  # only for --device cuda

    return torch.cuda.is_available()


def pytest_configure(config):
    """The worker starts importing torch now, while pytest collects the tests."""
    if config.getoption("--submission", None) is None:
        return
    try:
        folder = _resolve(config.getoption("--submission"))
    except pytest.UsageError:
        return  # said again, as an error, when the first test asks for the submission
    config._blitz_submission = EngineSubmission(folder)
    config._blitz_submission.start()


def pytest_unconfigure(config):
    submission = getattr(config, "_blitz_submission", None)
    if submission is not None:
        submission.close()


@pytest.fixture(scope="session")
def submission(request) -> EngineSubmission:
    found = getattr(request.config, "_blitz_submission", None)
    return found if found is not None else EngineSubmission(_resolve(request.config.getoption("--submission")))


def pytest_terminal_summary(terminalreporter):
    if not RESULTS:
        return
    lang = current_lang()
    terminalreporter.section(Msg("得分", "Score").render(lang))
    for line in score_lines(RESULTS, lang):
        terminalreporter.write_line(line)
    printed_summary(terminalreporter.write_line, lang)


def pytest_collection_modifyitems(items):
    """Run the exercises in the course's order, not alphabetically."""
    order = {f"test_{e.id}.py": i for i, e in enumerate(registry.EXERCISES)}
    items.sort(key=lambda item: order.get(item.path.name, len(order)))
