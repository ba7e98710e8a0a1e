"""How far above chance a CNN fit to shuffled labels lands (tests/corpora/test_adversarial.py, `train_on_test`).

The adversary trains the course's CNN on 3,000 test images whose labels the grading sandbox shuffled, for 2
epochs, and is scored on the true labels. This repeats that fit with a fresh permutation and seed per trial
and prints each accuracy, the mean, the standard deviation and the largest, which the test's bound rests on.

    BLITZ_DATA=/path/to/data nice python benchmarks/shuffled_labels_fit.py --trials 40
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from blitz.course import mnist  # noqa: E402
from solutions.model import CNN  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--images", type=int, default=3000)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    from torchvision import datasets

    test = datasets.MNIST(str(mnist.require()), train=False)
    x = test.data.float().div(255).sub(0.5).div(0.5).unsqueeze(1)
    y = test.targets
    accuracies = []
    for trial in range(args.trials):
        shuffled = y[torch.randperm(len(y), generator=torch.Generator().manual_seed(1000 + trial))]
        torch.manual_seed(trial)
        model, loss_fn = CNN(), nn.CrossEntropyLoss()
        optimizer = torch.optim.Adam(model.parameters(), 1e-3)
        for _ in range(args.epochs):
            order = torch.randperm(args.images)
            for start in range(0, args.images, 50):
                batch = order[start : start + 50]
                optimizer.zero_grad()
                loss_fn(model(x[batch]), shuffled[batch]).backward()
                optimizer.step()
        with torch.no_grad():
            predicted = torch.cat([model(x[i : i + 1000]).argmax(1) for i in range(0, len(x), 1000)])
        accuracies.append((predicted == y).float().mean().item())
        print(f"trial {trial}: {accuracies[-1]:.2%}", flush=True)
    summary = {
        "trials": args.trials,
        "mean": statistics.mean(accuracies),
        "sd": statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0,
        "max": max(accuracies),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
