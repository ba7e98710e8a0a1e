"""Broken submissions: one realistic student bug each, and the checks it must fail.

``fails`` names checks of the mutant's own exercise (the MNIST capstone is covered by
tests/unit/test_calibration.py). Every other check of that exercise must still pass: a check that
fails for a bug it is not about would blame the student for the wrong thing.
"""

from __future__ import annotations

import torch

from mutants import CNN_BODY, Mutant

RIGHT = "right predictions"  # in CAPSTONE_ANSWERS: the true test labels, filled in by the test


def M(
    name: str,
    exercise: str,
    old: str,
    new: str,
    fails: str,
    bug: str,
    says: str | tuple[str, ...] = "",
    says_zh: str | tuple[str, ...] = "",
) -> Mutant:
    return Mutant(name, exercise, old, new, frozenset(f"{exercise}.{f}" for f in fails.split()), bug, says, says_zh)


# The reference's layers and forward (CNN_BODY), kept in a plain list (for layers_in_python_list).
LAYERS_NEW = """        self.convs = [
            nn.Sequential(nn.Conv2d(1, 16, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2)),
            nn.Sequential(nn.Conv2d(16, 32, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2)),
        ]
        self.out = nn.Linear(32 * 7 * 7, 10)
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        \"\"\"(N, 1, 28, 28) → (N, 10) logits.\"\"\"
        # BEGIN SOLUTION
        for block in self.convs:
            x = block(x)
        return self.out(x.flatten(1))
"""

# The reference's convolutions, the output layer made inside forward (for output_layer_made_in_forward).
MADE_IN_FORWARD = """        self.conv1 = nn.Sequential(nn.Conv2d(1, 16, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2))
        self.conv2 = nn.Sequential(nn.Conv2d(16, 32, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2))
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        \"\"\"(N, 1, 28, 28) → (N, 10) logits.\"\"\"
        # BEGIN SOLUTION
        x = self.conv2(self.conv1(x))
        return nn.Linear(32 * 7 * 7, 10)(x.flatten(1))
"""

MUTANTS: tuple[Mutant, ...] = (
    # ------------------------------------------------------------------ tensors
    M(
        "from_data_float_tensor",
        "tensors",
        "return torch.tensor(data)",
        "return torch.Tensor(data)",
        "from_data",
        "torch.Tensor(data) (capital T) always makes float32, so integer data loses its dtype",
    ),
    M(
        "from_numpy_copies",
        "tensors",
        "return torch.from_numpy(array)",
        "return torch.tensor(array)",
        "from_numpy",
        "torch.tensor copies the array instead of sharing its memory",
        says="does not share memory",
    ),
    M(
        "rand_like_keeps_dtype",
        "tensors",
        "torch.rand_like(t, dtype=torch.float32)",
        "torch.rand_like(t)",
        "ones_and_rand_like",
        "rand_like without dtype=float32: float64 input gives float64, int input raises",
    ),
    M(
        "zeros_like_for_ones",
        "tensors",
        "return torch.ones_like(t), ",
        "return torch.zeros_like(t), ",
        "ones_and_rand_like",
        "zeros_like where ones_like was asked",
    ),
    M(
        "device_as_numpy",
        "tensors",
        '    if torch.cuda.is_available():\n        return t.to("cuda")\n    return t\n',
        "    return t.cpu().numpy()\n",
        "to_available_device",
        "hands back a NumPy array (always on the CPU), not a tensor on the available device",
        says="CUDA is",
    ),
    M(
        "rand_is_a_ramp",
        "tensors",
        "return torch.rand(shape), ",
        "return (torch.arange(torch.Size(shape).numel()) % 97 / 97).reshape(shape), ",
        "rand_ones_zeros",
        "a fixed ramp of distinct numbers in [0, 1) where fresh random numbers were asked",
        says="new uniform random numbers",
    ),
    M(
        "randn_for_rand",
        "tensors",
        "return torch.rand(shape), ",
        "return torch.randn(shape), ",
        "rand_ones_zeros",
        "randn (normal, with negatives) instead of rand (uniform in [0, 1))",
    ),
    M(
        "describe_size_method",
        "tensors",
        "return t.shape, t.dtype, t.device",
        "return t.size, t.dtype, t.device",
        "describe",
        "t.size without the call parentheses returns the method, not the shape",
        says="x.size is the method, x.size() (or x.shape) the value",
        says_zh="x.size 是方法，x.size()（或 x.shape）才是值",
    ),
    M(
        "describe_dtype_string",
        "tensors",
        "return t.shape, t.dtype, t.device",
        "return t.shape, str(t.dtype), t.device",
        "describe",
        "the dtype as the string 'torch.float32' instead of the dtype object",
    ),
    M(
        "zero_column_on_clone",
        "tensors",
        "    t[:, col] = 0\n    return t",
        "    c = t.clone()\n    c[:, col] = 0\n    return c",
        "zero_column",
        "zeroes a copy and returns it: t itself is unchanged",
    ),
    M(
        "zero_row_not_column",
        "tensors",
        "t[:, col] = 0",
        "t[col] = 0",
        "zero_column",
        "t[col] indexes a row, not a column",
        says="was zeroed, not column",
    ),
    M(
        "concat_with_stack",
        "tensors",
        "return torch.cat(tensors, dim=dim)",
        "return torch.stack(tensors, dim=dim)",
        "concat",
        "stack where cat was asked: a new dimension instead of a longer one",
        says="stack needs every tensor to have the same shape",
    ),
    M(
        "concat_ignores_dim",
        "tensors",
        "return torch.cat(tensors, dim=dim)",
        "return torch.cat(tensors, dim=0)",
        "concat",
        "the dim argument ignored: always joined along dimension 0",
        says="every other dimension must be the same",
    ),
    M(
        "stack_with_cat",
        "tensors",
        "return torch.stack(tensors, dim=dim)",
        "return torch.cat(tensors, dim=dim)",
        "stack",
        "cat where stack was asked",
    ),
    M(
        "matmul_for_elementwise",
        "tensors",
        "return a.mul(b)",
        "return a.matmul(b)",
        "elementwise_product",
        "the matrix product where the element-wise product was asked",
        says="Element-wise: use *",
    ),
    M(
        "gram_elementwise",
        "tensors",
        "return t @ t.T",
        "return t * t.T",
        "gram",
        "t * t.T is element-wise (and only works for square t), not t @ t.T",
        says="the element-wise product of t and t.T",
    ),
    M(
        "double_returns_new",
        "tensors",
        "return t.add_(t)",
        "return t + t",
        "double_in_place",
        "t + t makes a new tensor; t itself is unchanged",
    ),
    M(
        "double_rebinds",
        "tensors",
        "return t.add_(t)",
        "t = t + t\n    return t",
        "double_in_place",
        "rebinding the name t is not an in-place change",
    ),
    # ------------------------------------------------------------------ autograd
    M(
        "backward_without_gradient",
        "autograd",
        "q.backward(gradient=torch.ones_like(q))",
        "q.backward()",
        "cubic_minus_square_grads",
        "backward() on a vector Q without the external gradient raises",
        says="the external gradient",
    ),
    M(
        "backward_gradient_twos",
        "autograd",
        "q.backward(gradient=torch.ones_like(q))",
        "q.backward(gradient=2 * torch.ones_like(q))",
        "cubic_minus_square_grads",
        "an external gradient of 2s doubles every gradient",
    ),
    M(
        "grads_with_autograd_grad",
        "autograd",
        "    q.backward(gradient=torch.ones_like(q))\n    return q, a.grad, b.grad\n",
        "    a_grad, b_grad = torch.autograd.grad(q, (a, b), grad_outputs=torch.ones_like(q))\n"
        "    return q, a_grad, b_grad\n",
        "cubic_minus_square_grads",
        "torch.autograd.grad returns the gradients but leaves a.grad and b.grad empty: backward was asked for",
        says="backward never ran",
    ),
    M(
        "closed_form_grads",
        "autograd",
        "    q = f(a, b)\n    q.backward(gradient=torch.ones_like(q))\n    return q, a.grad, b.grad\n",
        "    q = 3 * a**3 - b**2\n    a.grad, b.grad = 9 * a.detach() ** 2, -2 * b.detach()\n    return q, a.grad, b.grad\n",
        "cubic_minus_square_grads",
        "the gradients written by hand in closed form, without backward: right for the course's Q only",
        says="a function the check hands in",
    ),
    M(
        "finite_difference_grads",
        "autograd",
        "    q = f(a, b)\n    q.backward(gradient=torch.ones_like(q))\n    return q, a.grad, b.grad\n",
        "    q = f(a, b)\n    h = 1e-3\n    with torch.no_grad():\n"
        "        a.grad = (f(a + h, b) - f(a - h, b)) / (2 * h)\n"
        "        b.grad = (f(a, b + h) - f(a, b - h)) / (2 * h)\n    return q, a.grad, b.grad\n",
        "cubic_minus_square_grads",
        "gradients estimated by finite differences of f, without backward",
    ),
    M(
        "backward_twice_no_retain",
        "autograd",
        "q.backward(gradient=ones, retain_graph=True)",
        "q.backward(gradient=ones)",
        "backward_twice",
        "the first backward frees the graph, so the second raises",
        says="retain_graph=True",
        says_zh="第一次 backward 时传 retain_graph=True",
    ),
    M(
        "backward_twice_zeroes_between",
        "autograd",
        "q.backward(gradient=ones, retain_graph=True)\n",
        "q.backward(gradient=ones, retain_graph=True)\n    a.grad.zero_()\n    b.grad.zero_()\n",
        "backward_twice",
        "zeroing the gradients between the passes: they no longer accumulate",
    ),
    M(
        "sgd_rebinds_parameter",
        "autograd",
        "p -= lr * p.grad",
        "p = p - lr * p.grad",
        "sgd_step",
        "p = p - lr * grad makes a new tensor; the parameter is never updated",
    ),
    M(
        "sgd_keeps_gradients",
        "autograd",
        "            p -= lr * p.grad\n            p.grad = None\n",
        "            p -= lr * p.grad\n",
        "sgd_step",
        "the gradients are not cleared after the step",
    ),
    M(
        "sgd_returns_params",
        "autograd",
        "            p.grad = None\n    # END SOLUTION",
        "            p.grad = None\n    return params\n    # END SOLUTION",
        "sgd_step",
        "returns the parameters, where the step changes them in place and returns None",
        says="None (update the parameters in place)",
    ),
    M(
        "sgd_detaches_params",
        "autograd",
        "p -= lr * p.grad",
        "p.detach_().sub_(lr * p.grad)",
        "sgd_step",
        "detach_() takes the parameter out of autograd for good: it no longer requires grad",
        says="no longer a leaf that requires grad",
    ),
    M(
        "sgd_gradient_ascent",
        "autograd",
        "p -= lr * p.grad",
        "p += lr * p.grad",
        "sgd_step",
        "+ instead of −: a step up the gradient",
    ),
    M(
        "sgd_outside_no_grad",
        "autograd",
        "    with torch.no_grad():\n        for p in params:",
        "    if True:\n        for p in params:",
        "sgd_step",
        "the update outside torch.no_grad(): an in-place change of a leaf that requires grad raises",
        says="inside with torch.no_grad()",
        says_zh="更新参数要放在 with torch.no_grad(): 里",
    ),
    # ------------------------------------------------------------------ data
    M(
        "transform_list_not_compose",
        "data",
        "    return transforms.Compose(steps)\n",
        "    return steps\n",
        "mnist_transform",
        "returns the list of steps, not transforms.Compose(steps): a list cannot be applied to an image",
        says="cannot be applied to an image",
    ),
    M(
        "normalize_missing",
        "data",
        "    if normalize:\n        steps.append(transforms.Normalize((0.5,), (0.5,)))\n",
        "",
        "mnist_transform",
        "no Normalize: values stay in [0, 1]",
    ),
    M(
        "normalize_mnist_constants",
        "data",
        "transforms.Normalize((0.5,), (0.5,))",
        "transforms.Normalize((0.1307,), (0.3081,))",
        "mnist_transform",
        "MNIST's mean/std from another tutorial instead of the course's (0.5, 0.5)",
        says="values in [",
    ),
    M(
        "normalize_ignores_flag",
        "data",
        "if normalize:",
        "if True:",
        "mnist_transform",
        "normalize=False still normalizes",
    ),
    M(
        "normalize_before_totensor",
        "data",
        "    steps = [transforms.ToTensor()]\n    if normalize:\n        steps.append(transforms.Normalize((0.5,), (0.5,)))\n",
        "    steps = []\n    if normalize:\n        steps.append(transforms.Normalize((0.5,), (0.5,)))\n    steps.append(transforms.ToTensor())\n",
        "mnist_transform",
        "Normalize before ToTensor: it gets a PIL image and raises",
    ),
    M(
        "load_ignores_train",
        "data",
        "train=train,",
        "train=True,",
        "load_mnist",
        "always the training split, whatever `train` says",
        says="train=False loads the test split",
    ),
    M(
        "loaders_train_only",
        "data",
        "    return train_loader, test_loader\n",
        "    return train_loader\n",
        "make_loaders",
        "returns the training loader alone, not the pair",
        says="a pair (train_loader, test_loader)",
    ),
    M(
        "train_loader_drop_last",
        "data",
        "DataLoader(train_set, batch_size=batch_size, shuffle=True)",
        "DataLoader(train_set, batch_size=batch_size, shuffle=True, drop_last=True)",
        "make_loaders",
        "drop_last=True: an epoch leaves the last, smaller batch of the training set out",
        says="not every item of the training set",
    ),
    M(
        "test_loader_on_training_set",
        "data",
        "DataLoader(test_set, batch_size=batch_size, shuffle=False)",
        "DataLoader(train_set, batch_size=batch_size, shuffle=False)",
        "make_loaders",
        "the original notebook's slip: the test loader is built on the training set",
        says="the original course used the training set",
    ),
    M(
        "test_loader_shuffled",
        "data",
        "DataLoader(test_set, batch_size=batch_size, shuffle=False)",
        "DataLoader(test_set, batch_size=batch_size, shuffle=True)",
        "make_loaders",
        "the test loader shuffles",
    ),
    M(
        "train_loader_not_shuffled",
        "data",
        "DataLoader(train_set, batch_size=batch_size, shuffle=True)",
        "DataLoader(train_set, batch_size=batch_size)",
        "make_loaders",
        "the training loader keeps the dataset's order (MNIST's subset is sorted by digit)",
    ),
    M(
        "batch_size_ignored",
        "data",
        "DataLoader(train_set, batch_size=batch_size, shuffle=True)",
        "DataLoader(train_set, batch_size=50, shuffle=True)",
        "make_loaders",
        "the course's 50 hard-coded in the training loader; the batch_size argument is ignored",
    ),
    # ------------------------------------------------------------------ model
    M(
        "conv_size_no_double_padding",
        "model",
        "(size - kernel_size + 2 * padding) // stride + 1",
        "(size - kernel_size + padding) // stride + 1",
        "conv_output_size",
        "padding counted once, not on both sides",
    ),
    M(
        "conv_size_true_division",
        "model",
        "(size - kernel_size + 2 * padding) // stride + 1",
        "(size - kernel_size + 2 * padding) / stride + 1",
        "conv_output_size",
        "true division: 14.5 where the side length is 14 (a whole 14.0 would be accepted: a number of any type)",
    ),
    M(
        "cnn_not_a_module",
        "model",
        "class CNN(nn.Module):",
        "class CNN:",
        "cnn_structure cnn_function",
        "the class does not derive from nn.Module: no parameters, not callable",
        says="a subclass of nn.Module",
    ),
    M(
        "forward_skips_output_layer",
        "model",
        "return self.out(x.flatten(1))",
        "return x.flatten(1)",
        "cnn_structure cnn_function",
        "forward returns the flattened features without the output layer",
        says="one score per digit",
    ),
    M(
        "conv_without_padding",
        "model",
        "nn.Conv2d(1, 16, kernel_size=5, padding=2)",
        "nn.Conv2d(1, 16, kernel_size=5)",
        "cnn_structure cnn_function",
        "no padding on the first conv: the feature maps shrink and the Linear layer no longer fits",
        says="in_features",
    ),
    M(
        "missing_relu",
        "model",
        "nn.Conv2d(16, 32, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2)",
        "nn.Conv2d(16, 32, kernel_size=5, padding=2), nn.MaxPool2d(2)",
        "cnn_function",
        "the second ReLU is missing",
    ),
    M(
        "missing_both_relus",
        "model",
        "self.conv1 = nn.Sequential(nn.Conv2d(1, 16, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2))\n"
        "        self.conv2 = nn.Sequential(nn.Conv2d(16, 32, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2))",
        "self.conv1 = nn.Sequential(nn.Conv2d(1, 16, kernel_size=5, padding=2), nn.MaxPool2d(2))\n"
        "        self.conv2 = nn.Sequential(nn.Conv2d(16, 32, kernel_size=5, padding=2), nn.MaxPool2d(2))",
        "cnn_function",
        "no ReLU at all: the network is linear (max-pool aside)",
    ),
    M(
        "avg_pool",
        "model",
        "nn.Conv2d(16, 32, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2)",
        "nn.Conv2d(16, 32, kernel_size=5, padding=2), nn.ReLU(), nn.AvgPool2d(2)",
        "cnn_function",
        "an average pool instead of the max pool",
    ),
    M(
        "linear_without_bias",
        "model",
        "nn.Linear(32 * 7 * 7, 10)",
        "nn.Linear(32 * 7 * 7, 10, bias=False)",
        "cnn_structure cnn_function",
        "the output layer has no bias",
    ),
    M(
        "flatten_the_batch_too",
        "model",
        "return self.out(x.flatten(1))",
        "return self.out(x.flatten())",
        "cnn_structure cnn_function",
        "flatten() without start_dim=1 flattens the batch dimension too",
    ),
    M(
        "softmax_output",
        "model",
        "return self.out(x.flatten(1))",
        "return torch.softmax(self.out(x.flatten(1)), dim=1)",
        "cnn_function",
        "softmax on the output: CrossEntropyLoss wants raw logits",
    ),
    M(
        "relu_on_logits",
        "model",
        "self.out = nn.Linear(32 * 7 * 7, 10)",
        "self.out = nn.Sequential(nn.Linear(32 * 7 * 7, 10), nn.ReLU())",
        "cnn_function",
        "a ReLU after the output layer too: negative logits are cut to 0 and stop learning",
    ),
    M(
        "layers_in_python_list",
        "model",
        CNN_BODY,
        LAYERS_NEW,
        "cnn_structure cnn_function",
        "the conv blocks in a plain Python list (not nn.ModuleList): PyTorch never sees their parameters, so they never train",
        says="layers kept in a plain Python list or dict, or made inside forward, are invisible to PyTorch",
        says_zh="放在普通 Python 列表或字典里、或者在 forward 里才创建的层，PyTorch 都看不到",
    ),
    M(
        "output_layer_made_in_forward",
        "model",
        CNN_BODY,
        MADE_IN_FORWARD,
        "cnn_structure cnn_function",
        "the output layer made inside forward (a new, untrained Linear at every call): PyTorch never sees it",
        says=("forward ran layers that are no part of the model (Linear)", "are invisible to PyTorch"),
        says_zh=("forward 里运行了不属于模型的层（Linear）", "PyTorch 都看不到"),
    ),
    M(
        "dropout_always_on",
        "model",
        "return self.out(x.flatten(1))",
        "return self.out(nn.functional.dropout(x.flatten(1), 0.5))",
        "cnn_function",
        "F.dropout without training=self.training drops features even in eval mode: predictions are noisy",
    ),
    M(
        "count_frozen_parameters",
        "model",
        "sum(p.numel() for p in model.parameters() if p.requires_grad)",
        "sum(p.numel() for p in model.parameters())",
        "count_parameters",
        "frozen parameters counted too",
    ),
    M(
        "count_parameter_tensors",
        "model",
        "sum(p.numel() for p in model.parameters() if p.requires_grad)",
        "len([p for p in model.parameters() if p.requires_grad])",
        "count_parameters",
        "counts parameter tensors, not their elements",
    ),
    # ------------------------------------------------------------------ train
    M(
        "missing_zero_grad",
        "train",
        "        optimizer.zero_grad()\n",
        "",
        "train_one_epoch fit",
        "no zero_grad: gradients add up across batches",
        says="zero_grad() never ran",
    ),
    M(
        "missing_step",
        "train",
        "        optimizer.step()\n",
        "",
        "train_one_epoch fit",
        "no optimizer.step(): the parameters never change",
        says="optimizer.step() ran 0 times",
        says_zh="optimizer.step() 被调用了 0 次",
    ),
    M(
        "softmax_before_loss",
        "train",
        "loss = loss_fn(model(x), y)",
        "loss = loss_fn(model(x).softmax(dim=1), y)",
        "train_one_epoch fit",
        "softmax applied before CrossEntropyLoss, which takes logits and applies softmax itself",
        says="takes logits",
        says_zh="CrossEntropyLoss 要的是 logits",
    ),
    M(
        "fit_optimizer_over_a_copy",
        "train",
        "torch.optim.Adam(model.parameters(), lr=lr)",
        'torch.optim.Adam(__import__("copy").deepcopy(model).parameters(), lr=lr)',
        "fit",
        "the optimizer is built over a copy's parameters: the model itself never changes",
        says="exactly what it was before",
        says_zh="模型的每个参数都和训练前一模一样",
    ),
    M(
        "missing_backward",
        "train",
        "        loss.backward()\n",
        "",
        "train_one_epoch fit",
        "no loss.backward(): the optimizer steps without gradients",
    ),
    M(
        "step_before_backward",
        "train",
        "        loss.backward()\n        optimizer.step()\n",
        "        optimizer.step()\n        loss.backward()\n",
        "train_one_epoch fit",
        "step before backward: each step uses no gradient (or the previous batch's)",
    ),
    M(
        "eval_mode_training",
        "train",
        "    model.train()\n",
        "    model.eval()\n",
        "train_one_epoch fit",
        "model.eval() where model.train() belongs",
        says="the model was trained in eval mode",
    ),
    M(
        "forgets_train_mode",
        "train",
        "    model.train()\n",
        "",
        "train_one_epoch",
        "no model.train(): a model handed over in eval mode (after an evaluation) is trained in eval mode",
        says="call model.train() first",
    ),
    M(
        "returns_last_loss",
        "train",
        "    return total / max(batches, 1)",
        "    return loss.item()",
        "train_one_epoch fit",
        "returns the last batch's loss, not the epoch's mean",
    ),
    M(
        "sums_loss_tensors",
        "train",
        "total += loss.item()",
        "total += loss",
        "train_one_epoch fit",
        "adds loss tensors (keeping every graph) and returns a tensor, not a float",
    ),
    M(
        "fit_with_sgd",
        "train",
        "torch.optim.Adam(model.parameters(), lr=lr)",
        "torch.optim.SGD(model.parameters(), lr=lr)",
        "fit",
        "SGD where the course uses Adam",
    ),
    M(
        "mean_over_samples",
        "train",
        "    return total / max(batches, 1)",
        "    return total / len(loader.dataset)",
        "train_one_epoch fit",
        "divides the sum of batch means by the number of samples, not of batches",
    ),
    M(
        "fit_new_optimizer_each_epoch",
        "train",
        "    optimizer = torch.optim.Adam(model.parameters(), lr=lr)\n    loss_fn = nn.CrossEntropyLoss()\n"
        "    return [train_one_epoch(model, train_loader, optimizer, loss_fn, device) for _ in range(epochs)]\n",
        "    loss_fn = nn.CrossEntropyLoss()\n    losses = []\n    for _ in range(epochs):\n"
        "        optimizer = torch.optim.Adam(model.parameters(), lr=lr)\n"
        "        losses.append(train_one_epoch(model, train_loader, optimizer, loss_fn, device))\n    return losses\n",
        "fit",
        "a new Adam every epoch: its running averages restart each time",
    ),
    M(
        "fit_forgets_return",
        "train",
        "    return [train_one_epoch(model, train_loader, optimizer, loss_fn, device) for _ in range(epochs)]\n",
        "    losses = [train_one_epoch(model, train_loader, optimizer, loss_fn, device) for _ in range(epochs)]\n",
        "fit",
        "the losses are collected but never returned: fit returns None",
        says=("a list of 3 floats", "a function whose body ends without return gives None"),
        says_zh="函数体结束时没有 return，就会返回 None",
    ),
    M(
        "fit_assigns_append",
        "train",
        "    return [train_one_epoch(model, train_loader, optimizer, loss_fn, device) for _ in range(epochs)]\n",
        "    losses = []\n    for _ in range(epochs):\n"
        "        losses = losses.append(train_one_epoch(model, train_loader, optimizer, loss_fn, device))\n"
        "    return losses\n",
        "fit",
        "losses = losses.append(...): append changes the list in place and returns None",
        says="so do the methods that change their object in place (list.append, list.sort)",
        says_zh="原地修改对象的方法（list.append、list.sort 等）也返回 None",
    ),
    M(
        "fit_parameters_not_called",
        "train",
        "torch.optim.Adam(model.parameters(), lr=lr)",
        "torch.optim.Adam(model.parameters, lr=lr)",
        "fit",
        "model.parameters without the call parentheses: the optimizer is handed the method",
        says="model.parameters is the method, model.parameters() the value",
        says_zh="model.parameters 是方法，model.parameters() 才是值",
    ),
    M(
        "fit_parameters_used_up",
        "train",
        "    optimizer = torch.optim.Adam(model.parameters(), lr=lr)\n",
        "    params = model.parameters()\n"
        '    print(f"training {sum(p.numel() for p in params)} parameters")\n'
        "    optimizer = torch.optim.Adam(params, lr=lr)\n",
        "fit",
        "model.parameters() kept and counted first: the generator is used up, the optimizer gets nothing",
        says="optimizer got no parameters at all",
        says_zh="它是生成器，只能遍历一次",
    ),
    M(
        "labels_counted_from_one",
        "train",
        "loss = loss_fn(model(x), y)",
        "loss = loss_fn(model(x), y + 1)",
        "train_one_epoch fit",
        "the labels shifted to 1…C (classes counted from 1): cross-entropy wants class indices 0…C−1",
        says="classes count from 0",
        says_zh="类别从 0 开始编号",
    ),
    M(
        "fit_repeats_one_epoch",
        "train",
        "[train_one_epoch(model, train_loader, optimizer, loss_fn, device) for _ in range(epochs)]",
        "[train_one_epoch(model, train_loader, optimizer, loss_fn, device)] * epochs",
        "fit",
        "[loss] * epochs trains once and repeats that epoch's loss",
        says="the model ran forward",
    ),
    M(
        "fit_one_epoch_only",
        "train",
        "for _ in range(epochs)]",
        "for _ in range(1)]",
        "fit",
        "ignores `epochs`: trains once",
    ),
    # ------------------------------------------------------------------ evaluate
    M(
        "predict_over_batch",
        "evaluate",
        "return logits.argmax(dim=1)",
        "return logits.argmax(dim=0)",
        "predict accuracy",
        "argmax over dim 0: the best sample per class, not the best class per sample",
    ),
    M(
        "predict_max_values",
        "evaluate",
        "return logits.argmax(dim=1)",
        "return logits.max(dim=1)[0]",
        "predict accuracy",
        "max(dim=1)[0] is the largest logit, not its position",
    ),
    M(
        "accuracy_without_eval",
        "evaluate",
        "    model.eval()\n",
        "",
        "accuracy",
        "no model.eval(): batch norm and dropout behave as in training",
    ),
    M(
        "accuracy_records_grad",
        "evaluate",
        "    with torch.no_grad():\n        for x, y in loader:\n            x, y = x.to(device), y.to(device)\n"
        "            correct += (predict(model(x)) == y).sum().item()\n            total += y.numel()\n",
        "    for x, y in loader:\n        x, y = x.to(device), y.to(device)\n"
        "        correct += (predict(model(x)) == y).sum().item()\n        total += y.numel()\n",
        "accuracy",
        "no torch.no_grad(): evaluation records a graph",
    ),
    M(
        "accuracy_numpy_with_grad",
        "evaluate",
        "    with torch.no_grad():\n        for x, y in loader:\n            x, y = x.to(device), y.to(device)\n"
        "            correct += (predict(model(x)) == y).sum().item()\n            total += y.numel()\n",
        "    for x, y in loader:\n        x, y = x.to(device), y.to(device)\n"
        "        correct += int((model(x).numpy().argmax(1) == y.numpy()).sum())\n        total += y.numel()\n",
        "accuracy",
        "no torch.no_grad() and .numpy() on the logits: a tensor that requires grad cannot become an array",
        says="torch.no_grad()",
    ),
    M(
        "accuracy_first_batch_only",
        "evaluate",
        "            total += y.numel()\n",
        "            total += y.numel()\n            break\n",
        "accuracy",
        "a stray break: only the first batch is counted",
        says="the loader has",
    ),
    M(
        "accuracy_percent",
        "evaluate",
        "return correct / max(total, 1)",
        "return 100 * correct / max(total, 1)",
        "accuracy",
        "a percentage, not a fraction",
    ),
    M(
        "accuracy_item_not_called",
        "evaluate",
        "correct += (predict(model(x)) == y).sum().item()",
        "correct += (predict(model(x)) == y).sum().item",
        "accuracy",
        ".item without the call parentheses: the method is added to the count",
        says="x.item is the method, x.item() the value",
        says_zh="x.item 是方法，x.item() 才是值",
    ),
    M(
        "accuracy_per_batch",
        "evaluate",
        "return correct / max(total, 1)",
        "return correct / len(loader)",
        "accuracy",
        "divides by the number of batches, not of samples",
    ),
    # --- error stories (blitz/course/error_stories.py) reached by realistic bugs
    M(
        "transform_class_not_instance",
        "data",
        "    steps = [transforms.ToTensor()]\n",
        "    steps = [transforms.ToTensor]\n",
        "mnist_transform",
        "the class ToTensor in the list, not an instance: Compose then makes a new ToTensor from the image",
        says="instead of calling one",
        says_zh="而不是调用一个已有的",
    ),
    M(
        "normalize_before_to_tensor",
        "data",
        "    steps = [transforms.ToTensor()]\n    if normalize:\n        steps.append(transforms.Normalize((0.5,), (0.5,)))\n",
        "    steps = []\n    if normalize:\n        steps.append(transforms.Normalize((0.5,), (0.5,)))\n"
        "    steps.append(transforms.ToTensor())\n",
        "mnist_transform",
        "Normalize before ToTensor: Normalize receives a PIL image",
        says="ToTensor must come before Normalize",
        says_zh="ToTensor 要排在 Normalize 前面",
    ),
    M(
        "to_tensor_twice",
        "data",
        "    steps = [transforms.ToTensor()]\n",
        "    steps = [transforms.ToTensor(), transforms.ToTensor()]\n",
        "mnist_transform",
        "ToTensor twice: the second receives a tensor",
        says="ToTensor received a tensor",
        says_zh="ToTensor 拿到的已经是张量了",
    ),
    M(
        "cnn_view_wrong_size",
        "model",
        "return self.out(x.flatten(1))",
        "return self.out(x.view(x.size(0), 32 * 14 * 14))",
        "cnn_structure cnn_function",
        "flattened to the size before the second pool: view asks for more elements than there are",
        says="the sizes must multiply",
    ),
    M(
        "forward_under_no_grad",
        "train",
        "        loss = loss_fn(model(x), y)\n",
        "        with torch.no_grad():\n            loss = loss_fn(model(x), y)\n",
        "train_one_epoch fit",
        "the forward pass inside torch.no_grad(): the loss has no history for backward",
        says="found nothing to differentiate",
        says_zh="backward() 找不到可以求导的东西",
    ),
    M(
        "float_targets",
        "train",
        "loss = loss_fn(model(x), y)",
        "loss = loss_fn(model(x), y.float())",
        "train_one_epoch fit",
        "the labels turned into floats: cross-entropy wants class indices",
        says="class index",
        says_zh="类别编号",
    ),
    M(
        "fit_loss_class",
        "train",
        "    loss_fn = nn.CrossEntropyLoss()\n",
        "    loss_fn = nn.CrossEntropyLoss\n",
        "fit",
        "the loss class, not an instance: loss_fn(output, y) makes a new CrossEntropyLoss",
        says="loss_fn holds the loss class (such as nn.CrossEntropyLoss) where an instance is needed",
        says_zh="loss_fn 里放的是损失函数的类",
    ),
    # ------------------------------------------------------------------ extras
    M(
        "binary_with_logits",
        "extras",
        '"binary": nn.BCELoss,',
        '"binary": nn.BCEWithLogitsLoss,',
        "loss_for",
        "BCEWithLogitsLoss for probabilities (that one is for logits)",
    ),
    M(
        "unknown_task_keyerror",
        "extras",
        "    try:\n        return _LOSSES[task]()\n    except KeyError:\n"
        "        raise ValueError(f\"unknown task {task!r}; choose one of: {', '.join(_LOSSES)}\") from None\n",
        "    return _LOSSES[task]()\n",
        "loss_for",
        "an unknown task raises a bare KeyError instead of a ValueError naming the choices",
    ),
    M(
        "text_conv2d",
        "extras",
        '"text": nn.Conv1d',
        '"text": nn.Conv2d',
        "conv_for",
        "Conv2d for text (1-D sequences want Conv1d)",
    ),
    M(
        "conv_without_bias",
        "extras",
        "return _CONVS[kind](in_channels, out_channels, kernel_size)",
        "return _CONVS[kind](in_channels, out_channels, kernel_size, bias=False)",
        "conv_for",
        "bias=False: the layer has no bias, so it computes another function than the docstring's default",
        says="its parameters have shapes",
    ),
    M(
        "conv_padded",
        "extras",
        "return _CONVS[kind](in_channels, out_channels, kernel_size)",
        "return _CONVS[kind](in_channels, out_channels, kernel_size, padding=kernel_size // 2)",
        "conv_for",
        "padding added where the docstring asks for the defaults: the right type, another output",
        says="with the kit's weights",
    ),
    M(
        "binary_loss_summed",
        "extras",
        '"binary": nn.BCELoss,',
        '"binary": lambda: nn.BCELoss(reduction="sum"),',
        "loss_for",
        "reduction='sum': the right loss class, a total instead of the mean the table's default gives",
        says="(inputs of shape",
    ),
    M(
        "lstm_gru_swapped",
        "extras",
        '"lstm": nn.LSTM, "gru": nn.GRU',
        '"lstm": nn.GRU, "gru": nn.LSTM',
        "recurrent",
        "LSTM and GRU swapped",
    ),
    M(
        "flatten_everything",
        "extras",
        "return x.reshape(x.size(0), -1)",
        "return x.view(-1)",
        "flatten_batch",
        "view(-1) flattens the batch dimension too",
    ),
    M(
        "permute_wrong_order",
        "extras",
        "return img.permute(2, 0, 1)",
        "return img.permute(2, 1, 0)",
        "hwc_to_chw",
        "permute(2, 1, 0) also swaps height and width",
    ),
    M(
        "reshape_not_permute",
        "extras",
        "return img.permute(2, 0, 1)",
        "return img.reshape(img.shape[2], img.shape[0], img.shape[1])",
        "hwc_to_chw",
        "reshape keeps the memory order: the right shape, scrambled pixels",
        says="the pixels are scrambled",
    ),
    M(
        "batch_not_unpacked",
        "train",
        "    for x, y in loader:\n        x, y = x.to(device), y.to(device)\n",
        "    for batch in loader:\n        batch = batch.to(device)\n        x, y = batch\n",
        "train_one_epoch fit",
        "the loader's batch (a list of images and labels) moved to the device whole, never unpacked",
        says="Unpack it first (x, y = batch)",
        says_zh="先拆开（x, y = batch）",
    ),
)

# Bugs that never end: each is stopped by its time limit, so these run in a worker (blitz.execution), not in
# this process (tests/corpora/test_mutants.py and tests/unit/test_feedback_languages.py run them so). Their
# message must show what the code printed (`says` holds its first line) and say that printing is slow.
# Past 25 passes (more lines than blitz.execution.stops.MANY_LINES) their loops sleep 0.2 s a pass: what is
# tested is the stop and what was printed, not a spinning core, which would burn the whole time limit (two
# checks' worth, on every torch thread) for nothing.
STOPPED: tuple[Mutant, ...] = (
    M(
        "epoch_loop_on_a_fresh_iterator",
        "train",
        "    for x, y in loader:\n        x, y = x.to(device), y.to(device)\n",
        "    import time\n\n"
        "    while True:  # meant to end when the loader runs out\n        x, y = next(iter(loader))\n"
        "        x, y = x.to(device), y.to(device)\n"
        '        print(f"batch {batches + 1}: loss {loss_fn(model(x), y).item():.4f}")\n'
        "        if batches > 25:\n            time.sleep(0.2)\n",
        "train_one_epoch fit",
        "next(iter(loader)) in a while loop: a new iterator every pass, so the first batch forever, the loss "
        "printed at every step",
        says=("What it printed", "batch 1: loss", "Printing at every step is slow"),
        says_zh=("它打印的内容", "batch 1: loss", "每一步都打印很慢"),
    ),
)
STOPPED_LIMIT = "8"  # seconds (BLITZ_TIME_LIMIT) for each check: more than 20 lines printed, on a loaded machine too


# The capstone trains for real, so its broken pipelines are fake answers of its probes (mutants.Canned,
# run by mutants.run_canned_capstone): what each kind of broken pipeline hands back. RIGHT stands for
# the trained weights of a network that predicts every test label (and the worker's predictions of the
# first 50 test images that go with them). (tests/unit/test_calibration.py trains the real ones.)
CAPSTONE_ANSWERS: dict[str, dict] = {
    "not_the_course_cnn": {"cnn": "not a tensor"},  # each of the model's outputs
    "other_split": {"train_size": 16000, "loaded_train_size": 16000},
    "no_length": {"train_size": None, "loaded_train_size": None},
    "no_weights": {"weights": [torch.zeros(3)]},  # parameters that fit no layer of the course's CNN
    "below_the_bar": {"losses": "not a list"},  # untrained weights: about one in ten right
    "incomplete_subset": {"weights": RIGHT, "subset": 0},
    "disagreeing_models": {"weights": RIGHT, "subset_predictions": "zeros"},
    "subset_accuracy": {"weights": RIGHT, "subset_predictions": RIGHT, "student_subset_accuracy": 0.5},
}


# Words each canned capstone's message must contain (as a mutant's `says`): the curve's points, the
# share a wrong evaluate.accuracy costs, the course's CNN standing in for one that fails the model checks.
CAPSTONE_SAYS: dict[str, str] = {
    "below_the_bar": "of 15 (on the curve: 10% accuracy or less earns 0, 91% or more all, linear between)",
    "subset_accuracy": "evaluate.accuracy is wrong, which costs 20% of them",
    "not_the_course_cnn": "the course's reference CNN was trained in its place",
}


def capstone_answer(name: str, labels) -> dict:
    """CAPSTONE_ANSWERS[name] with its placeholders filled in from the true test labels."""
    import torch

    from mutants import RIGHT_WEIGHTS

    out = {}
    for key, value in CAPSTONE_ANSWERS[name].items():
        if value == RIGHT:
            value = RIGHT_WEIGHTS if key == "weights" else labels[:50].clone()
        elif value == "zeros":
            value = torch.zeros(50, dtype=labels.dtype)
        out[key] = value
    return out
