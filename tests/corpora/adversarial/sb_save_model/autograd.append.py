
# An honest student who saves and reloads a checkpoint by a relative path, and in TMPDIR.
import os as _os
import tempfile as _tempfile

import torch as _torch

_honest_sgd_step = sgd_step


def sgd_step(params, lr):
    params = list(params)
    _torch.save([p.detach() for p in params], "model.pt")
    again = _torch.load("model.pt")
    _torch.save(again, _os.path.join(_tempfile.gettempdir(), "copy.pt"))
    assert all(_torch.equal(a, p.detach()) for a, p in zip(again, params))
    return _honest_sgd_step(params, lr)
