"""自动求导（autograd）/ Automatic differentiation.

PyTorch 在运算时记下计算图，backward() 沿着图把梯度算回每个 requires_grad=True 的叶子张量，存进 .grad。
PyTorch records a graph as you compute; backward() walks it back and stores the gradient of every
leaf tensor with requires_grad=True in its .grad.
"""

from __future__ import annotations

from typing import Callable, Iterable

import torch


def cubic_minus_square(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """课程里的函数 Q = 3a³ − b²（逐元素）。The course's function Q = 3a³ − b² (element-wise)."""
    return 3 * a**3 - b**2


def cubic_minus_square_grads(
    a: torch.Tensor, b: torch.Tensor, f: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = cubic_minus_square
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """计算 Q = f(a, b)（默认是课程的 Q = 3a³ − b²），用全 1 的外部梯度做 backward，返回 (Q, a.grad, b.grad)。
    a、b 是 requires_grad=True 的叶子张量；Q 是向量，所以 backward 需要 gradient 参数。
    对默认的 f，数学上 dQ/da = 9a²，dQ/db = −2b；检查还会传入别的 f，不告诉你它们的梯度：只有 backward 能算出来。

    Compute Q = f(a, b) (by default the course's Q = 3a³ − b²), run backward with an external gradient
    of ones, return (Q, a.grad, b.grad). a and b are leaf tensors with requires_grad=True; Q is a vector,
    so backward needs a gradient. For the default f, by hand, dQ/da = 9a² and dQ/db = −2b; the check
    also hands in other functions f without telling their gradients: only backward finds them.
    """
    # BEGIN SOLUTION
    q = f(a, b)
    q.backward(gradient=torch.ones_like(q))
    return q, a.grad, b.grad
    # END SOLUTION


def backward_twice(
    a: torch.Tensor, b: torch.Tensor, f: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = cubic_minus_square
) -> tuple[torch.Tensor, torch.Tensor]:
    """在同一张计算图上（Q = f(a, b)，默认 Q = 3a³ − b²）做两次 backward（外部梯度全 1），返回 (a.grad, b.grad)。
    第一次要 retain_graph=True 保留计算图；两次的梯度会累加，所以是一次的两倍。检查也会传入别的 f。

    Run backward twice (external gradient of ones) over one graph (Q = f(a, b), by default
    Q = 3a³ − b²) and return (a.grad, b.grad). The first pass needs retain_graph=True to keep the
    graph; gradients accumulate, so they are twice one pass's. The check also hands in other f.
    """
    # BEGIN SOLUTION
    q = f(a, b)
    ones = torch.ones_like(q)
    q.backward(gradient=ones, retain_graph=True)
    q.backward(gradient=ones)
    return a.grad, b.grad
    # END SOLUTION


def sgd_step(params: Iterable[torch.Tensor], lr: float) -> None:
    """手写一步梯度下降：对每个参数原地做 w ← w − lr·grad（在 torch.no_grad() 里，不被记录），然后清空梯度。
    One hand-written gradient-descent step: for every parameter, w ← w − lr·grad in place (inside
    torch.no_grad(), so it is not recorded), then clear the gradients.
    """
    # BEGIN SOLUTION
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                continue
            p -= lr * p.grad
            p.grad = None
    # END SOLUTION
