"""PyTorch errors told from the error's numbers and the line of code that raised it.

:mod:`blitz.course.pytorch_errors` maps an error's text to advice. Text alone misleads: the same
"size of tensor a must match" comes from ``a == b``, ``a * b`` and ``a + b``, and advice about ``@``
fits only one of them; "mat1 and mat2 shapes cannot be multiplied" after ``t @ t`` must not say "use
@". So each story here reads the student's line (the last line of their own traceback frames) to
see which operation they wrote, and the error's numbers to say which size was lost or which
dimensions disagree. A story that cannot tell returns None and the text-only advice applies.

The stories keep the chapter rule of pytorch_errors: in the tensors chapter nothing is explained
with layers, loaders or optimizers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from blitz.course.i18n import Msg, tr
from blitz.course.registry import EXERCISES

ORDER = tuple(exercise.id for exercise in EXERCISES)


def chapter_at_least(exercise: str | None, chapter: str) -> bool:
    return (ORDER.index(exercise) if exercise in ORDER else len(ORDER)) >= ORDER.index(chapter)


def code_line(where: str) -> str:
    """The last line of code in a student's formatted frames (``File ..., line N`` then the code)."""
    lines = [line.strip() for line in where.splitlines() if line.strip()]
    code = [line for line in lines if not line.startswith("File ")]
    return code[-1] if code else ""


def operation(code: str) -> str:
    """Which operation the line writes: "matmul", "compare", "mul", "add", "view", "join" or ""."""
    bare = re.sub(r"(['\"]).*?\1", "", code)  # strings say nothing of the operation
    if re.search(r"@|\bmatmul\(|\bmm\(|\bbmm\(", bare):
        return "matmul"
    if re.search(r"==|!=", bare):
        return "compare"
    if re.search(r"(?<![*])\*(?![*=])|\bmul\(", bare):
        return "mul"
    if re.search(r"(?<![+\-*/=<>!])[+\-](?!=)|\badd\(|\bsub\(", bare):
        return "add"
    return ""


def _sizes(text: str) -> list[int]:
    return [int(x) for x in re.findall(r"-?\d+", text)]


def _matmul(m: re.Match, code: str, exercise: str | None) -> Msg | None:
    a, b, c, d = (int(x) for x in m.groups())
    if operation(code) == "matmul":
        same = (
            (
                f"两个形状一样的 {a}×{b} 矩阵，只有方阵才能这样相乘。逐元素相乘：用 *；.T 会交换矩阵的行和列。",
                f" Two {a}×{b} matrices of one shape multiply only when they are square. Element-wise: use *; .T "
                "swaps a matrix's rows and columns.",
            )
            if (a, b) == (c, d)
            else ("", "")
        )
        return tr(
            "A @ B needs A's columns to equal B's rows, but A is {a}×{b} and B is {c}×{d}: {b} columns against {c} rows.{same_1}",
            a=a,
            b=b,
            c=c,
            d=d,
            same_1=same[1],
            same_0=same[0],
        )
    if chapter_at_least(exercise, "model") and operation(code) == "":
        return tr(
            "the linear layer was built for {c} input features per sample, but it receives {b} (a batch of {a}). Set nn.Linear's in_features to {b}, or check the flattening before it.",
            c=c,
            b=b,
            a=a,
        )
    return None


def _broadcast(m: re.Match, code: str, exercise: str | None) -> Msg | None:
    x, y, dim = (int(v) for v in m.groups())
    shapes = (
        f"第 {dim} 维一个是 {x}、一个是 {y}",
        f"dimension {dim} is {x} in one and {y} in the other",
    )
    op = operation(code)
    if op == "compare":
        return tr(
            "== compares two tensors element by element, so their shapes must match (or broadcast), but {shapes_1}. To ask whether two tensors are equal as a whole, use torch.equal(a, b).",
            shapes_1=shapes[1],
            shapes_0=shapes[0],
        )
    if op == "mul":
        return tr(
            "* multiplies element by element, so the shapes must match (or broadcast), but {shapes_1}. For the matrix product use @ (A's columns equal B's rows).",
            shapes_1=shapes[1],
            shapes_0=shapes[0],
        )
    if op == "add":
        return tr(
            "element-wise + and − need the shapes to match (or broadcast), but {shapes_1}. Print both sides' .shape to see which one is not what you expect.",
            shapes_1=shapes[1],
            shapes_0=shapes[0],
        )
    return None


def _view(m: re.Match, code: str, exercise: str | None) -> Msg | None:
    dims, total = _sizes(m.group(1)), int(m.group(2))
    known = math.prod(d for d in dims if d != -1)
    shape = "×".join("-1" if d == -1 else str(d) for d in dims)
    if -1 in dims:
        return tr(
            "view/reshape to [{shape}]: the sizes other than -1 multiply to {known}, and the tensor's {total} elements do not divide by it.",
            shape=shape,
            known=known,
            total=total,
        )
    return tr(
        "view/reshape to [{shape}] needs {known} elements, but the tensor has {total}: the sizes must multiply to the number of elements (-1 lets PyTorch work out one of them).",
        shape=shape,
        known=known,
        total=total,
    )


def _cat(m: re.Match, code: str, exercise: str | None) -> Msg | None:
    dim, expected, got, number = (int(v) for v in m.groups())
    return tr(
        "cat joins along dimension {dim}, and every other dimension must be the same, but tensor {number} has size {got} where the first has {expected}. (stack adds a new dimension and needs identical shapes.)",
        dim=dim,
        number=number,
        got=got,
        expected=expected,
    )


def _stack(m: re.Match, code: str, exercise: str | None) -> Msg | None:
    first, i, second, j = m.groups()
    return tr(
        "stack needs every tensor to have the same shape: entry {i} is [{first}], entry {j} is [{second}]. To join along an existing dimension, use cat.",
        i=i,
        first=first,
        j=j,
        second=second,
    )


def _float_target(m: re.Match, code: str, exercise: str | None) -> Msg | None:
    if not chapter_at_least(exercise, "train"):
        return None
    return tr(
        "cross-entropy's labels are each sample's class index: a tensor of shape (N,) and dtype int64; not floats, and not one-hot rows shaped like the scores."
    )


def _target_range(m: re.Match, code: str, exercise: str | None) -> Msg | None:
    if not chapter_at_least(exercise, "train"):
        return None
    return tr(
        "label {m_group_1} is outside the scores' classes 0…C−1: classes count from 0 (MNIST's labels are the digits 0…9 themselves, do not add 1), the last layer must output one score per class (10 for MNIST), and the scores (logits) go first into the loss, the labels second.",
        m_group_1=m.group(1),
    )


# Layers PyTorch cannot see: the story of an empty parameter list, and the model checks' words for layers
# that ran in forward but are no part of the model (blitz/exercises/model).
INVISIBLE_LAYERS = tr(
    "layers kept in a plain Python list or dict, or made inside forward, are invisible to PyTorch: their parameters are not in model.parameters(), so the optimizer never updates them (nor are they saved or moved to the GPU with the model). Create them in __init__ as attributes, or inside nn.ModuleList / nn.ModuleDict / nn.Sequential."
)


def _no_parameters(m: re.Match, code: str, exercise: str | None) -> Msg | None:
    invisible = Msg(
        "模型里没有 PyTorch 能看到的参数。" + INVISIBLE_LAYERS.zh,
        "the model has no parameters PyTorch can see. " + INVISIBLE_LAYERS.en[0].upper() + INVISIBLE_LAYERS.en[1:],
    )
    if re.search(r"\bparameters\(\s*\)", code):  # built from model.parameters() itself: not used up
        return invisible
    return Msg(
        "优化器一个参数也没拿到。如果传给它的是之前存下的 model.parameters()：它是生成器，只能遍历一次，"
        "已经被用完了（例如被 sum(...) 或一个循环用过）。在创建优化器的地方重新调用 model.parameters()。"
        "否则：" + invisible.zh,
        "the optimizer got no parameters at all. If it was handed a model.parameters() kept from before: that is a "
        "generator, good for one pass, and it was used up (by a sum(...) or a loop, say). Call model.parameters() "
        "again where the optimizer is made. Otherwise: " + invisible.en,
    )


def _no_grad_fn(m: re.Match, code: str, exercise: str | None) -> Msg | None:
    return tr(
        "backward() found nothing to differentiate: the tensor was made without requires_grad=True, or its history was cut on the way (.detach(), .item(), .numpy(), torch.no_grad())."
    )


def _normalize_first(m: re.Match, code: str, exercise: str | None) -> Msg | None:
    return tr("Normalize works on tensors but received a PIL image: in Compose, ToTensor must come before Normalize.")


def _to_tensor_twice(m: re.Match, code: str, exercise: str | None) -> Msg | None:
    return tr("ToTensor received a tensor: it turns a PIL image (or an array) into a tensor, so it comes first, once.")


def _class_not_instance(m: re.Match, code: str, exercise: str | None) -> Msg | None:
    return _made_not_called(m.group(1))


def _made_not_called(name: str) -> Msg:
    return tr(
        "{name}(...) made a new {name} instead of calling one: a class is called once with () to make an instance (such as x = {name}()), and then the instance is called with the data.",
        name=name,
    )


def _loss_class(m: re.Match, code: str, exercise: str | None) -> Msg | None:
    found = re.search(r"\b(\w*Loss)\(\s*[^)\s]", code)
    if found:
        return _made_not_called(found.group(1))
    held = re.search(r"\b(\w*loss\w*)\(\s*[^)\s]", code, re.IGNORECASE)  # a variable holding the class
    if not held:
        return None
    name = held.group(1)
    return tr(
        "{name}(...) made a new loss object instead of computing the loss: {name} holds the loss class (such as nn.CrossEntropyLoss) where an instance is needed. Make it with () ({name} = nn.CrossEntropyLoss()), then call that instance with the data.",
        name=name,
    )


def method_not_called(name: str = "", owner: str = "x") -> Msg:
    """A method used where its result belongs (``x.item`` for ``x.item()``); `name` (and the `owner` it was
    taken from) when the line shows it."""
    owner = owner if re.fullmatch(r"[A-Za-z_]\w{0,30}", owner) else "x"
    if not re.fullmatch(r"[A-Za-z_]\w{0,40}", name) or name == "size":
        return tr(
            "a method was used without calling it: x.size is the method, x.size() (or x.shape) the value. Add the parentheses to call it."
        )
    return tr(
        "a method was used without calling it: {owner}.{name} is the method, {owner}.{name}() the value. Add the parentheses to call it.",
        owner=owner,
        name=name,
    )


def _method_value(m: re.Match, code: str, exercise: str | None) -> Msg | None:
    bare = re.sub(r"(['\"]).*?\1", "", code)
    uncalled = {
        (owner if owner != ")" else "x", name)
        for owner, name in re.findall(r"(\b\w+|\))\.(\w+)\b(?!\s*\()", bare)
        if name in _METHODS
    }
    return method_not_called(*uncalled.pop()[::-1]) if len(uncalled) == 1 else method_not_called()


# Tensor methods a beginner writes without their parentheses (attributes such as .shape, .T are no methods).
_METHODS = frozenset(
    "item size sum mean numel dim float long int double argmax max min detach cpu cuda numpy tolist clone "
    "flatten squeeze unsqueeze t abs exp log softmax backward zero_grad step train eval parameters".split()
)

# A function that returned None where a value was expected (the checks' words for a None result).
NONE_RETURNED = tr(
    "your function returned None: a function whose body ends without return gives None. Hand the result back with return."
)


def _none_value(m: re.Match, code: str, exercise: str | None) -> Msg | None:
    return tr(
        "a value here is None: a function that ends without return gives None, and so do the methods that change their object in place (list.append, list.sort): do not assign their result. Check that every function you call returns its result."
    )


def _tuple_value(m: re.Match, code: str, exercise: str | None) -> Msg | None:
    kind, attr = m.group(1), m.group(2)
    what = ("元组", "a tuple") if kind == "tuple" else ("列表", "a list")
    if chapter_at_least(exercise, "data"):
        return tr(
            "{what_1} has no .{attr}: several values travel together here, such as a batch (images, labels) from a loader or a function that returned two things. Unpack it first (x, y = batch).",
            what_1=what[1],
            attr=attr,
            what_0=what[0],
        )
    return tr(
        "{what_1} has no .{attr}: several values travel together here (such as a function that returned two things). Unpack it first (a, b = pair).",
        what_1=what[1],
        attr=attr,
        what_0=what[0],
    )


Story = Callable[[re.Match, str, "str | None"], "Msg | None"]
# (pattern of the error's text, first chapter it can happen in, the story)
STORIES: tuple[tuple[str, str, Story], ...] = (
    (r"mat1 and mat2 shapes cannot be multiplied \((\d+)x(\d+) and (\d+)x(\d+)\)", "tensors", _matmul),
    (r"size of tensor a \((\d+)\) must match the size of tensor b \((\d+)\) at non-singleton dimension (\d+)", "tensors", _broadcast),
    (r"shape '\[([-\d, ]+)\]' is invalid for input of size (\d+)", "tensors", _view),
    (r"Sizes of tensors must match except in dimension (\d+)\. Expected size (\d+) but got size (\d+) for tensor number (\d+)", "tensors", _cat),
    (r"stack expects each tensor to be equal size, but got \[([\d, ]*)\] at entry (\d+) and \[([\d, ]*)\] at entry (\d+)", "tensors", _stack),
    (r"expected target dtype to be Long|Expected floating point type for target with class probabilities", "train", _float_target),
    (r"Target (-?\d+) is out of bounds", "train", _target_range),
    (r"optimizer got an empty parameter list", "model", _no_parameters),
    (r"element 0 of tensors does not require grad and does not have a grad_fn", "autograd", _no_grad_fn),
    (r"img should be Tensor Image\. Got <class 'PIL|Input tensor should be a torch tensor\. Got <class 'PIL", "data", _normalize_first),
    (r"pic should be PIL Image or ndarray\. Got <class 'torch\.Tensor'>", "data", _to_tensor_twice),
    (r"(\w+)\.__init__\(\) takes \d+ positional arguments? but \d+ were given", "tensors", _class_not_instance),
    (r"Boolean value of Tensor with more than one value is ambiguous", "train", _loss_class),
    (r"'(?:builtin_function_or_method|method)' object (?:is not subscriptable|is not iterable|has no attribute)"
     r"|unsupported operand type\(s\) for [^:]+: '[\w.]+' and '(?:builtin_function_or_method|method)'"
     r"|unsupported operand type\(s\) for [^:]+: '(?:builtin_function_or_method|method)'", "tensors", _method_value),
    (r"'NoneType' object (?:has no attribute|is not subscriptable|is not iterable|is not callable)", "tensors", _none_value),
    (r"'(tuple|list)' object has no attribute '(\w+)'", "tensors", _tuple_value),
)  # fmt: skip


def tell(message: str, where: str, exercise: str | None) -> Msg | None:
    """The story of this error in this student's line, or None when none fits."""
    code = code_line(where)
    for pattern, chapter, story in STORIES:
        found = re.search(pattern, message)
        if found and chapter_at_least(exercise, chapter):
            told = story(found, code, exercise)
            if told is not None:
                return told
    return None
