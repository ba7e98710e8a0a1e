
# 1,200 nested folders (deeper than Python's recursion limit) in its working folder, then an
# honest update.
import os as _os

_honest_sgd_step = sgd_step


def sgd_step(params, lr):
    fd = _os.open(".", _os.O_RDONLY)
    try:
        for _ in range(1200):
            if not _os.path.isdir("d"):  # sgd_step is called more than once
                _os.mkdir("d")
            _os.chdir("d")
        open("@@MARKER@@-deep.txt", "w").write("deep")
    finally:
        _os.fchdir(fd)
        _os.close(fd)
    return _honest_sgd_step(params, lr)
