"""`blitz report`: train the student's own pipeline and draw what the model learned.

The student's ``data`` functions load MNIST (from :func:`blitz.course.mnist.require`), their ``model.CNN``
is trained by their ``train.fit``, and the kit then predicts the official test split and writes:

- ``loss_curve.png``: the training loss of every batch;
- ``misclassified.png``: the first misclassified test digits, each captioned "true T / pred P";
- ``report.json``: the numbers behind both (accuracy, per-batch losses, every test prediction,
  the indices of the misclassified digits), so the pictures can be checked.

How the per-batch loss is measured (``fit`` makes its own loss function, which the kit cannot see):
the training loader handed to ``fit`` is wrapped. The wrapper is a plain iterable with ``len()``
that forwards every other attribute (``.dataset``, ``.batch_size``...) to the student's loader; as
it hands out a batch it remembers the labels, and a forward hook on the model computes
``cross_entropy(output, labels)`` on the first output of that batch, without gradient. That is the
loss of the batch before its update, the same number as the student's loss if they use
``nn.CrossEntropyLoss()`` as the exercise asks. A ``fit`` that runs the model twice per batch is
recorded once per batch; one that ignores the loader it is given records nothing (and is told so).
The wrapper also advances a progress bar on stderr, with the running loss of the epoch.

If the student's code fails, the report names the exercise to fix (the file holding the failing
line, else the step that was running) and shows the student's own frames only, never the kit's.

The training runs in a fresh child of the warm worker (:mod:`blitz.execution`, :func:`train_job`), with
the capstone's time limit (x1.5 for the predictions) and output caps: an endless loop, os._exit or
a segfault in the student's code ends the report with a message naming the step, not a hang.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

import torch

from blitz.course import registry
from blitz.course.i18n import Msg, current_lang, tr
from blitz.course.progress import epoch_bar
from blitz.engine.student_code import StudentError, StudentModules, announce
from blitz.student.paths import shown_path
from blitz.student.render import FAIL_MARK, OK_MARK, label, out

DEFAULT_OUT = registry.ROOT / ".blitz" / "report"
BATCH_SIZE = 50
LEARNING_RATE = 1e-3
GRID_ITEMS = 64


class ReportFailure(Exception):
    def __init__(self, exercise_id: str, error: StudentError | None = None, msg: Msg | None = None):
        self.exercise_id = exercise_id
        self.error = error
        self.msg = msg
        super().__init__(exercise_id)


def _blamed(exc: BaseException, files: set[str], fallback: str) -> str:
    """The exercise whose file holds the deepest student frame: a shape error raised inside fit
    but written in model.py is model's to fix."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        path = Path(frame.filename).resolve()
        if str(path) in files and path.stem in registry.BY_ID:
            return path.stem
    return fallback


def run_student(mods: StudentModules, exercise_id: str, func, *args, **kwargs):
    """Call into the student's code (directly, or through the kit's helpers that call it)."""
    announce(f"{exercise_id}.{getattr(func, '__name__', 'code')}")
    try:
        return func(*args, **kwargs)
    except StudentError as error:  # an import failure or a missing function
        raise ReportFailure(exercise_id, error) from None
    except BaseException as exc:  # noqa: BLE001 - the student's code may raise anything
        if isinstance(exc, KeyboardInterrupt):
            raise
        blamed = _blamed(exc, mods.files, exercise_id)
        raise ReportFailure(blamed, StudentError.from_exception(exc, mods.files)) from None


def student_function(mods: StudentModules, exercise_id: str, name: str):
    from blitz.engine.probing import function

    return run_student(mods, exercise_id, function, mods, exercise_id, name)


class RecordingLoader:
    """The student's training loader, recording each batch's loss and driving a progress bar."""

    def __init__(self, loader, model: torch.nn.Module, epochs: int, stream=None):
        self.loader = loader
        self.stream = stream  # where the bar goes (None: stderr)
        self.epochs = epochs
        self.epoch = 0
        self.losses: list[float] = []
        self.epoch_starts: list[int] = []  # the index in `losses` of each epoch's first batch
        self._labels: torch.Tensor | None = None
        self._epoch_losses: list[float] = []
        self._hook = model.register_forward_hook(self._record)

    def __len__(self) -> int:
        return len(self.loader)

    def __getattr__(self, name: str):
        # Only called for attributes this wrapper lacks: the loader's dataset, batch_size, ...
        if name == "loader":
            raise AttributeError(name)
        return getattr(self.loader, name)

    def __iter__(self):
        self.epoch += 1
        self.epoch_starts.append(len(self.losses))
        self._epoch_losses = []
        try:
            total = len(self.loader)
        except TypeError:
            total = None
        progress = epoch_bar(total, self.epoch, self.epochs, self.stream)
        try:
            for batch in self.loader:
                labels = batch[1] if isinstance(batch, (list, tuple)) and len(batch) >= 2 else None
                self._labels = labels if isinstance(labels, torch.Tensor) else None
                yield batch
                self._labels = None
                running = sum(self._epoch_losses) / len(self._epoch_losses) if self._epoch_losses else float("nan")
                progress.update(1, postfix=f"loss {running:.4f}")
        finally:
            progress.close()

    def _record(self, module, inputs, output) -> None:
        labels = self._labels
        if (
            labels is None
            or not isinstance(output, torch.Tensor)
            or output.dim() != 2
            or output.shape[0] != len(labels)
        ):
            return
        self._labels = None  # once per batch: the first forward pass of it
        with torch.no_grad():
            loss = torch.nn.functional.cross_entropy(output.detach().float(), labels.to(output.device).long()).item()
        self.losses.append(loss)
        self._epoch_losses.append(loss)

    def detach(self) -> None:
        self._hook.remove()


def failure_text(failure: ReportFailure) -> Msg:
    from blitz.engine.feedback import student_error_message

    exercise = registry.get(failure.exercise_id)
    where = f"{exercise.id}.py"
    body = failure.msg
    if body is None and failure.error is not None:
        body, _ = student_error_message(failure.error, exercise.id)
    head = tr(
        "{FAIL_MARK} blitz report could not finish: the exercise to fix is {exercise_id} ({where}).\n",
        FAIL_MARK=FAIL_MARK,
        exercise_id=exercise.id,
        where=where,
    )
    tail = tr(
        "\nFix it, run `blitz check {exercise_id}` until it passes, then `blitz report` again. For a hint: `blitz hint {exercise_id}`.",
        exercise_id=exercise.id,
    )
    return head + (body or Msg("", "")) + tail


def train_and_predict(folder: Path, root: Path, epochs: int, device: str, seed: int, bar_stream=None) -> dict:
    """The student's pipeline, trained; the kit's predictions on the official test split."""
    from torchvision import datasets

    from blitz.exercises.pipeline.fastpath import predict_dataset, training_subset

    mods = StudentModules(folder)
    torch.manual_seed(seed)
    make_transform = student_function(mods, "data", "mnist_transform")
    load = student_function(mods, "data", "load_mnist")
    make_loaders = student_function(mods, "data", "make_loaders")
    transform = run_student(mods, "data", make_transform)
    train_set = run_student(mods, "data", load, str(root), True, transform)
    test_set = run_student(mods, "data", load, str(root), False, transform)
    train_set = training_subset(train_set, root)  # the capstone's 5,000 images, on a full download too
    loaders = run_student(mods, "data", make_loaders, train_set, test_set, BATCH_SIZE)
    official = datasets.MNIST(str(root), train=False)
    if not isinstance(loaders, (tuple, list)) or len(loaders) != 2:
        raise ReportFailure(
            "data",
            msg=tr(
                "make_loaders should return (train_loader, test_loader), not {loaders_type}.",
                loaders_type=type(loaders).__name__,
            ),
        )
    if len(test_set) != len(official):
        raise ReportFailure(
            "data",
            msg=tr(
                "load_mnist(root, train=False) gave {len_test_set:,} images; the test split has {len_official:,}.",
                len_test_set=len(test_set),
                len_official=len(official),
            ),
        )
    model = run_student(mods, "model", student_function(mods, "model", "CNN"))
    fit = student_function(mods, "train", "fit")
    recorder = RecordingLoader(loaders[0], model, epochs, bar_stream)
    try:
        run_student(mods, "train", fit, model, recorder, epochs, LEARNING_RATE, device)
    finally:
        recorder.detach()
    predictions = run_student(mods, "model", predict_dataset, model, test_set, device=device)
    targets = official.targets.clone()
    wrong = (predictions != targets).nonzero().flatten()
    return {
        "accuracy": float((predictions == targets).float().mean()),
        "correct": int((predictions == targets).sum()),
        "total": len(targets),
        "epochs": epochs,
        "batches_per_epoch": len(loaders[0]),
        "losses": recorder.losses,
        "epoch_starts": recorder.epoch_starts,
        "predictions": predictions.tolist(),
        "misclassified": wrong.tolist(),
        "device": device,
        "seed": seed,
        "submission": str(folder),
        "_images": official.data,
        "_targets": targets,
    }


def train_job(folder: str, root: str, epochs: int, device: str, seed: int) -> dict:
    """In the runner's child: the training and predictions as JSON, or which exercise failed."""
    from blitz.engine.results import msg_json
    from blitz.execution import child

    try:
        result = train_and_predict(Path(folder), Path(root), epochs, device, seed, child.KIT_STDERR)
    except ReportFailure as failure:
        error = failure.error.as_dict() if failure.error is not None else None
        return {"failure": {"exercise_id": failure.exercise_id, "error": error, "msg": msg_json(failure.msg)}}
    return {k: v for k, v in result.items() if not k.startswith("_")}


def train_in_child(folder: Path, root: Path, epochs: int, device: str, seed: int) -> dict:
    """:func:`train_job` in a fresh child of the warm worker; the student's prints, capped, shown after."""
    from torchvision import datasets

    from blitz.engine.results import msg_from
    from blitz.execution.limits import time_limit
    from blitz.execution.local import Engine
    from blitz.execution.stops import engine_msg
    from blitz.student.render import printed_block

    args = {"folder": str(folder), "root": str(root), "epochs": epochs, "device": device, "seed": seed}
    request = {"job": "blitz.student.report:train_job", "args": args, "label": "blitz report"}
    with Engine(label=str(folder), stderr=sys.stderr) as engine:
        answer = engine.wait(engine.submit(request, 1.5 * time_limit(registry.CAPSTONE.id, False, epochs)))
    printed = printed_block(answer.printed)
    if printed:
        out("\n".join(printed))
    if not answer.done:
        raise ReportFailure("train", msg=engine_msg(answer.why or answer.state.value))
    if answer.stopped is not None:  # a time-out or a crash: the step that was running is the one to fix
        step = answer.call.split(".")[0]
        raise ReportFailure(step if step in registry.BY_ID else "train", msg=answer.stopped)
    value = answer.value or {}
    if "failure" in value:
        failure = value["failure"]
        error = StudentError.from_dict(failure["error"]) if failure.get("error") else None
        raise ReportFailure(failure["exercise_id"], error, msg_from(failure.get("msg")))
    official = datasets.MNIST(str(root), train=False)
    return {**value, "_images": official.data, "_targets": official.targets.clone()}


def draw(result: dict, out_dir: Path, lang: str, grid_items: int = GRID_ITEMS) -> tuple[Path, Path]:
    """Both figures, in `lang` where a Chinese font allows (otherwise in English, and the student is told)."""
    from blitz.student import plots

    note = plots.font_note(lang)
    if note is not None:
        out(note, lang)
    # All of them go in, so the title can say "64 of 1031 shown"; the grid draws the first `grid_items`.
    wrong = torch.tensor(result["misclassified"], dtype=torch.long)
    predictions = torch.tensor(result["predictions"])
    loss_png = plots.draw_loss_curve(
        result["losses"], out_dir / "loss_curve.png", epoch_starts=result["epoch_starts"], lang=lang
    )
    grid_png = plots.draw_misclassified_grid(
        result["_images"][wrong],
        result["_targets"][wrong],
        predictions[wrong],
        out_dir / "misclassified.png",
        max_items=grid_items,
        title=tr("Misclassified test digits, accuracy {result_accuracy:.2%}", result_accuracy=result["accuracy"]),
        lang=lang,
    )
    return loss_png, grid_png


def report(
    folder: Path, out_dir: str | Path | None = None, epochs: int | None = None, device: str | None = None, seed: int = 0
) -> int:
    from blitz.course import mnist
    from blitz.exercises.pipeline.checks import EPOCHS

    try:
        root = mnist.require()
    except mnist.MnistMissing as missing:
        out(missing.msg, stream=sys.stderr)
        return 1
    epochs = epochs or EPOCHS
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    out_dir = Path(out_dir) if out_dir else DEFAULT_OUT
    out(
        tr(
            "Training your code from {shown_path_folder} on MNIST for {epochs} epoch(s) ({device}), then predicting the 10,000 test digits...",
            shown_path_folder=shown_path(folder),
            epochs=epochs,
            device=device,
        )
    )
    try:
        result = train_in_child(folder, root, epochs, device, seed)
    except ReportFailure as failure:
        out(failure_text(failure), stream=sys.stderr)
        return 1
    loss_png, grid_png = draw(result, out_dir, current_lang())
    (out_dir / "report.json").write_text(
        json.dumps({k: v for k, v in result.items() if not k.startswith("_")}), encoding="utf-8"
    )
    if not result["losses"]:
        out(tr("Note: fit() did not go through the train_loader it was given, so there is no per-batch loss to draw."))
    missed = len(result["misclassified"])
    out(
        tr(
            "{OK_MARK} Test accuracy {result_accuracy:.2%} ({result_correct:,}/{result_total:,}), {missed:,} misclassified.",
            OK_MARK=OK_MARK,
            result_accuracy=result["accuracy"],
            result_correct=result["correct"],
            result_total=result["total"],
            missed=missed,
        )
    )
    out("  " + label(tr("Loss curve")) + f": {shown_path(loss_png)}")
    out(
        "  "
        + label(
            tr("Misclassified digits (first {min_missed_grid_items})", min_missed_grid_items=min(missed, GRID_ITEMS))
        )
        + f": {shown_path(grid_png)}"
    )
    out("  " + label(tr("Numbers")) + f": {shown_path(out_dir / 'report.json')}")
    return 0


def compose_example(out_dir: Path, path: Path, lang: str, grid_rows: int = 3) -> Path:
    """The README's picture, from the report in `out_dir`: the loss curve above the first rows of
    the grid, in 256 colours."""
    import tempfile

    from PIL import Image
    from torchvision import datasets

    from blitz.course import mnist

    numbers = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
    official = datasets.MNIST(str(mnist.require()), train=False)
    result = dict(numbers, _images=official.data, _targets=official.targets)
    with tempfile.TemporaryDirectory() as tmp:
        loss_png, grid_png = draw(result, Path(tmp), lang, grid_items=8 * grid_rows)
        with Image.open(loss_png) as loss, Image.open(grid_png) as grid:
            canvas = Image.new("RGB", (max(loss.width, grid.width), loss.height + grid.height), (255, 255, 255))
            canvas.paste(loss.convert("RGB"), ((canvas.width - loss.width) // 2, 0))
            canvas.paste(grid.convert("RGB"), ((canvas.width - grid.width) // 2, loss.height))
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    return path


if __name__ == "__main__":  # python -m blitz.student.report docs/report-example.png  (from the reference, 1 epoch)
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/report-example.png")
    work = DEFAULT_OUT / "example"
    code = report(registry.ROOT / "solutions", out_dir=work, epochs=1, device="cpu")
    if code == 0:
        print(compose_example(work, target, current_lang()))
    sys.exit(code)
