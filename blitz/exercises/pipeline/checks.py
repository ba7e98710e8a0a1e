"""The capstone: the student's whole pipeline on real MNIST, scored on the trusted side.

Calibration (README, "The accuracy bar"; benchmarks/calibrate_bar.py, benchmarks/results/calibration.json):
trained for EPOCHS = 2 epochs on the 5,000-image class-balanced subset, the reference reaches 0.942-0.959
on the 10,000 official test images over seeds 0-4 (at least BAR + 0.032), a correct CNN whose layers are
made in another order (another random start) 0.933-0.954. Loops without optimizer.step, backward or
zero_grad, SGD instead of Adam, an unshuffled training loader, a ReLU on the logits and conv layers kept
in a plain list (never trained) stay below BAR on every seed (at most 0.879). A CNN without its ReLUs or
with an average pool still reaches 0.92-0.96: model.cnn_function catches those, not this bar.

Trusted evidence: the student's process sends back the trained weights, and this process loads them
into the reference CNN (model.cnn_function proves the student's network computes the same function
with the same weights) and scores it on the test images under the reference transform
(data.transform proves the student's equal), against labels the worker never sees. A forward pass
that does something else in the student's process (a nearest-neighbour lookup) counts for nothing.
"""

from __future__ import annotations

from pathlib import Path

import torch

from blitz.course import mnist, registry
from blitz.course.i18n import Msg, joined, tr
from blitz.course.text import points
from blitz.engine.check import CheckFailure, check, fail
from blitz.engine.compare import expect_finite, kind_of
from blitz.engine.fixtures import assign_by_shape
from blitz.engine.reference import expected_folder, reference
from blitz.exercises.pipeline import probes

EPOCHS = 2
BAR = 0.91
MAX_TRAIN_IMAGES = mnist.CHECK_TRAIN_IMAGES


# Partial credit (README, "The capstone's curve"): linear from chance to the bar, the share of the
# capstone's points a run below the bar earns; at or above the bar the check passes (all the points).
CHANCE = 0.10
# The student's evaluate.accuracy is a fifth of the capstone: a wrong one costs that share of the points.
EVALUATE_SHARE = 0.2


def curve(accuracy: float) -> float:
    """The share of the points earned at `accuracy`: 0 at chance (10%) or below, 1 at the bar (91%) or above,
    linear between; NaN earns nothing."""
    if not accuracy == accuracy:  # NaN
        return 0.0
    return min(max((accuracy - CHANCE) / (BAR - CHANCE), 0.0), 1.0)


MIN_AGREEMENT = 0.98  # the worker's and this process's predictions of the slice (layouts round differently)


def _test_split(root: str):
    """Decoded from the raw files under root each time (no cache file that something else could write)."""
    from torchvision import datasets

    return datasets.MNIST(root, train=False)


def true_test_labels(root: str) -> torch.Tensor:
    return _test_split(root).targets.clone()


def reference_inputs(root: str) -> torch.Tensor:
    """The test images as the reference transform makes them: ToTensor (uint8 / 255), then
    Normalize(0.5, 0.5); the same float32 operations, for all 10,000 images at once."""
    images = _test_split(root).data
    return images.to(torch.float32).div(255).sub(0.5).div(0.5).unsqueeze(1)


def trusted_predictions(weights, root: str) -> tuple[torch.Tensor | None, list[Msg]]:
    """The reference CNN with the student's trained weights, run here on the test images: (the
    predicted classes, or None; what kept the weights from fitting)."""
    from blitz.exercises.pipeline import fastpath

    net = reference("model").CNN()
    expected = len(list(net.parameters()))
    if not isinstance(weights, list) or not all(isinstance(w, torch.Tensor) for w in weights):
        got = kind_of(weights)
        return None, [tr("the trained model's parameters came back as {got}", got=got)]
    if len(weights) != expected:
        return None, [
            tr(
                "{len_weights} parameter tensors instead of the course CNN's {expected}",
                len_weights=len(weights),
                expected=expected,
            )
        ]
    misfits = assign_by_shape(net, [w.detach().cpu().to(torch.float32) for w in weights])
    problems = [
        tr("shape {shape}: {count} parameters of this shape", shape=shape, count=count) for shape, count in misfits
    ]
    shapes = sorted(tuple(w.shape) for w in weights)
    if len(set(shapes)) != len(shapes):
        problems.append(tr("two parameters of the same shape"))
    if problems:
        return None, problems
    x = reference_inputs(root)
    # As the worker used to predict: the cores shared among Python threads, weights stored channels-last.
    workers = fastpath.eval_workers(fastpath.grading_threads())
    fastpath.use_channels_last(net, x[:8])
    with fastpath.settings("cpu"):
        return fastpath.predict_tensor(net, x, workers=workers), []


def _kit_predictions(predictions, labels: torch.Tensor) -> tuple[torch.Tensor | None, list[Msg]]:
    """The predictions the kit made in the student's process (a release's self-check)."""
    if isinstance(predictions, torch.Tensor) and predictions.shape == labels.shape:
        return predictions.cpu(), []
    got = kind_of(predictions)
    return None, [tr("the predictions came back as {got}, not 10,000 classes", got=got)]


STAND_IN = tr(
    "Your CNN fails the model checks, so the course's reference CNN was trained in its place to score your data, training loop and evaluation (the model's bug costs the model checks' points only)."
)


def course_cnn_stands_in(sub, ctx) -> bool:
    """Whether the reference CNN trains in the student's place: it does when their CNN does not compute
    what the reference computes with the same weights (model.cnn_function's own comparison, run here first
    on its own seed, so a release replays it from the same recorded values). The trained weights are scored
    in the reference CNN, so a CNN that computes something else cannot be scored; the rest of the pipeline
    still can, and one bug costs its own points only."""
    from blitz.engine.student_code import StudentError
    from blitz.exercises.model.checks import check_cnn_function

    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(ctx.seed)
            check_cnn_function(sub, ctx)
    except CheckFailure:
        return True
    except StudentError as error:
        if error.kind not in ("raised", "import"):  # a time-out or a crash: the budget or the worker is gone
            raise
        return True
    return False


def _require_train_size(result: dict, root: str, call: str) -> None:
    if not isinstance(result["train_size"], int) or result["train_size"] > MAX_TRAIN_IMAGES:
        # On a full download the probe takes the balanced subset itself; it can only refuse a training
        # dataset that is not the split on disk (another length), whose subset it cannot know.
        loaded = result.get("loaded_train_size")
        zh_gave, en_gave = (
            (
                f"给了 {loaded} 张图，和 {root} 里训练集的图数不一样",
                f"gave {loaded} images, not the number in the training split under {root}",
            )
            if isinstance(loaded, int)
            else ("返回的数据集没有长度（len() 不能用）", "returned a dataset without a length (len() fails)")
        )
        fail(
            call=call,
            observed=tr("load_mnist(root, train=True) {en_gave}.", en_gave=en_gave, zh_gave=zh_gave),
            expected=tr(
                "torchvision's MNIST training split as it is; the check takes its fixed, class-balanced {MAX_TRAIN_IMAGES:,}-image subset itself.",
                MAX_TRAIN_IMAGES=MAX_TRAIN_IMAGES,
            ),
        )


@check(
    "pipeline",
    tr("accuracy on real MNIST (your data, model, training and evaluation)"),
)
def check_mnist_accuracy(sub, ctx):
    root = str(mnist.require(Path(ctx.data_root) if ctx.data_root else None))
    stand_in = course_cnn_stands_in(sub, ctx)
    try:
        note = _score_pipeline(sub, ctx, root, stand_in)
    except CheckFailure as failure:
        if stand_in:
            raise CheckFailure(failure.msg + tr("\n") + STAND_IN, failure.credit) from None
        raise
    return note + tr("\n") + STAND_IN if stand_in else note


def _score_pipeline(sub, ctx, root: str, stand_in: bool) -> Msg:
    """Train the student's pipeline (with the reference CNN when `stand_in`), score it here, and say how it did."""
    epochs = ctx.epochs or EPOCHS
    child_root = ctx.capstone.worker_data_root if ctx.capstone else root
    call = f"fit(CNN(), make_loaders(load_mnist(...)), epochs={epochs}, lr=1e-3)"
    # A student release has no reference code to score the weights with. There the check is the
    # student's own self-check, no trust boundary: the kit's predictions made in their process count.
    self_check = expected_folder() is not None
    extra = {"predict": True} if self_check else {}
    if stand_in:
        extra["course_cnn"] = True
    result = probes.pipeline(sub, child_root, epochs, ctx.seed, 50, ctx.device, **extra)
    labels = true_test_labels(root)
    # In a grading sandbox (ctx.capstone) the worker sees shuffled test labels: it cannot learn the answers from disk.
    seen_labels = ctx.capstone.labels_seen if ctx.capstone else labels
    _require_train_size(result, root, call)
    if self_check:
        predictions, problems = _kit_predictions(result.get("predictions"), labels)
    else:
        predictions, problems = trusted_predictions(result["weights"], root)
    if predictions is None:
        fail(
            call=call,
            observed=tr("the trained parameters do not fit the course's CNN:") + joined(problems, tr("; ")),
            expected=tr("the course's three layers (see the model checks)"),
        )
    accuracy = (predictions == labels).float().mean().item()
    losses_text = _losses_text(result["losses"])
    evaluation = _evaluation(result, predictions, seen_labels)
    credit = 0.0 if evaluation == "broken" else curve(accuracy) * (1 - EVALUATE_SHARE if evaluation == "wrong" else 1)
    _require_bar(accuracy, losses_text, call, credit, evaluation == "wrong")
    _check_student_accuracy(result, predictions, seen_labels, accuracy)
    return accuracy_note(accuracy, losses_text) + tr("; ") + points_msg(1.0)


def accuracy_note(accuracy: float, losses_text: str) -> Msg:
    """What a pass says: the accuracy, the bar and the losses (shown by `blitz check` and `blitz watch`)."""
    return tr(
        "test accuracy {accuracy:.2%} (at least {BAR:.0%} needed), losses per epoch [{losses_text}]",
        accuracy=accuracy,
        BAR=BAR,
        losses_text=losses_text,
    )


def points_msg(credit: float, wrong_evaluation: bool = False) -> Msg:
    """The points a run below the bar earns on the curve, and the curve itself."""
    worth = registry.get("pipeline").points
    earned = points(round(worth * credit, 2))
    values = {"earned": earned, "worth": worth, "CHANCE": CHANCE, "BAR": BAR, "EVALUATE_SHARE": EVALUATE_SHARE}
    if wrong_evaluation:
        return tr(
            "points: {earned} of {worth} (on the curve: {CHANCE:.0%} accuracy or less earns 0, {BAR:.0%} or more "
            "all, linear between); evaluate.accuracy is wrong, which costs {EVALUATE_SHARE:.0%} of them.",
            **values,
        )
    return tr(
        "points: {earned} of {worth} (on the curve: {CHANCE:.0%} accuracy or less earns 0, {BAR:.0%} or more all, "
        "linear between).",
        **values,
    )


def _losses_text(losses) -> str:
    if isinstance(losses, list) and all(isinstance(v, float) for v in losses):
        return ", ".join(f"{v:.3f}" for v in losses)
    return kind_of(losses)


def _require_bar(accuracy: float, losses_text: str, call: str, credit: float, wrong_evaluation: bool) -> None:
    if not accuracy >= BAR:  # not `<`: a NaN accuracy fails too
        fail(
            credit=credit,
            call=call,
            what=tr("then the trained CNN on the 10,000 test images"),
            observed=tr(
                "test accuracy {accuracy:.2%}, losses per epoch [{losses_text}]",
                accuracy=accuracy,
                losses_text=losses_text,
            ),
            expected=tr("at least {BAR:.0%}; ", BAR=BAR) + points_msg(credit, wrong_evaluation),
            hint=tr(
                "usual causes: a training loop missing a step (zero_grad, backward or step), a training loader that does not shuffle, layers kept in a plain Python list (PyTorch never sees them, so they never train), an activation after the output layer. Run `blitz report` to see the loss curve."
            ),
        )


def _evaluation(result: dict, predictions: torch.Tensor, seen_labels: torch.Tensor) -> str:
    """How the student's evaluate.accuracy did on its slice, without failing: "broken" (the answer is
    incomplete, or the worker's model is not the one whose weights came back: no credit), "wrong" (their
    accuracy is not the kit's count on the labels the worker saw) or "ok"."""
    n, worker, got = result["subset"], result["subset_predictions"], result["student_subset_accuracy"]
    if not isinstance(n, int) or not 0 < n <= len(predictions) or not isinstance(worker, torch.Tensor):
        return "broken"
    if worker.shape != (n,) or (worker.cpu() == predictions[:n]).float().mean().item() < MIN_AGREEMENT:
        return "broken"
    expected = (worker.cpu() == seen_labels[:n]).float().mean().item()
    return "ok" if isinstance(got, float) and abs(got - expected) <= 1e-6 else "wrong"


def _check_student_accuracy(
    result: dict, predictions: torch.Tensor, seen_labels: torch.Tensor, accuracy: float
) -> None:
    """The student's evaluate.accuracy on the first n test images (the labels the worker saw), against
    the kit's predictions of that slice made in the worker, which must agree with this process's."""
    n = result["subset"]
    call = "evaluate.accuracy(model, loader, device)"
    what = tr("with a loader of the first {n} test images", n=n)
    worker = result["subset_predictions"]
    if not isinstance(n, int) or not 0 < n <= len(predictions) or not isinstance(worker, torch.Tensor):
        fail(call=call, what=what, returned=kind_of(worker), expected=tr("a complete result"))
    agree = worker.shape == (n,) and (worker.cpu() == predictions[:n]).float().mean().item() >= MIN_AGREEMENT
    if not agree:
        fail(
            call=call,
            what=what,
            observed=tr("the model in your process and the parameters it sent back predict differently."),
            expected=tr("one and the same trained model."),
        )
    expected = (worker.cpu() == seen_labels[:n]).float().mean().item()
    got = result["student_subset_accuracy"]
    credit = 1 - EVALUATE_SHARE  # the rest of the pipeline cleared the bar
    try:
        expect_finite(got, call, what=what)
    except CheckFailure as failure:
        raise CheckFailure(failure.msg + tr("\n") + points_msg(credit, True), credit) from None
    if not isinstance(got, float) or abs(got - expected) > 1e-6:
        fail(
            credit=credit,
            call=call,
            what=what,
            returned=kind_of(got),
            expected=repr(expected),
            detail=tr("(your model's accuracy on the whole test set: {accuracy:.2%}) ", accuracy=accuracy)
            + points_msg(credit, True),
        )
