"""Small trusted models, batches and optimizers that both sides build from one seed.

A probe runs the student's loop on them next to the student's code; the check builds the same
objects on the trusted side and replays the reference on them, so the two can be compared exactly.
"""

from __future__ import annotations

import torch
from torch import nn


def assign_by_shape(model: nn.Module, weights: list[torch.Tensor]) -> list[tuple[tuple[int, ...], int]]:
    """Copy each reference weight into the student's parameter of the same shape.

    The course's CNN has six parameters of six different shapes, so a shape names a parameter
    whatever the student called the layer (nn.Sequential, self.fc, F.relu style...).
    Returns the problems found, empty when every weight found its place: (a weight's shape, how many
    of the student's parameters have that shape) for each shape that is not exactly one parameter's.
    """
    params = list(model.parameters())
    by_shape: dict[tuple, list[nn.Parameter]] = {}
    for p in params:
        by_shape.setdefault(tuple(p.shape), []).append(p)
    problems = []
    with torch.no_grad():
        for w in weights:
            candidates = by_shape.get(tuple(w.shape), [])
            if len(candidates) != 1:
                problems.append((tuple(w.shape), len(candidates)))
                continue
            candidates[0].copy_(w)
    return problems


def counting_models(seed: int = 0) -> list[nn.Module]:
    """Models with known trainable-parameter counts, one with a frozen layer, one with buffers; their
    sizes drawn from `seed` (a table of counts remembered from another seed is wrong); the check builds
    them too. The caller's random numbers are left alone."""
    a, b, c, d, e, f = (int(n) for n in torch.randint(2, 12, (6,), generator=torch.Generator().manual_seed(seed)))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        frozen = nn.Sequential(nn.Linear(c, d), nn.ReLU(), nn.Linear(d, 2))
        for p in frozen[0].parameters():
            p.requires_grad_(False)
        return [
            nn.Linear(a, b),
            frozen,
            nn.Sequential(nn.Conv2d(3, e, 3), nn.BatchNorm2d(e)),
            nn.Linear(f, 1, bias=False),
        ]


class TinyNet(nn.Module):
    """Batch norm makes train and eval mode compute different things, so mode mistakes show."""

    def __init__(self, features: int = 8, classes: int = 3):
        super().__init__()
        # No bias before batch norm: its gradient is ~0, and Adam would amplify rounding noise in it.
        self.body = nn.Sequential(
            nn.Linear(features, 16, bias=False), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


def tiny_setup(seed: int, n: int = 48, batch_size: int = 8, features: int = 8, classes: int = 3):
    """The same model and batches on both sides, from one seed."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, features, generator=gen)
    y = torch.randint(0, classes, (n,), generator=gen)
    torch.manual_seed(seed)
    model = TinyNet(features, classes)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch_size, shuffle=False)
    return model, loader


class Watch:
    """Records what happens to a model while student code uses it."""

    def __init__(self, model: nn.Module):
        self.training: list[bool] = []
        self.grad_enabled: list[bool] = []
        self.devices: list[str] = []
        model.register_forward_pre_hook(self._before)

    def _before(self, module: nn.Module, inputs: tuple) -> None:
        self.training.append(bool(module.training))
        self.grad_enabled.append(bool(torch.is_grad_enabled()))
        if inputs and isinstance(inputs[0], torch.Tensor):
            self.devices.append(str(inputs[0].device))


class CountingSGD(torch.optim.SGD):
    """Plain SGD that counts zero_grad and step, and notes whether gradients existed at each step."""

    def __init__(self, params, lr: float):
        super().__init__(params, lr=lr)
        self.zero_grad_calls = 0
        self.step_calls = 0
        self.grads_at_step: list[bool] = []

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.zero_grad_calls += 1
        super().zero_grad(set_to_none=set_to_none)

    def step(self, closure=None):
        self.step_calls += 1
        self.grads_at_step.append(
            any(p.grad is not None and bool(p.grad.abs().sum() > 0) for g in self.param_groups for p in g["params"])
        )
        return super().step(closure)


def state_of(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
