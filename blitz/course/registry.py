"""The one ordered list of exercises: id, title, points and hints (gentle first, explicit last).

Everything else is derived from it: stubs, notebooks, the autograder's report keys, the nbgrader
course, the student's `blitz list`. The order is the course's order.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from blitz.course.i18n import Msg


def _root() -> Path:
    """The kit's checkout; for an installed student release (no checkout around the package), the
    folder the student works in: the release's exercises/, autograder/ and data/ are there."""
    checkout = Path(__file__).resolve().parents[2]
    return checkout if (checkout / "autograder").is_dir() else Path.cwd()


ROOT = _root()


@dataclass(frozen=True)
class Exercise:
    id: str
    title: Msg
    points: int
    hints: tuple[Msg, ...]
    # False for the capstone, which has no file of its own: it runs the student's whole pipeline.
    has_module: bool = True
    optional: bool = False

    @property
    def stub_path(self) -> Path:
        return ROOT / "exercises" / f"{self.id}.py"

    @property
    def solution_path(self) -> Path:
        return ROOT / "solutions" / f"{self.id}.py"

    @property
    def notebook_path(self) -> Path:
        return ROOT / "notebooks" / f"{self.id}.ipynb"


EXERCISES: tuple[Exercise, ...] = (
    Exercise(
        id="tensors",
        title=Msg("张量：创建、属性、索引、拼接与乘法", "Tensors: creation, attributes, indexing, joining, products"),
        points=15,
        hints=(
            Msg(
                "张量就是带类型的多维数组。先想清楚每个函数要返回什么形状、什么 dtype，"
                "再去找对应的 torch 函数：torch.tensor、torch.from_numpy、torch.ones_like、torch.rand_like。",
                "A tensor is a typed n-dimensional array. For each function, decide the shape and dtype "
                "it must return first, then find the torch function: torch.tensor, torch.from_numpy, "
                "torch.ones_like, torch.rand_like.",
            ),
            Msg(
                "cat 在已有的维度上接起来（维数不变），stack 先新建一个维度再叠起来（维数加一）。"
                "mul（或 *）是逐元素相乘，matmul（或 @）是矩阵乘法。带下划线的方法（add_）直接改写自己。",
                "cat joins along an existing dimension (same number of dims); stack adds a new dimension "
                "(one more dim). mul (or *) multiplies element by element, matmul (or @) is the matrix "
                "product. Methods ending in an underscore (add_) change the tensor itself.",
            ),
            Msg(
                "写法参考：from_numpy 用 torch.from_numpy(array)（不要 torch.tensor，它会复制）；"
                "zero_column 用 t[:, col] = 0 后 return t；double_in_place 用 t.add_(t) 后 return t；"
                "describe 返回 (t.shape, t.dtype, t.device)；gram 返回 t @ t.T。",
                "Concretely: from_numpy is torch.from_numpy(array) (torch.tensor would copy); zero_column "
                "is t[:, col] = 0 then return t; double_in_place is t.add_(t) then return t; describe "
                "returns (t.shape, t.dtype, t.device); gram returns t @ t.T.",
            ),
        ),
    ),
    Exercise(
        id="autograd",
        title=Msg(
            "自动求导：backward、外部梯度、retain_graph 与参数更新",
            "Autograd: backward, external gradients, retain_graph, the update rule",
        ),
        points=10,
        hints=(
            Msg(
                "Q = 3a³ − b² 是一个向量，不是标量，所以 backward 需要一个和 Q 同形状的 gradient 参数。"
                "求出的梯度会存进 a.grad 和 b.grad。",
                "Q = 3a³ − b² is a vector, not a scalar, so backward needs a gradient argument shaped like Q. "
                "The gradients land in a.grad and b.grad.",
            ),
            Msg(
                "计算图在 backward 之后默认会被释放；想在同一张图上再 backward 一次，第一次要传 retain_graph=True。"
                "两次的梯度会累加：结果是一次的两倍。",
                "The graph is freed after backward by default; to run backward on the same graph again, pass "
                "retain_graph=True the first time. The two passes add up: twice the single gradient.",
            ),
            Msg(
                "sgd_step：在 with torch.no_grad(): 里对每个参数做 p -= lr * p.grad（原地修改），"
                "然后 p.grad = None（或 p.grad.zero_()）。不要写 p = p - ...，那只是换了一个新张量。",
                "sgd_step: inside with torch.no_grad(): do p -= lr * p.grad for each parameter (in place), "
                "then p.grad = None (or p.grad.zero_()). Writing p = p - ... only makes a new tensor.",
            ),
        ),
    ),
    Exercise(
        id="data",
        title=Msg(
            "数据：torchvision 的 MNIST、ToTensor/Normalize 与 DataLoader",
            "Data: MNIST with torchvision, ToTensor/Normalize, DataLoader",
        ),
        points=10,
        hints=(
            Msg(
                "ToTensor 把 28×28 的灰度图变成形状 (1, 28, 28)、取值 [0, 1] 的 float 张量；"
                "Normalize(0.5, 0.5) 再做 (x − 0.5) / 0.5，得到 [−1, 1]。用 transforms.Compose 串起来。",
                "ToTensor turns a 28×28 grey image into a float tensor of shape (1, 28, 28) in [0, 1]; "
                "Normalize(0.5, 0.5) then computes (x − 0.5) / 0.5, giving [−1, 1]. Chain them with "
                "transforms.Compose.",
            ),
            Msg(
                "torchvision.datasets.MNIST(root, train=..., transform=..., download=...) 会读 root/MNIST/raw 下的文件。"
                "train=True 是训练集，train=False 是测试集。",
                "torchvision.datasets.MNIST(root, train=..., transform=..., download=...) reads the files under "
                "root/MNIST/raw. train=True is the training split, train=False the test split.",
            ),
            Msg(
                "训练用的 DataLoader 要 shuffle=True；测试用的 DataLoader 要建在测试集上，而且 shuffle=False。"
                "原课程把测试 loader 建在了训练集上——别照抄。",
                "The training DataLoader needs shuffle=True; the test DataLoader must be built on the test set, "
                "with shuffle=False. The original course built its test loader on the training set: don't copy that.",
            ),
        ),
    ),
    Exercise(
        id="model",
        title=Msg("模型：两个卷积块加一个全连接层的 CNN", "Model: a CNN of two conv blocks and a linear layer"),
        points=15,
        hints=(
            Msg(
                "卷积输出尺寸 = (输入 − 卷积核 + 2×填充) // 步长 + 1。28×28 经过 5×5、填充 2 的卷积还是 28×28，"
                "2×2 最大池化后减半。",
                "Conv output size = (input − kernel + 2×padding) // stride + 1. A 28×28 image through a 5×5 "
                "conv with padding 2 stays 28×28; a 2×2 max-pool halves it.",
            ),
            Msg(
                "每个卷积块是 Conv2d → ReLU → MaxPool2d(2)。两块之后特征图是 32×7×7，"
                "要先展平成 (N, 32*7*7) 才能进 nn.Linear(32*7*7, 10)。",
                "Each conv block is Conv2d → ReLU → MaxPool2d(2). After two blocks the features are 32×7×7; "
                "flatten them to (N, 32*7*7) before nn.Linear(32*7*7, 10).",
            ),
            Msg(
                "展平用 x.flatten(1) 或 x.view(x.size(0), -1)。count_parameters 是对 requires_grad 的参数求 p.numel() 之和；"
                "这个网络一共 28,938 个参数。",
                "Flatten with x.flatten(1) or x.view(x.size(0), -1). count_parameters sums p.numel() over "
                "parameters with requires_grad; this net has 28,938 of them.",
            ),
        ),
    ),
    Exercise(
        id="train",
        title=Msg("训练：Adam、交叉熵与训练循环", "Training: Adam, cross-entropy and the training loop"),
        points=15,
        hints=(
            Msg(
                "每个批次都是同样五步：前向算输出 → 算损失 → 梯度清零 → 反向传播 → 优化器更新。少一步，模型就学不会。",
                "Every batch takes the same five steps: forward → loss → zero the gradients → backward → "
                "optimizer step. Skip one and the model does not learn.",
            ),
            Msg(
                "训练前调用 model.train()；把每个批次的 x、y 用 .to(device) 搬到模型所在的设备；"
                "返回的是所有批次损失的平均值（用 loss.item() 取出数字）。",
                "Call model.train() before the loop; move each batch's x and y with .to(device); return the "
                "mean of the batch losses (take numbers out with loss.item()).",
            ),
            Msg(
                "fit：optimizer = torch.optim.Adam(model.parameters(), lr=lr)，loss_fn = nn.CrossEntropyLoss()，"
                "然后每个 epoch 调一次 train_one_epoch，把返回值收进列表。",
                "fit: optimizer = torch.optim.Adam(model.parameters(), lr=lr), loss_fn = nn.CrossEntropyLoss(), "
                "then call train_one_epoch once per epoch and collect what it returns in a list.",
            ),
        ),
    ),
    Exercise(
        id="evaluate",
        title=Msg("评估：预测类别与测试集准确率", "Evaluation: predicted classes and test accuracy"),
        points=10,
        hints=(
            Msg(
                "每一行 logits 里最大的那个位置就是预测的类别：argmax(dim=1)。",
                "The position of the largest logit in each row is the predicted class: argmax(dim=1).",
            ),
            Msg(
                "评估前 model.eval()，并把循环放进 with torch.no_grad():，既省内存又不会记录计算图。",
                "Call model.eval() first and run the loop inside with torch.no_grad(): it saves memory and "
                "records no graph.",
            ),
            Msg(
                "correct += (predict(model(x)) == y).sum().item()，total += y.numel()，最后返回 correct / total。"
                "要在测试 loader 上算，不是训练 loader。",
                "correct += (predict(model(x)) == y).sum().item(), total += y.numel(), return correct / total. "
                "Use the test loader, not the training one.",
            ),
        ),
    ),
    Exercise(
        id="pipeline",
        title=Msg(
            "全流程：你的数据、模型、训练与评估在真实 MNIST 上跑一遍",
            "End to end: your data, model, training and evaluation on real MNIST",
        ),
        points=15,
        has_module=False,
        hints=(
            Msg(
                "这一关没有新代码：它把你在 data、model、train、evaluate 里写的函数串起来，在真实 MNIST 上训练并测准确率。"
                "先让这四个练习各自通过。",
                "This step has no new code: it chains your data, model, train and evaluate functions, trains "
                "on real MNIST and measures the accuracy. Make those four exercises pass first.",
            ),
            Msg(
                "准确率偏低时，最常见的原因是：测试 loader 建在训练集上、忘了 ReLU、池化写成了平均池化、"
                "训练循环少了 zero_grad 或 step。",
                "When the accuracy is low the usual causes are: a test loader built on the training set, a "
                "missing ReLU, an average pool instead of a max pool, a loop without zero_grad or step.",
            ),
            Msg(
                "先运行 `blitz report`：它会训练你的模型，画出损失曲线和分错的数字，看看损失有没有下降。",
                "Run `blitz report`: it trains your model and draws the loss curve and the misclassified "
                "digits, so you can see whether the loss goes down.",
            ),
        ),
    ),
    Exercise(
        id="extras",
        title=Msg(
            "选读：卷积与循环层、view/permute、损失函数表",
            "Extras: conv and recurrent layers, view/permute, the loss table",
        ),
        points=10,
        optional=True,
        hints=(
            Msg(
                "Conv1d 处理文本这样的一维序列，Conv2d 处理图像，Conv3d 处理视频。RNN、LSTM、GRU 都在 torch.nn 里，"
                "构造参数是 (input_size, hidden_size)。",
                "Conv1d handles 1-D sequences such as text, Conv2d images, Conv3d video. RNN, LSTM and GRU "
                "live in torch.nn and take (input_size, hidden_size).",
            ),
            Msg(
                "view 改形状不改数据顺序，permute 改维度的顺序。HWC → CHW 是 permute(2, 0, 1)。",
                "view changes the shape, not the order of the data; permute reorders the dimensions. "
                "HWC → CHW is permute(2, 0, 1).",
            ),
            Msg(
                "loss_for 可以用一个字典把任务名映射到损失类：{'regression': nn.MSELoss, ...}，找不到就 raise ValueError 并列出所有可选名字。",
                "loss_for can map task names to loss classes with a dict: {'regression': nn.MSELoss, ...}; "
                "for an unknown name raise ValueError listing every choice.",
            ),
        ),
    ),
)

BY_ID: dict[str, Exercise] = {exercise.id: exercise for exercise in EXERCISES}
MODULE_EXERCISES: tuple[Exercise, ...] = tuple(e for e in EXERCISES if e.has_module)
# The exercises whose code the capstone `pipeline` runs together, in the order it uses them.
PIPELINE_INPUTS: tuple[str, ...] = ("data", "model", "train", "evaluate")
TOTAL_POINTS = sum(exercise.points for exercise in EXERCISES)


def get(exercise_id: str) -> Exercise:
    try:
        return BY_ID[exercise_id]
    except KeyError:
        choices = ", ".join(BY_ID)
        raise KeyError(f"unknown exercise {exercise_id!r}; choose one of: {choices}") from None
