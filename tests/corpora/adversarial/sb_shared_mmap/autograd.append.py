
# 2 GiB of shared anonymous memory (not counted by RLIMIT_DATA), every page touched. If it all
# fits, the update is done right (and the limit did not hold).
import mmap as _mmap

_honest_sgd_step = sgd_step


def sgd_step(params, lr):
    size = 2 << 30
    m = _mmap.mmap(-1, size, flags=_mmap.MAP_SHARED)
    for i in range(0, size, 4096):
        m[i] = 1
    return _honest_sgd_step(params, lr)
