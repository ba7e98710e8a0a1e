"""Common PyTorch errors, mapped to what they usually mean and the course section that teaches it.

The advice knows the chapter: an error in the tensors chapter is explained with tensors only, never
with the layers, loaders or optimizers of later chapters. Each error has one or more pieces of
advice, each from the chapter where it starts to apply; :func:`explain_error` picks the last one
that is not from a later chapter than the exercise's.
"""

from __future__ import annotations

import re

from blitz.course.error_stories import tell
from blitz.course.i18n import Msg
from blitz.course.registry import EXERCISES

# The chapters in the course's order, for "not a later chapter".
ORDER = tuple(exercise.id for exercise in EXERCISES)

Advice = tuple[tuple[str, Msg], ...]  # (first chapter it applies to, the hint), in chapter order

_MATMUL = (
    (
        "tensors",
        Msg(
            "这两个张量的形状不能做矩阵乘法：@（matmul）要求 A 的列数等于 B 的行数。逐元素相乘用 *，它要求两个形状相同；"
            "矩阵乘积用 @。见课程“张量”一节的逐元素乘法与矩阵乘法。",
            "these shapes cannot be matrix-multiplied: @ (matmul) needs A's columns to equal B's rows. "
            "Element-wise: use * (it needs equal shapes); matrix product: @. See the course section "
            '"Tensors" on the element-wise and the matrix product.',
        ),
    ),
    (
        "model",
        Msg(
            "两个矩阵的形状不能相乘（A 的列数要等于 B 的行数）。在全连接层里，这表示 nn.Linear 的 in_features"
            "（应为 32*7*7）和上一层的输出对不上，或者进入 Linear 前没有展平。见课程“模型”一节的定义网络。",
            "the two matrices' shapes cannot be multiplied (A's columns must equal B's rows). In a "
            "linear layer this means nn.Linear's in_features (32*7*7 here) does not match what comes before "
            'it, or the feature maps were not flattened. See the course section "Model" on defining the network.',
        ),
    ),
)

_KNOWN: tuple[tuple[str, Advice], ...] = (
    (r"mat1 and mat2 shapes cannot be multiplied|size mismatch, got|inconsistent tensor size", _MATMUL),
    (
        r"The size of tensor a \(\d+\) must match the size of tensor b \(\d+\)",
        (
            (
                "tensors",
                Msg(
                    "逐元素运算（*、+、−）要求两个张量形状相同（或能广播）。要的是矩阵乘积的话用 @，它的规则是 A 的列数等于 B 的行数。"
                    "见课程“张量”一节的逐元素乘法与矩阵乘法。",
                    "element-wise operations (*, +, −) need equal (or broadcastable) shapes. For the matrix "
                    "product use @, whose rule is A's columns equal B's rows. See the course section "
                    '"Tensors" on the element-wise and the matrix product.',
                ),
            ),
        ),
    ),
    (
        r"Torch not compiled with CUDA enabled|Found no NVIDIA driver|No CUDA GPUs are available|"
        r"no CUDA-capable device|CUDA driver initialization failed",
        (
            (
                "tensors",
                Msg(
                    "这台机器没有能用的 GPU。先用 torch.cuda.is_available() 问一下有没有 CUDA，没有就留在 CPU 上。"
                    "见课程“张量”一节的把张量移到 GPU。",
                    "there is no usable GPU on this machine. Ask torch.cuda.is_available() first and stay on "
                    'the CPU when it says False. See the course section "Tensors" on moving tensors to the GPU.',
                ),
            ),
        ),
    ),
    (
        r"expected scalar type Long but found|Expected object of scalar type Long|expected .*Long.* but got|"
        r"\"nll_loss.*\" not implemented for|target .* Float",
        (
            (
                "tensors",
                Msg(
                    "dtype 不对：这个运算要整数（int64/long），拿到的却是小数（float）。打印每个张量的 .dtype，"
                    "用 .long() 或 .float() 转换。见课程“张量”一节的张量的属性。",
                    "a dtype mismatch: the operation wants integers (int64/long) and got floats. Print each "
                    'tensor\'s .dtype and convert with .long() or .float(). See the course section "Tensors" on a '
                    "tensor's attributes.",
                ),
            ),
            (
                "train",
                Msg(
                    "损失函数的 dtype 不对。CrossEntropyLoss 的标签要是整数类别（int64/long），不是 float。见课程“训练”一节。",
                    "a dtype mismatch in the loss. CrossEntropyLoss wants integer class labels (int64/long), "
                    'not floats. See the course section "Training".',
                ),
            ),
        ),
    ),
    (
        r"Expected all tensors to be on the same device|Input type \(.*\) and weight type \(.*\) should be the same|"
        r"found at least two devices|is not on the expected device",
        (
            (
                "tensors",
                Msg(
                    "参与运算的张量不在同一个设备上。用 x.to(device) 把它们放到一起。见课程“张量”一节的张量的属性。",
                    "the tensors in one operation are on different devices. Bring them together with "
                    'x.to(device). See the course section "Tensors" on a tensor\'s attributes.',
                ),
            ),
            (
                "model",
                Msg(
                    "张量和模型不在同一个设备上。用 x.to(device)、model.to(device) 把它们放到一起。见课程“张量”一节的把张量移到 GPU。",
                    "a tensor and the model are on different devices. Bring them together with x.to(device) "
                    'and model.to(device). See the course section "Tensors" on moving tensors to the GPU.',
                ),
            ),
        ),
    ),
    (
        r"Can't call numpy\(\) on Tensor that requires grad",
        (
            (
                "autograd",
                Msg(
                    "需要梯度的张量不能直接 .numpy()。先 .detach()（或用 .item() 取出一个数字）。见课程“自动求导”一节。",
                    "a tensor that requires grad cannot call .numpy() directly. .detach() it first (or take one "
                    'number out with .item()). See the course section "Autograd".',
                ),
            ),
            (
                "evaluate",
                Msg(
                    "评估时不需要梯度：把整个评估循环放进 with torch.no_grad(): 里，里面算出的张量就不再需要梯度，"
                    "也能直接 .numpy()。见课程“评估”一节。",
                    "evaluation needs no gradients: run the whole loop inside with torch.no_grad():, where no "
                    'result requires grad (and .numpy() works). See the course section "Evaluation".',
                ),
            ),
        ),
    ),
    (
        r"Trying to backward through the graph a second time",
        (
            (
                "autograd",
                Msg(
                    "计算图在第一次 backward 后被释放了。第一次 backward 时传 retain_graph=True。见课程“自动求导”一节。",
                    "the graph was freed by the first backward. Pass retain_graph=True to the first backward. "
                    'See the course section "Autograd".',
                ),
            ),
        ),
    ),
    (
        r"grad can be implicitly created only for scalar outputs",
        (
            (
                "autograd",
                Msg(
                    "对向量做 backward 需要 gradient 参数（外部梯度），例如 torch.ones_like(Q)。见课程“自动求导”一节。",
                    "backward on a vector needs a gradient argument (the external gradient), e.g. "
                    'torch.ones_like(Q). See the course section "Autograd".',
                ),
            ),
        ),
    ),
    (
        r"a leaf Variable that requires grad is being used in an in-place operation",
        (
            (
                "autograd",
                Msg(
                    "更新参数要放在 with torch.no_grad(): 里。见课程“自动求导”一节的手动更新权重。",
                    "update parameters inside with torch.no_grad():. See the course section "
                    '"Autograd" on updating the weights by hand.',
                ),
            ),
        ),
    ),
    (
        r"size mismatch|shape .* is invalid for input of size|Sizes of tensors must match|"
        r"stack expects each tensor to be equal size",
        (
            (
                "tensors",
                Msg(
                    "形状对不上。打印每一步的 .shape 看看是哪一步变了样。见课程“张量”一节的拼接与 view。",
                    "the shapes do not fit. Print .shape after each step to see where it changes. See the course "
                    'section "Tensors" on joining and view.',
                ),
            ),
        ),
    ),
)


def _chapter(exercise: str | None) -> int:
    return ORDER.index(exercise) if exercise in ORDER else len(ORDER)


def advice_for(advice: Advice, exercise: str | None) -> Msg:
    """The last advice whose chapter is not after the exercise's (the first one otherwise)."""
    chosen = advice[0][1]
    for chapter, msg in advice:
        if _chapter(chapter) <= _chapter(exercise):
            chosen = msg
    return chosen


def explain_error(type_name: str, message: str, exercise: str | None = None, where: str = "") -> Msg | None:
    """What a PyTorch error means, in the words of the exercise's chapter (None: unknown error): told
    from its numbers and the student's line (`where`, their frames) when a story fits
    (:mod:`blitz.course.error_stories`), else what the error's text usually means."""
    told = tell(message, where, exercise)
    if told is not None:
        return told
    for pattern, advice in _KNOWN:
        if re.search(pattern, message):
            return advice_for(advice, exercise)
    return None
