"""Correct submissions spelled differently from the reference: each must pass every check.

The kit checks behaviour, not spelling; these are the spellings a student (or the course itself)
is likely to use.
"""

from __future__ import annotations

from mutants import CNN_BODY
from mutants import Alternative as A

ACCURACY_BODY = """    model.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            correct += (predict(model(x)) == y).sum().item()
            total += y.numel()
    return correct / max(total, 1)
"""

ALTERNATIVES: tuple[A, ...] = (
    # ------------------------------------------------------------------ model
    A(
        "cnn_one_flat_sequential",
        "model",
        CNN_BODY,
        '''        self.net = nn.Sequential(
            nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(kernel_size=2, stride=2),
            nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(kernel_size=2, stride=2),
            nn.Flatten(),
            nn.Linear(1568, 10),
        )
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, 28, 28) → (N, 10) logits."""
        # BEGIN SOLUTION
        return self.net(x)
''',
        "one nn.Sequential with nn.Flatten and in-place ReLUs",
    ),
    A(
        "cnn_functional_renamed",
        "model",
        CNN_BODY,
        '''        self.fc = nn.Linear(32 * 7 * 7, 10)
        self.c2 = nn.Conv2d(16, 32, 5, 1, 2)
        self.c1 = nn.Conv2d(1, 16, 5, 1, 2)
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, 28, 28) → (N, 10) logits."""
        # BEGIN SOLUTION
        from torch.nn import functional as F

        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        x = x.view(x.size(0), -1)
        return self.fc(x)
''',
        "F.relu / F.max_pool2d in forward, layers renamed and defined in another order, flatten via view",
    ),
    A(
        "count_parameters_loop",
        "model",
        "    return sum(p.numel() for p in model.parameters() if p.requires_grad)\n",
        "    n = 0\n    for p in model.parameters():\n        if p.requires_grad:\n            n += p.numel()\n    return n\n",
        "an explicit loop",
    ),
    A(
        "conv_output_size_floor",
        "model",
        "    return (size - kernel_size + 2 * padding) // stride + 1\n",
        "    import math\n\n    return math.floor((size + 2 * padding - kernel_size) / stride) + 1\n",
        "math.floor of a true division",
    ),
    A(
        "conv_output_size_float",
        "model",
        "    return (size - kernel_size + 2 * padding) // stride + 1\n",
        "    return float((size - kernel_size + 2 * padding) // stride + 1)\n",
        "a float (24.0) where an int is natural: a number whose value is right",
    ),
    A(
        "count_parameters_numpy",
        "model",
        "    return sum(p.numel() for p in model.parameters() if p.requires_grad)\n",
        "    import numpy as np\n\n"
        "    return np.sum([np.prod(p.size()) for p in model.parameters() if p.requires_grad])\n",
        "numpy's sum of numpy products: a numpy.int64, a number whose value is right",
    ),
    A(
        "cnn_flatten_reshape_minus_one",
        "model",
        CNN_BODY,
        '''        self.layer1 = nn.Sequential(nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2))
        self.layer2 = nn.Sequential(nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Linear(7 * 7 * 32, 10)
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, 28, 28) → (N, 10) logits."""
        # BEGIN SOLUTION
        out = self.layer2(self.layer1(x))
        out = out.reshape(-1, 32 * 7 * 7)
        return self.classifier(out)
''',
        "a public tutorial's layer1/layer2/classifier with reshape(-1, 32 * 7 * 7)",
    ),
    # ------------------------------------------------------------------ train
    A(
        "model_zero_grad",
        "train",
        "optimizer.zero_grad()",
        "model.zero_grad()",
        "model.zero_grad() clears the same gradients",
    ),
    A(
        "zero_grad_keep_tensors",
        "train",
        "optimizer.zero_grad()",
        "optimizer.zero_grad(set_to_none=False)",
        "zeroed gradient tensors instead of None",
    ),
    A(
        "zero_grad_after_step",
        "train",
        "        optimizer.zero_grad()\n        loss.backward()\n        optimizer.step()\n",
        "        loss.backward()\n        optimizer.step()\n        optimizer.zero_grad()\n",
        "clearing after the step (gradients start empty)",
    ),
    A(
        "loss_summed_as_tensor",
        "train",
        "        total += loss.item()\n        batches += 1\n    return total / max(batches, 1)\n",
        "        total = total + loss.detach()\n        batches += 1\n    return (total / batches).item()\n",
        "the losses summed as a detached tensor, .item() once at the end",
    ),
    A(
        "mean_loss_detached_tensor",
        "train",
        "        total += loss.item()\n        batches += 1\n    return total / max(batches, 1)\n",
        "        total = total + loss.detach()\n        batches += 1\n    return total / batches\n",
        "the mean loss as a detached 0-d tensor (no graph kept): a number whose value is right",
    ),
    A(
        "fit_numpy_losses",
        "train",
        "    return [train_one_epoch(model, train_loader, optimizer, loss_fn, device) for _ in range(epochs)]\n",
        "    import numpy as np\n\n"
        "    return [np.float32(train_one_epoch(model, train_loader, optimizer, loss_fn, device)) for _ in range(epochs)]\n",
        "each epoch's loss as a numpy.float32: numbers whose values are right",
    ),
    A(
        "fit_own_loop",
        "train",
        "    return [train_one_epoch(model, train_loader, optimizer, loss_fn, device) for _ in range(epochs)]\n",
        "    losses = []\n    for epoch in range(epochs):\n        model.train()\n        running = []\n"
        "        for images, labels in train_loader:\n            images, labels = images.to(device), labels.to(device)\n"
        "            optimizer.zero_grad()\n            output = model(images)\n            loss = loss_fn(output, labels)\n"
        "            loss.backward()\n            optimizer.step()\n            running.append(loss.item())\n"
        "        losses.append(sum(running) / len(running))\n    return losses\n",
        "fit with its own loop instead of calling train_one_epoch",
    ),
    # ------------------------------------------------------------------ evaluate
    A(
        "accuracy_course_spelling",
        "evaluate",
        ACCURACY_BODY,
        """    model.eval()
    correct = 0
    total = 0
    with torch.inference_mode():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            output = model(images)
            pred_y = torch.max(output, 1)[1]
            total += labels.size(0)
            correct += (pred_y == labels).sum().item()
    return correct / total
""",
        "the course's torch.max(output, 1)[1], under torch.inference_mode()",
    ),
    A(
        "accuracy_numpy_float64",
        "evaluate",
        "return correct / max(total, 1)",
        'return __import__("numpy").float64(correct) / max(total, 1)',
        "a numpy.float64 (a float subclass) with the right value: a float is what was asked for",
    ),
    A(
        "accuracy_tensor_mean",
        "evaluate",
        ACCURACY_BODY,
        """    model.eval()
    hits = []
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            hits.append(model(x).argmax(1) == y)
    return torch.cat(hits).float().mean()
""",
        "the fraction as a 0-d float tensor (torch.cat(...).float().mean()): a number whose value is right",
    ),
    A(
        "accuracy_tensor_count",
        "evaluate",
        "(predict(model(x)) == y).sum().item()",
        "(predict(model(x)) == y).sum()",
        "counts in a tensor and returns a 0-d tensor of the right fraction (a broken mutant until the contract"
        " was judged: the docstring asks for a fraction, and this is one)",
    ),
    A(
        "predict_torch_max",
        "evaluate",
        "return logits.argmax(dim=1)",
        "return torch.max(logits, 1)[1]",
        "torch.max(logits, 1)[1], the indices of the maxima",
    ),
    # ------------------------------------------------------------------ autograd
    A(
        "sgd_step_data_sub",
        "autograd",
        """    with torch.no_grad():
        for p in params:
            if p.grad is None:
                continue
            p -= lr * p.grad
            p.grad = None
""",
        """    for p in params:
        if p.grad is not None:
            p.data.sub_(lr * p.grad)
            p.grad.zero_()
""",
        "p.data.sub_ and p.grad.zero_(), the older spelling",
    ),
    A(
        "backward_via_sum",
        "autograd",
        "q.backward(gradient=torch.ones_like(q))",
        "q.sum().backward()",
        "Q.sum().backward() gives the same gradients as an external gradient of ones",
    ),
    # ------------------------------------------------------------------ tensors
    A("from_data_as_tensor", "tensors", "return torch.tensor(data)", "return torch.as_tensor(data)", "torch.as_tensor"),
    A(
        "from_numpy_as_tensor",
        "tensors",
        "return torch.from_numpy(array)",
        "return torch.as_tensor(array)",
        "torch.as_tensor also shares a NumPy array's memory",
    ),
    A(
        "ones_and_rand_by_shape",
        "tensors",
        "return torch.ones_like(t), torch.rand_like(t, dtype=torch.float32)",
        "return torch.ones(t.shape, dtype=t.dtype), torch.rand(t.size())",
        "torch.ones / torch.rand with the shape",
    ),
    A(
        "describe_size_call",
        "tensors",
        "return t.shape, t.dtype, t.device",
        "return t.size(), t.dtype, t.device",
        "t.size()",
    ),
    A("zero_column_zero_", "tensors", "t[:, col] = 0", "t[:, col].zero_()", "zero_() on the column view"),
    A("gram_matmul_t", "tensors", "return t @ t.T", "return t.matmul(t.t())", "t.matmul(t.t())"),
    A("elementwise_star", "tensors", "return a.mul(b)", "return a * b", "a * b"),
    A(
        "double_mul_",
        "tensors",
        "return t.add_(t)",
        "return t.mul_(2)",
        "mul_(2) doubles in place too: the check is on behaviour, not on the name add_",
    ),
    A(
        "concat_torch_concat",
        "tensors",
        "return torch.cat(tensors, dim=dim)",
        "return torch.concat(tensors, dim)",
        "torch.concat",
    ),
    # ------------------------------------------------------------------ data
    A(
        "transform_lists",
        "data",
        "transforms.Normalize((0.5,), (0.5,))",
        "transforms.Normalize(mean=[0.5], std=[0.5])",
        "mean and std as lists",
    ),
    A(
        "load_mnist_positional",
        "data",
        "datasets.MNIST(root=root, train=train, transform=transform, download=download)",
        "datasets.MNIST(root, train, transform, download=download)",
        "positional arguments",
    ),
    A(
        "loaders_keywords",
        "data",
        """    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=batch_size, shuffle=False)
    return train_loader, test_loader
""",
        """    return (
        DataLoader(dataset=train_set, shuffle=True, batch_size=batch_size),
        DataLoader(dataset=test_set, batch_size=batch_size),
    )
""",
        "keyword arguments, the test loader's shuffle left at its default",
    ),
    # ------------------------------------------------------------------ extras
    A(
        "loss_for_if_chain",
        "extras",
        """    try:
        return _LOSSES[task]()
    except KeyError:
        raise ValueError(f"unknown task {task!r}; choose one of: {', '.join(_LOSSES)}") from None
""",
        """    if task == "regression":
        return nn.MSELoss()
    elif task == "l1_regression":
        return nn.L1Loss()
    elif task == "smooth_regression":
        return nn.SmoothL1Loss()
    elif task == "multiclass":
        return nn.CrossEntropyLoss()
    elif task == "multiclass_log_probs":
        return nn.NLLLoss()
    elif task == "binary":
        return nn.BCELoss()
    elif task == "binary_logits":
        return nn.BCEWithLogitsLoss()
    elif task == "ranking":
        return nn.MarginRankingLoss()
    elif task == "multilabel":
        return nn.MultiLabelMarginLoss()
    elif task == "binary_margin":
        return nn.SoftMarginLoss()
    else:
        raise ValueError(
            "task must be one of regression, l1_regression, smooth_regression, multiclass, "
            "multiclass_log_probs, binary, binary_logits, ranking, multilabel, binary_margin; got " + repr(task)
        )
""",
        "an if/elif chain",
    ),
    A(
        "flatten_with_flatten",
        "extras",
        "return x.reshape(x.size(0), -1)",
        "return torch.flatten(x, start_dim=1)",
        "torch.flatten(x, 1)",
    ),
    A(
        "flatten_with_view",
        "extras",
        "return x.reshape(x.size(0), -1)",
        "return x.view(x.shape[0], -1)",
        "view, as the course does",
    ),
    A("hwc_movedim", "extras", "return img.permute(2, 0, 1)", "return img.movedim(-1, 0)", "movedim"),
)
