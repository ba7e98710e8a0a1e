"""Common PyTorch errors, mapped to what they usually mean and the course section that teaches it.

The advice knows the chapter: an error in the tensors chapter is explained with tensors only, never
with the layers, loaders or optimizers of later chapters. Each error has one or more pieces of
advice, each from the chapter where it starts to apply; :func:`explain_error` picks the last one
that is not from a later chapter than the exercise's.
"""

from __future__ import annotations

import re

from blitz.course.error_stories import tell
from blitz.course.i18n import Msg, tr
from blitz.course.registry import EXERCISES

# The chapters in the course's order, for "not a later chapter".
ORDER = tuple(exercise.id for exercise in EXERCISES)

Advice = tuple[tuple[str, Msg], ...]  # (first chapter it applies to, the hint), in chapter order

_MATMUL = (
    (
        "tensors",
        tr(
            "these shapes cannot be matrix-multiplied: @ (matmul) needs A's columns to equal B's rows. Element-wise: use * (it needs equal shapes); matrix product: @. See the course section \"Tensors\" on the element-wise and the matrix product."
        ),
    ),
    (
        "model",
        tr(
            "the two matrices' shapes cannot be multiplied (A's columns must equal B's rows). In a linear layer this means nn.Linear's in_features (32*7*7 here) does not match what comes before it, or the feature maps were not flattened. See the course section \"Model\" on defining the network."
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
                tr(
                    "element-wise operations (*, +, −) need equal (or broadcastable) shapes. For the matrix product use @, whose rule is A's columns equal B's rows. See the course section \"Tensors\" on the element-wise and the matrix product."
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
                tr(
                    'there is no usable GPU on this machine. Ask torch.cuda.is_available() first and stay on the CPU when it says False. See the course section "Tensors" on moving tensors to the GPU.'
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
                tr(
                    "a dtype mismatch: the operation wants integers (int64/long) and got floats. Print each tensor's .dtype and convert with .long() or .float(). See the course section \"Tensors\" on a tensor's attributes."
                ),
            ),
            (
                "train",
                tr(
                    'a dtype mismatch in the loss. CrossEntropyLoss wants integer class labels (int64/long), not floats. See the course section "Training".'
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
                tr(
                    'the tensors in one operation are on different devices. Bring them together with x.to(device). See the course section "Tensors" on a tensor\'s attributes.'
                ),
            ),
            (
                "model",
                tr(
                    'a tensor and the model are on different devices. Bring them together with x.to(device) and model.to(device). See the course section "Tensors" on moving tensors to the GPU.'
                ),
            ),
        ),
    ),
    (
        r"Can't call numpy\(\) on Tensor that requires grad",
        (
            (
                "autograd",
                tr(
                    'a tensor that requires grad cannot call .numpy() directly. .detach() it first (or take one number out with .item()). See the course section "Autograd".'
                ),
            ),
            (
                "evaluate",
                tr(
                    'evaluation needs no gradients: run the whole loop inside with torch.no_grad():, where no result requires grad (and .numpy() works). See the course section "Evaluation".'
                ),
            ),
        ),
    ),
    (
        r"Trying to backward through the graph a second time",
        (
            (
                "autograd",
                tr(
                    'the graph was freed by the first backward. Pass retain_graph=True to the first backward. See the course section "Autograd".'
                ),
            ),
        ),
    ),
    (
        r"grad can be implicitly created only for scalar outputs",
        (
            (
                "autograd",
                tr(
                    'backward on a vector needs a gradient argument (the external gradient), e.g. torch.ones_like(Q). See the course section "Autograd".'
                ),
            ),
        ),
    ),
    (
        r"a leaf Variable that requires grad is being used in an in-place operation",
        (
            (
                "autograd",
                tr(
                    'update parameters inside with torch.no_grad():. See the course section "Autograd" on updating the weights by hand.'
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
                tr(
                    'the shapes do not fit. Print .shape after each step to see where it changes. See the course section "Tensors" on joining and view.'
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
