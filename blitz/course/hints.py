"""A hint ladder per check, gentle first: what the check is about, then what to look at, and last
the course section that teaches it (never the line of code that answers it).

`blitz hint`, watch's h key and a failing notebook test cell all show the ladder of the first check
that fails (:func:`ladder`). The ladders are declared here once, per exercise in check order, keyed
by the check's name (``blitz/checks/<id>.py``, ``check_<name>``); a test keeps the two in step.
"""

from __future__ import annotations

from blitz.course import registry
from blitz.course.i18n import Msg

# The course's chapters, as the last rung names them.
CHAPTERS: dict[str, Msg] = {
    "tensors": Msg("张量", "Tensors"),
    "autograd": Msg("自动求导", "Autograd"),
    "data": Msg("数据", "Data"),
    "model": Msg("模型", "Model"),
    "train": Msg("训练", "Training"),
    "evaluate": Msg("评估", "Evaluation"),
    "pipeline": Msg("全流程", "End to end"),
    "extras": Msg("选读", "Extras"),
}


def section(exercise: str, zh: str, en: str) -> Msg:
    """The last rung: the section of the exercise's reading (blitz/course/readings/) to read again,
    by its heading (`zh` and `en`, which a test finds among the reading's headings)."""
    chapter = CHAPTERS[exercise]
    notebook = registry.get(exercise).has_module  # the capstone has no notebook
    also = (
        (f"，笔记本 notebooks/{exercise}.ipynb 开头也有", f"; so does the top of notebooks/{exercise}.ipynb")
        if notebook
        else ("", "")
    )
    title = en[:1].upper() + en[1:]
    SECTIONS.append((exercise, zh, en))
    return Msg(
        f"重读课程“{chapter.zh}”讲解里的“{zh}”一节（blitz learn {exercise} 显示它{also[0]}）。再对照检查的消息。",
        f'Read the course section "{chapter.en}" again, the part "{title}" (blitz learn {exercise} shows it{also[1]}). '
        "Then compare it with the check's message.",
    )


# Every (exercise, zh heading, en heading) a ladder's last rung names.
SECTIONS: list[tuple[str, str, str]] = []


H = Msg

LADDERS: dict[str, dict[str, tuple[Msg, ...]]] = {
    "tensors": {
        "from_data": (
            H(
                "PyTorch 能直接从嵌套列表创建张量，并自己推断 dtype。",
                "PyTorch makes a tensor straight from nested lists and infers the dtype itself.",
            ),
            H(
                "整数数据应得到 int64，小数得到 float32，布尔值得到 bool：别强制成 float。",
                "Integer data should give int64, decimals float32, booleans bool: do not force floats.",
            ),
            section("tensors", "从数据创建张量", "making a tensor from data"),
        ),
        "from_numpy": (
            H(
                "这个张量要和数组共享同一块内存：改数组，张量也变。",
                "The tensor must share the array's memory: change the array and the tensor changes too.",
            ),
            H(
                "有的创建函数会复制数据，有的不会；找专门接收 NumPy 数组、不复制的那个。",
                "Some constructors copy the data, one does not; find the one made for NumPy arrays that shares memory.",
            ),
            section("tensors", "与 NumPy 互通", "the bridge with NumPy"),
        ),
        "ones_and_rand_like": (
            H(
                "两个结果的形状都要和 t 一样；带 _like 的函数会照着另一个张量来建。",
                "Both results take t's shape; the *_like functions build after another tensor.",
            ),
            H(
                "全 1 的那个保持 t 的 dtype；随机的那个要是 float32，即使 t 是整数。",
                "The ones keep t's dtype; the random one must be float32, even when t holds integers.",
            ),
            section("tensors", "按另一个张量的形状创建张量", "making tensors shaped like another one"),
        ),
        "rand_ones_zeros": (
            H("三个 float32 张量，形状都由参数 shape 给出。", "Three float32 tensors, each of the given shape."),
            H(
                "随机的那个要在 [0, 1) 上均匀分布——不是正态分布（正态分布会有负数）。",
                "The random one is uniform in [0, 1), not normal (a normal draw has negatives).",
            ),
            section("tensors", "随机数与常数张量", "random and constant tensors"),
        ),
        "describe": (
            H(
                "张量有三个常用属性：形状、数据类型、所在设备。",
                "A tensor has three everyday attributes: its shape, its dtype and its device.",
            ),
            H(
                "返回属性本身（torch.Size、torch.dtype、torch.device），不要返回字符串，也不要返回方法。",
                "Return the attributes themselves (torch.Size, torch.dtype, torch.device), not strings, not methods.",
            ),
            section("tensors", "张量的属性", "a tensor's attributes"),
        ),
        "to_available_device": (
            H(
                "有 GPU 时张量要搬到 GPU，没有时留在 CPU：先问问 PyTorch 有没有 CUDA。",
                "On a machine with a GPU the tensor moves there, otherwise it stays on the CPU: ask PyTorch whether CUDA is there.",
            ),
            H(
                "torch.cuda.is_available() 回答这个问题；在没有 GPU 的机器上搬到 cuda 会报错。",
                "torch.cuda.is_available() answers that; moving to cuda on a machine without a GPU raises.",
            ),
            section("tensors", "把张量移到 GPU", "moving tensors to the GPU"),
        ),
        "zero_column": (
            H("改的是 t 本身（原地），最后返回 t。", "Change t itself (in place) and return t."),
            H(
                "二维索引是 [行, 列]：第一个位置选行，第二个位置选列；冒号表示这一维的全部。",
                "2-D indexing is [rows, columns]: the first position picks rows, the second columns; a colon means all of that dim.",
            ),
            section("tensors", "索引与切片", "indexing and slicing"),
        ),
        "concat": (
            H(
                "拼接是在已有的维度上接起来：维数不变，那一维变长。",
                "Joining along an existing dim keeps the number of dims; that dim grows.",
            ),
            H(
                "两种拼接函数：一种沿已有维度，另一种新建一个维度。这里要前一种，并且要用参数 dim。",
                "There are two joining functions: one along an existing dim, one along a new dim. This is the first, with the given dim.",
            ),
            section("tensors", "拼接张量", "joining tensors"),
        ),
        "stack": (
            H(
                "堆叠会新建一个维度：结果比输入多一维。",
                "Stacking makes a new dim: the result has one more dim than the inputs.",
            ),
            H(
                "新维度出现在 dim 指定的位置；所有输入的形状相同。",
                "The new dim appears at position dim; every input has the same shape.",
            ),
            section("tensors", "拼接张量", "joining tensors"),
        ),
        "elementwise_product": (
            H(
                "逐元素相乘：同一位置的两个数相乘，结果和输入形状相同。",
                "Element-wise: the two numbers at the same position are multiplied; the result keeps the inputs' shape.",
            ),
            H(
                "逐元素乘法用 * 或 mul；@ 和 matmul 是矩阵乘法，是另一回事。",
                "The element-wise product is * or mul; @ and matmul are the matrix product, another thing.",
            ),
            section(
                "tensors", "张量的运算（逐元素乘法与矩阵乘法）", "tensor operations (element-wise and matrix products)"
            ),
        ),
        "gram": (
            H(
                "结果的 (i, j) 位置是 t 的第 i 行和第 j 行的点积，形状是 (行数, 行数)。",
                "Entry (i, j) of the result is the dot product of rows i and j of t; the shape is (rows, rows).",
            ),
            H(
                "这是矩阵乘法，不是逐元素乘法：一个矩阵乘以它的转置。",
                "This is a matrix product, not an element-wise one: a matrix times its transpose.",
            ),
            section(
                "tensors", "张量的运算（逐元素乘法与矩阵乘法）", "tensor operations (element-wise and matrix products)"
            ),
        ),
        "double_in_place": (
            H(
                "要改的是 t 本身，返回的也要是同一个对象，不是一个新张量。",
                "Change t itself and return that same object, not a new tensor.",
            ),
            H(
                "名字以下划线结尾的方法会原地修改张量；t = t + t 只是让名字指向一个新张量。",
                "Methods whose names end in an underscore change the tensor in place; t = t + t only points the name at a new tensor.",
            ),
            section("tensors", "原地操作", "in-place operations"),
        ),
    },
    "autograd": {
        "cubic_minus_square_grads": (
            H(
                "a、b 要记录梯度（requires_grad=True），算出 Q 之后对 Q 做 backward。",
                "a and b must record gradients (requires_grad=True); compute Q, then run backward on it.",
            ),
            H(
                "Q 是向量不是标量，backward 需要一个和 Q 同形状的外部梯度；结果在 a.grad、b.grad 里。",
                "Q is a vector, not a scalar: backward needs an external gradient shaped like Q; the results land in a.grad and b.grad.",
            ),
            section("autograd", "对向量做 backward（外部梯度）", "backward on a vector (the external gradient)"),
        ),
        "backward_twice": (
            H(
                "同一张计算图上做两次 backward，两次的梯度会累加。",
                "Two backward passes over one graph add their gradients up.",
            ),
            H(
                "第一次 backward 后图默认被释放；要保留它，第一次时得告诉 PyTorch。不要在两次之间清零。",
                "The graph is freed after the first backward by default; ask PyTorch to keep it the first time. Do not zero in between.",
            ),
            section("autograd", "计算图", "the computational graph"),
        ),
        "sgd_step": (
            H(
                "每个参数都往梯度的反方向走 lr 倍：w ← w − lr·grad，原地修改，不返回东西。",
                "Move every parameter against its gradient by lr: w ← w − lr·grad, in place, returning nothing.",
            ),
            H(
                "更新不能被记进计算图：放在 torch.no_grad() 里做；更新后把梯度清掉。",
                "The update must not be recorded: do it inside torch.no_grad(); clear the gradients afterwards.",
            ),
            section("autograd", "手动更新权重", "updating the weights by hand"),
        ),
    },
    "data": {
        "mnist_transform": (
            H(
                "图像先变成取值 [0, 1] 的 float 张量，形状 (1, 28, 28)。",
                "The image first becomes a float tensor in [0, 1] of shape (1, 28, 28).",
            ),
            H(
                "normalize 为真时再把 [0, 1] 映射到 [−1, 1]（均值 0.5、标准差 0.5）；为假时留在 [0, 1]。",
                "With normalize true, map [0, 1] onto [−1, 1] (mean 0.5, std 0.5); with it false, stay in [0, 1].",
            ),
            section("data", "加载并标准化数据（transforms）", "loading and normalising the data (transforms)"),
        ),
        "load_mnist": (
            H(
                "torchvision 自带 MNIST 数据集类，它会读 root 下的文件。",
                "torchvision has an MNIST dataset class; it reads the files under root.",
            ),
            H(
                "参数 train 决定读训练集还是测试集；把 transform 也传进去。",
                "The train argument picks the training or the test split; pass the transform on too.",
            ),
            section("data", "用 torchvision 读取数据集", "loading a dataset with torchvision"),
        ),
        "make_loaders": (
            H(
                "两个 DataLoader：一个给训练集，一个给测试集，批次大小用参数 batch_size。",
                "Two DataLoaders, one on the training set, one on the test set, with the given batch_size.",
            ),
            H(
                "训练 loader 每轮打乱顺序，测试 loader 不打乱；测试 loader 一定要建在测试集上。",
                "The training loader shuffles every epoch, the test loader does not; the test loader is built on the test set.",
            ),
            section("data", "DataLoader", "the DataLoader"),
        ),
    },
    "model": {
        "conv_output_size": (
            H(
                "卷积核每次滑动 stride 格；两边的填充都会让图变大。",
                "The kernel slides stride cells at a time; padding adds to both sides.",
            ),
            H(
                "公式是 (size − kernel + 2×padding) 整除 stride 再加 1；结果是 int。",
                "The formula is (size − kernel + 2×padding) floor-divided by stride, plus 1; the result is an int.",
            ),
            section("model", "卷积层的输出尺寸", "a conv layer's output size"),
        ),
        "cnn_structure": (
            H(
                "网络是两个卷积块加一个全连接层；每个数字输出一个分数，共 10 个。",
                "The net is two conv blocks and a linear layer; it outputs one score per digit, 10 in all.",
            ),
            H(
                "层要注册成模块的属性（或放进 nn.Sequential），PyTorch 才看得到它们的参数；进全连接层前先展平。",
                "Layers must be attributes of the module (or in nn.Sequential) for PyTorch to see their parameters; flatten before the linear layer.",
            ),
            section("model", "定义网络", "defining the network"),
        ),
        "cnn_function": (
            H(
                "结构对了以后，每一层做的事也要和课程一样。",
                "With the structure right, each layer must also do what the course's does.",
            ),
            H(
                "依次检查：卷积后有没有 ReLU、池化是不是最大池化、展平是不是保留了批次维、输出层后面有没有多余的东西。",
                "Check in turn: a ReLU after each conv, a max pool, a flatten that keeps the batch dim, nothing extra after the output layer.",
            ),
            section("model", "定义网络", "defining the network"),
        ),
        "count_parameters": (
            H(
                "参数个数是每个参数张量的元素个数之和。",
                "The parameter count is the sum of the element counts of the parameter tensors.",
            ),
            H(
                "只数可训练的参数：requires_grad 为 False 的（冻结的）不算。",
                "Count only trainable ones: frozen parameters (requires_grad False) do not count.",
            ),
            section("model", "模型的参数", "a model's parameters"),
        ),
    },
    "train": {
        "train_one_epoch": (
            H(
                "每个批次都是同样的五步：前向、算损失、梯度清零、反向传播、更新。",
                "Every batch takes the same five steps: forward, loss, zero the gradients, backward, step.",
            ),
            H(
                "开始前切到训练模式；把 x、y 搬到 device；返回各批次损失的平均值（一个 float）。",
                "Switch to train mode first; move x and y to device; return the mean batch loss (a float).",
            ),
            section("train", "训练网络（训练循环）", "training the network (the training loop)"),
        ),
        "fit": (
            H(
                "fit 建好优化器和损失函数，然后训练 epochs 轮。",
                "fit makes the optimizer and the loss function, then trains for epochs epochs.",
            ),
            H(
                "课程用 Adam 和交叉熵；优化器只建一次（它有跨轮的状态）；每轮的平均损失收进一个列表。",
                "The course uses Adam and cross-entropy; make the optimizer once (it keeps state across epochs); collect each epoch's mean loss in a list.",
            ),
            section("train", "定义损失函数和优化器", "the loss function and the optimizer"),
        ),
    },
    "evaluate": {
        "predict": (
            H(
                "每一行 logits 是一张图对 10 个类别的分数。",
                "Each row of logits holds one image's scores for the 10 classes.",
            ),
            H(
                "预测的类别是分数最大的那个位置（不是那个分数），沿类别那一维找。",
                "The predicted class is the position of the largest score (not the score), along the class dim.",
            ),
            section("evaluate", "在测试集上测试网络", "testing the network on the test data"),
        ),
        "accuracy": (
            H(
                "准确率 = 猜对的个数 / 样本总数，一个 0 到 1 之间的 float。",
                "Accuracy = correct predictions / samples, a float between 0 and 1.",
            ),
            H(
                "评估前切到评估模式，并在 torch.no_grad() 里跑完整个 loader：不需要也不记录梯度。",
                "Switch to eval mode first and run the whole loader inside torch.no_grad(): no gradients are needed or recorded.",
            ),
            section("evaluate", "在测试集上测试网络", "testing the network on the test data"),
        ),
    },
    "pipeline": {
        "mnist_accuracy": (
            H(
                "这一关没有新代码：它把你的 data、model、train、evaluate 串起来在真实 MNIST 上训练。先让那四个练习通过。",
                "This step has no new code: it chains your data, model, train and evaluate on real MNIST. Make those four pass first.",
            ),
            H(
                "准确率偏低时，运行 `blitz report` 看损失曲线：损失不降，多半是训练循环或训练 loader 的问题。",
                "When the accuracy is low, run `blitz report` to see the loss curve: a loss that does not fall points at the loop or the training loader.",
            ),
            section("pipeline", "训练分类器的全过程", "training a classifier from start to end"),
        ),
    },
    "extras": {
        "loss_for": (
            H(
                "每种任务对应一个损失类：回归、多分类、二分类……",
                "Each task name maps to one loss class: regression, multi-class, binary...",
            ),
            H(
                "注意概率和 logits 的区别；不认识的任务名要抛 ValueError，消息里列出所有可选名字。",
                "Mind probabilities versus logits; an unknown task raises ValueError listing every choice.",
            ),
            section("extras", "损失函数表", "the table of loss functions"),
        ),
        "conv_for": (
            H(
                "卷积层按数据的维数来选：序列、图像、视频。",
                "The conv layer follows the data's dims: sequences, images, video.",
            ),
            H(
                "文本是一维序列，图像是二维，视频是三维；参数是 (in_channels, out_channels, kernel_size)。",
                "Text is 1-D, images 2-D, video 3-D; the arguments are (in_channels, out_channels, kernel_size).",
            ),
            section("extras", "其他层", "the other layers"),
        ),
        "recurrent": (
            H(
                "三种循环层都在 torch.nn 里，构造参数是 (input_size, hidden_size)。",
                "All three recurrent layers live in torch.nn and take (input_size, hidden_size).",
            ),
            H("名字和类一一对应，别把两个弄反了。", "Each name has its own class; do not swap two of them."),
            section("extras", "其他层", "the other layers"),
        ),
        "flatten_batch": (
            H("保留第 0 维（批次），其余维合成一维。", "Keep dim 0 (the batch) and merge every other dim into one."),
            H(
                "改形状时可以用 −1 让 PyTorch 算出那一维的大小；只写 −1 会把批次维也展平。",
                "When reshaping, −1 lets PyTorch work out one size; a lone −1 flattens the batch dim too.",
            ),
            section("extras", "view 与 permute", "view and permute"),
        ),
        "hwc_to_chw": (
            H(
                "(高, 宽, 通道) 要变成 (通道, 高, 宽)：像素不变，维度换顺序。",
                "(height, width, channels) becomes (channels, height, width): the same pixels, the dims in another order.",
            ),
            H(
                "改形状（view/reshape）不会移动数据，只有重排维度的操作会；新顺序里每个位置写的是旧维度的编号。",
                "Reshaping (view/reshape) moves no data; only reordering the dims does. The new order lists the old dims' numbers.",
            ),
            section("extras", "view 与 permute", "view and permute"),
        ),
    },
}


def ladder(check_key: str) -> tuple[Msg, ...]:
    """The hint ladder of a check ("tensors.gram"), gentle first; () for a check without one."""
    exercise, _, name = check_key.partition(".")
    return LADDERS.get(exercise, {}).get(name, ())


def first_check(exercise_id: str) -> str:
    """The key of an exercise's first check (its hints come first, before anything has run)."""
    return f"{exercise_id}.{next(iter(LADDERS[exercise_id]))}"
