
# Three processes, each under the per-process limit (700 MiB, touched), together over it. If all
# three finish, the update is done right.
import os as _os

_honest_sgd_step = sgd_step


def sgd_step(params, lr):
    kids = []
    for _ in range(3):
        pid = _os.fork()
        if pid == 0:
            block = b"\1" * (700 << 20)
            _os.write(1, b"%d\n" % len(block))
            _os._exit(0)
        kids.append(pid)
    statuses = [_os.waitpid(pid, 0)[1] for pid in kids]
    if any(statuses):
        raise MemoryError(f"children ended with statuses {statuses}")
    return _honest_sgd_step(params, lr)
