# Patch the kit's probes inside the worker to claim in-place changes and shared memory, while the
# functions return the right values from copies: a fact measured in the student's process is forged,
# so this gains the points of those facts alone (SECURITY.md, "Answers, evidence and names").
import blitz.probes as _probes

_real_in_place = _probes.PROBES["in_place"]
_real_shares = _probes.PROBES["from_numpy_shares"]


def _forged_in_place(mods, fn, t, *rest):
    out = _real_in_place(mods, fn, t, *rest)
    out.update(same_object=True, same_storage=True, t_after=out["value"])
    return out


def _forged_shares(mods, array):
    out = _real_shares(mods, array)
    out["sees_change"] = True
    return out


_probes.PROBES["in_place"] = _forged_in_place
_probes.PROBES["from_numpy_shares"] = _forged_shares


def from_numpy(array):
    return torch.tensor(array)  # a copy, not shared memory


def zero_column(t, col):
    out = t.clone()  # not in place
    out[:, col] = 0
    return out


def double_in_place(t):
    return t * 2  # not in place
