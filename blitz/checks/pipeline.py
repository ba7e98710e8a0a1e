"""The capstone: the student's whole pipeline on real MNIST, scored on the trusted side.

Calibration (README, "The accuracy bar"; benchmarks/calibrate_bar.py, benchmarks/results/calibration.json):
trained for EPOCHS = 2 epochs on the 5,000-image class-balanced subset, the reference reaches 0.942-0.959
on the 10,000 official test images over seeds 0-4 (at least BAR + 0.032), a correct CNN whose layers are
made in another order (another random start) 0.933-0.954. Loops without optimizer.step, backward or
zero_grad, SGD instead of Adam, an unshuffled training loader, a ReLU on the logits and conv layers kept
in a plain list (never trained) stay below BAR on every seed (at most 0.879). A CNN without its ReLUs or
with an average pool still reaches 0.92-0.96: model.cnn_function catches those, not this bar.
"""

from __future__ import annotations

from pathlib import Path

import torch

from blitz.course import mnist
from blitz.course.i18n import Msg
from blitz.engine.check import check, fail
from blitz.engine.compare import kind_of

EPOCHS = 2
BAR = 0.91
MAX_TRAIN_IMAGES = mnist.CHECK_TRAIN_IMAGES


def true_test_labels(root: str) -> torch.Tensor:
    from torchvision import datasets

    return datasets.MNIST(root, train=False).targets.clone()


def accuracy_note(accuracy: float, losses_text: str) -> Msg:
    """What a pass says: the accuracy, the bar and the losses (shown by `blitz check` and `blitz watch`)."""
    return Msg(
        f"测试集准确率 {accuracy:.2%}（至少要 {BAR:.0%}），每轮损失 [{losses_text}]",
        f"test accuracy {accuracy:.2%} (at least {BAR:.0%} needed), losses per epoch [{losses_text}]",
    )


@check(
    "pipeline",
    "真实 MNIST 上的准确率（你的数据、模型、训练、评估）",
    "accuracy on real MNIST (your data, model, training and evaluation)",
)
def check_mnist_accuracy(sub, ctx):
    root = str(mnist.require(Path(ctx.data_root) if ctx.data_root else None))
    epochs = ctx.epochs or EPOCHS
    child_root = getattr(sub, "child_data_root", root)
    call = f"fit(CNN(), make_loaders(load_mnist(...)), epochs={epochs}, lr=1e-3)"
    predicting = Msg("，再预测 10,000 张测试图", "then predicting the 10,000 test images")
    result = sub.probe("pipeline", child_root, epochs, ctx.seed, 50, ctx.device)
    labels = true_test_labels(root)
    # In a grading sandbox the worker sees shuffled test labels, so it cannot learn the answers from disk.
    seen_labels = getattr(sub, "child_test_labels", labels)
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
            observed=Msg(f"load_mnist(root, train=True) {zh_gave}。", f"load_mnist(root, train=True) {en_gave}."),
            expected=Msg(
                f"原样返回 torchvision 的 MNIST 训练集；检查会从中取固定的、各类别均衡的 {MAX_TRAIN_IMAGES:,} 张。",
                "torchvision's MNIST training split as it is; the check takes its fixed, class-balanced "
                f"{MAX_TRAIN_IMAGES:,}-image subset itself.",
            ),
        )
    predictions = result["predictions"]
    if not isinstance(predictions, torch.Tensor) or predictions.shape != labels.shape:
        fail(
            call=call,
            what=predicting,
            returned=kind_of(predictions),
            expected=Msg("10,000 个类别", "10,000 classes"),
        )
    accuracy = (predictions.cpu() == labels).float().mean().item()
    losses = result["losses"]
    losses_text = (
        ", ".join(f"{v:.3f}" for v in losses)
        if isinstance(losses, list) and all(isinstance(v, float) for v in losses)
        else kind_of(losses)
    )
    if accuracy < BAR:
        fail(
            call=call,
            what=predicting,
            observed=Msg(
                f"测试集准确率 {accuracy:.2%}，每轮损失 [{losses_text}]",
                f"test accuracy {accuracy:.2%}, losses per epoch [{losses_text}]",
            ),
            expected=Msg(f"至少 {BAR:.0%}", f"at least {BAR:.0%}"),
            hint=Msg(
                "通常是训练循环少了一步（zero_grad、backward 或 step）、训练 loader 没有打乱、"
                "层放在普通的 Python 列表里（PyTorch 看不到，不会训练），或输出层后面多了激活函数。"
                "运行 `blitz report` 看损失曲线。",
                "usual causes: a training loop missing a step (zero_grad, backward or step), a training loader that "
                "does not shuffle, layers kept in a plain Python list (PyTorch never sees them, so they never train), "
                "an activation after the output layer. Run `blitz report` to see the loss curve.",
            ),
        )
    n = result["subset"]
    expected_subset = (predictions[:n].cpu() == seen_labels[:n]).float().mean().item()
    got = result["student_subset_accuracy"]
    if not isinstance(got, float) or abs(got - expected_subset) > 1e-6:
        fail(
            call="evaluate.accuracy(model, loader, device)",
            what=Msg(f"（loader 是前 {n} 张测试图）", f"with a loader of the first {n} test images"),
            returned=kind_of(got),
            expected=repr(expected_subset),
            detail=Msg(
                f"（你的模型在全部测试集上的准确率是 {accuracy:.2%}）",
                f"(your model's accuracy on the whole test set: {accuracy:.2%})",
            ),
        )
    return accuracy_note(accuracy, losses_text)
