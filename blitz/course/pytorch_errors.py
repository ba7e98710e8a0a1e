"""Common PyTorch errors, mapped to what they usually mean and the course section that teaches it."""

from __future__ import annotations

import re

from blitz.course.i18n import Msg

# (pattern in the error message, advice: the hint of the failure message). The first match wins.
_KNOWN: tuple[tuple[str, Msg], ...] = (
    (
        r"mat1 and mat2 shapes cannot be multiplied",
        Msg(
            "两个矩阵的形状不能相乘（A 的列数要等于 B 的行数）。在全连接层里，这表示 nn.Linear 的 in_features"
            "（应为 32*7*7）和上一层的输出对不上，或者进入 Linear 前没有展平；做 t @ t.T 时检查转置。见课程“构造模型”和“矩阵乘法”。",
            "the two matrices' shapes cannot be multiplied (A's columns must equal B's rows). In a "
            "linear layer this means nn.Linear's in_features (32*7*7 here) does not match what comes before "
            "it, or the feature maps were not flattened; for t @ t.T check the transpose. See the course "
            'sections "Building the model" and "Matrix product".',
        ),
    ),
    (
        r"expected scalar type Long but found|Expected object of scalar type Long|expected .*Long.* but got|"
        r"\"nll_loss.*\" not implemented for|target .* Float",
        Msg(
            "损失函数的 dtype 不对。CrossEntropyLoss 的标签要是整数类别（int64/long），不是 float。见课程“训练”一节。",
            "a dtype mismatch in the loss. CrossEntropyLoss wants integer class labels (int64/long), "
            'not floats. See the course section "Training".',
        ),
    ),
    (
        r"Expected all tensors to be on the same device|Input type \(.*\) and weight type \(.*\) should be the same|"
        r"found at least two devices|is not on the expected device",
        Msg(
            "张量和模型不在同一个设备上。用 x.to(device)、model.to(device) 把它们放到一起。见课程“张量的属性”和“移到 GPU”。",
            "a tensor and the model are on different devices. Bring them together with x.to(device) "
            'and model.to(device). See the course sections "Tensor attributes" and "Moving to the GPU".',
        ),
    ),
    (
        r"Can't call numpy\(\) on Tensor that requires grad",
        Msg(
            "需要梯度的张量不能直接 .numpy()。先 .detach()（或用 loss.item() 取数字）。见课程“自动求导”一节。",
            "a tensor that requires grad cannot call .numpy() directly. .detach() it first (or take a "
            'number with loss.item()). See the course section "Autograd".',
        ),
    ),
    (
        r"Trying to backward through the graph a second time",
        Msg(
            "计算图在第一次 backward 后被释放了。第一次 backward 时传 retain_graph=True。见课程“自动求导”一节。",
            "the graph was freed by the first backward. Pass retain_graph=True to the first backward. "
            'See the course section "Autograd".',
        ),
    ),
    (
        r"grad can be implicitly created only for scalar outputs",
        Msg(
            "对向量做 backward 需要 gradient 参数（外部梯度），例如 torch.ones_like(Q)。见课程“自动求导”一节。",
            "backward on a vector needs a gradient argument (the external gradient), e.g. "
            'torch.ones_like(Q). See the course section "Autograd".',
        ),
    ),
    (
        r"a leaf Variable that requires grad is being used in an in-place operation",
        Msg(
            "更新参数要放在 with torch.no_grad(): 里。见课程“神经网络”一节的更新规则。",
            "update parameters inside with torch.no_grad():. See the update rule in the course section "
            '"Neural networks".',
        ),
    ),
    (
        r"size mismatch|shape .* is invalid for input of size|Sizes of tensors must match|"
        r"stack expects each tensor to be equal size",
        Msg(
            "形状对不上。打印每一步的 .shape 看看是哪一步变了样。见课程“张量”一节的拼接与 view。",
            "the shapes do not fit. Print .shape after each step to see where it changes. See the course "
            'section "Tensors" on joining and view.',
        ),
    ),
)


def explain_error(type_name: str, message: str) -> Msg | None:
    for pattern, advice in _KNOWN:
        if re.search(pattern, message):
            return advice
    return None
