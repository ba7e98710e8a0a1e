# Patch the kit's probes inside the worker to claim in-place changes and shared memory, while the
# functions return wrong values: the values are compared on the trusted side, so this gains nothing.
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
    return torch.tensor(array) + 1


def zero_column(t, col):
    out = t.clone()
    out[:, col] = 1
    return out


def double_in_place(t):
    return t * 3
