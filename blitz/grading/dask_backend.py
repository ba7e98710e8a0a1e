"""`blitz grade --dask ADDRESS`: the same per-submission grading, on a Dask cluster.

Each task grades one submission with :func:`blitz.grading.runner.grade_submission`, exactly what a
local pool process runs: the Dask worker starts the sandboxes itself, on its own machine, and
returns the record; this client writes every report. The workers need the kit installed, the
submissions and the MNIST folder at the same paths (a shared filesystem), and bubblewrap, as a
local run (without it their sandboxes refuse to start unless --unsafe-no-sandbox was given). Torch threads per sandbox: the worker's physical
cores divided by its number of task threads (`dask worker --nthreads`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from blitz.course.i18n import Msg, tr
from blitz.engine.results import SubmissionResult
from blitz.grading.discover import Target
from blitz.grading.runner import Options, grade_submission, grader_error_record


class DaskUnavailable(RuntimeError):
    def __init__(self, msg: Msg):
        self.msg = msg
        super().__init__(msg.en)


def connect(address: str, timeout: float = 10.0):
    try:
        from distributed import Client
    except ImportError:
        raise DaskUnavailable(tr("dask[distributed] is not installed: pip install 'blitz[dask]'.")) from None
    try:
        return Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        raise DaskUnavailable(
            tr("Cannot reach the Dask scheduler at {address}: {exc}", address=address, exc=exc)
        ) from None


def run_on_dask(
    address: str, targets: list[Target], options: Options, on_done: Callable[[SubmissionResult], None]
) -> None:
    from distributed import as_completed

    client = connect(address)
    try:
        batch = uuid.uuid4().hex[:8]
        futures = {
            client.submit(grade_submission, t, options, pure=False, key=f"blitz-grade-{batch}-{i}"): t
            for i, t in enumerate(targets)
        }
        for future in as_completed(futures):
            target = futures[future]
            try:
                record = future.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker must not lose the batch
                record = grader_error_record(target, options, exc, on_dask=True)
            on_done(record)
    finally:
        client.close()
