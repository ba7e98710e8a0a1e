"""The reference's results as data: recorded while the full kit runs its self-checks, replayed in a release.

A call is named by a digest of what it was called with (:func:`call_key`; a module's forward by its
numbers and inputs, :func:`forward_key`): the same bytes on every machine with the same torch.

One exercise is two files: ``<id>.json`` (every call by its digest: the result, the models it changed,
the random state it left) and ``<id>.safetensors`` (the tensors those refer to by name). Plain values are
JSON; tensors, sizes, dtypes, tuples and modules are tagged objects (``{"$t": "t12"}``, ...).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

_JSON_PLAIN = (type(None), bool, int, float, str)


# --------------------------------------------------------------------------------------------------
# digests: what a call was called with, the same on every machine


def _tensor_bytes(t: torch.Tensor) -> bytes:
    t = t.detach().cpu().contiguous()
    if t.dtype == torch.bfloat16:
        t = t.to(torch.float32)
    return t.numpy().tobytes()


def _feed(h, value: Any) -> None:  # noqa: C901 - one branch per kind of value, flat on purpose
    if isinstance(value, _JSON_PLAIN):
        h.update(f"{type(value).__name__}:{value!r};".encode())
    elif isinstance(value, (torch.dtype, torch.device, torch.Size)):
        h.update(f"{value!r};".encode())
    elif isinstance(value, torch.Tensor):
        h.update(f"T{value.dtype}{tuple(value.shape)}{value.requires_grad};".encode())
        h.update(_tensor_bytes(value))
    elif isinstance(value, np.ndarray):
        h.update(f"A{value.dtype}{value.shape};".encode())
        h.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, (list, tuple)):
        h.update(f"{type(value).__name__}[{len(value)}".encode())
        for item in value:
            _feed(h, item)
        h.update(b"]")
    elif isinstance(value, dict):
        h.update(f"D[{len(value)}".encode())
        for key in sorted(value, key=repr):
            _feed(h, key)
            _feed(h, value[key])
        h.update(b"]")
    elif isinstance(value, nn.Module):
        h.update(f"M{type(value).__qualname__}{value.training};".encode())
        _feed(h, [(name, p.requires_grad) for name, p in value.named_parameters()])
        _feed(h, dict(value.state_dict()))
    elif isinstance(value, torch.utils.data.DataLoader):
        h.update(f"L{value.batch_size}{value.drop_last}{type(value.sampler).__name__};".encode())
        _feed(h, value.dataset)
    elif isinstance(value, torch.utils.data.TensorDataset):
        _feed(h, list(value.tensors))
    elif isinstance(value, torch.optim.Optimizer):
        h.update(f"O{type(value).__qualname__};".encode())
        # Only the hyperparameters a loop's result depends on: torch versions add other keys.
        keep = ("lr", "momentum", "weight_decay", "betas", "eps", "nesterov")
        _feed(h, [{k: group[k] for k in keep if k in group} for group in value.param_groups])
    else:
        raise TypeError(f"blitz.engine.reference: cannot digest a {type(value).__qualname__}")


def digest(*parts: Any) -> str:
    h = hashlib.sha256()
    for part in parts:
        _feed(h, part)
    return h.hexdigest()[:32]


def module_state(module: nn.Module) -> str:
    """A module's numbers and mode, whatever its class and attribute names (a stand-in has the same)."""
    return digest([p.detach() for p in module.parameters()], [b.detach() for b in module.buffers()], module.training)


def call_key(exercise: str, name: str, args: tuple, kwargs: dict) -> str:
    return digest("call", exercise, name, list(args), kwargs)


def forward_key(module: nn.Module, args: tuple) -> str:
    return digest("forward", module_state(module), list(args))


def rng_digest() -> str:
    return digest(torch.get_rng_state())


# --------------------------------------------------------------------------------------------------
# values to data and back


def encode(value: Any, store: dict[str, torch.Tensor]) -> Any:  # noqa: C901 - one branch per kind of value
    if isinstance(value, _JSON_PLAIN):
        return value
    if isinstance(value, torch.Tensor):
        name = f"t{len(store)}"
        store[name] = value.detach().cpu().contiguous().clone()
        return {"$t": name, "grad": bool(value.requires_grad)}
    if isinstance(value, torch.Size):
        return {"$size": list(value)}
    if isinstance(value, torch.dtype):
        return {"$dtype": str(value).removeprefix("torch.")}
    if isinstance(value, torch.device):
        return {"$device": str(value)}
    if isinstance(value, tuple):
        return {"$tuple": [encode(v, store) for v in value]}
    if isinstance(value, list):
        return [encode(v, store) for v in value]
    if isinstance(value, dict):
        return {"$dict": [[encode(k, store), encode(v, store)] for k, v in value.items()]}
    if isinstance(value, nn.Module):
        return {"$module": _encode_module(value, store)}
    raise TypeError(f"blitz: cannot record a {type(value).__qualname__} returned by the reference")


def _plain_attr(value: Any) -> bool:
    if isinstance(value, (tuple, list)):
        return all(_plain_attr(v) for v in value)
    return isinstance(value, _JSON_PLAIN)


def _encode_module(module: nn.Module, store: dict) -> dict:
    """What a check may read of a module: type name, plain attributes, parameters and buffers, mode."""
    return {
        "type_module": type(module).__module__,
        "qualname": type(module).__qualname__,
        "attrs": {k: encode(v, store) for k, v in vars(module).items() if not k.startswith("_") and _plain_attr(v)},
        "params": [encode(p, store) for p in module.parameters()],
        "requires_grad": [p.requires_grad for p in module.parameters()],
        "buffers": [encode(b, store) for b in module.buffers()],
        "training": module.training,
    }


def decode(data: Any, replay: Any) -> Any:
    if isinstance(data, list):
        return [decode(v, replay) for v in data]
    if not isinstance(data, dict):
        return data
    if "$t" in data:
        return replay.tensors[data["$t"]].clone().requires_grad_(data.get("grad", False))
    if "$size" in data:
        return torch.Size(data["$size"])
    if "$dtype" in data:
        return getattr(torch, data["$dtype"])
    if "$device" in data:
        return torch.device(data["$device"])
    if "$tuple" in data:
        return tuple(decode(v, replay) for v in data["$tuple"])
    if "$dict" in data:
        return {decode(k, replay): decode(v, replay) for k, v in data["$dict"]}
    if "$module" in data:
        return _stand_in(data["$module"], replay)
    raise ValueError(f"blitz: unknown recorded value {sorted(data)}")


class StandIn(nn.Module):
    """A module the reference built, as a check sees it: its forward serves the recorded outputs."""

    def __init__(self, spec: dict, replay: Any):
        super().__init__()
        for i, (param, grad) in enumerate(zip(spec["params"], spec["requires_grad"])):
            self.register_parameter(f"p{i}", nn.Parameter(decode(param, replay).detach(), requires_grad=grad))
        for i, buffer in enumerate(spec["buffers"]):
            self.register_buffer(f"b{i}", decode(buffer, replay))
        for key, value in spec["attrs"].items():
            setattr(self, key, decode(value, replay))
        self.train(spec["training"])
        self._replay = replay
        self._label = spec["qualname"]

    def forward(self, *args: Any) -> Any:
        return self._replay.serve(forward_key(self, args), f"{self._label}(...)", args)


def _stand_in(spec: dict, replay: Any) -> nn.Module:
    cls = type(spec["qualname"].rsplit(".", 1)[-1], (StandIn,), {})
    cls.__module__, cls.__qualname__ = spec["type_module"], spec["qualname"]
    return cls(spec, replay)


def apply(variant: dict, replay: Any, args: list) -> Any:
    """Replay one recorded call: the random state and the changed arguments it left, then its result."""
    if "rng_after" in variant:
        torch.set_rng_state(replay.tensors[variant["rng_after"]].clone())
    for index, change in variant.get("changed", {}).items():
        target = args[int(index)]
        with torch.no_grad():
            if isinstance(target, nn.Module):
                target.load_state_dict({k: decode(v, replay) for k, v in change["state"]["$dict"]})
                target.train(change["training"])
            else:
                target.copy_(decode(change["value"], replay))
    return decode(variant["result"], replay)


# --------------------------------------------------------------------------------------------------
# recording and the files


class Recorder:
    """Records every call the checks make to the live reference (see blitz.authoring.expected)."""

    def __init__(self) -> None:
        self.calls: dict[str, dict[str, list[dict]]] = {}
        self.stores: dict[str, dict[str, torch.Tensor]] = {}

    def _add(self, exercise: str, key: str, make: Any) -> None:
        calls = self.calls.setdefault(exercise, {})
        store = self.stores.setdefault(exercise, {})
        trial: dict[str, torch.Tensor] = {}
        variant = make(trial)
        same = [v for v in calls.get(key, []) if v.get("rng_before") == variant.get("rng_before")]
        if same:
            return  # the same call, with the same outcome (the reference is deterministic given its inputs)
        renamed = {name: f"t{len(store) + i}" for i, name in enumerate(trial)}
        store.update({renamed[name]: t for name, t in trial.items()})
        calls.setdefault(key, []).append(json.loads(json.dumps(variant), object_hook=lambda d: _rename(d, renamed)))

    def wrap(self, exercise: str, name: str, func: Any) -> Any:
        def recorded(*args: Any, **kwargs: Any) -> Any:
            key = call_key(exercise, name, args, kwargs)
            flat = list(args) + list(kwargs.values())
            watched = {i: _watch(a) for i, a in enumerate(flat) if isinstance(a, (nn.Module, torch.Tensor))}
            rng = torch.get_rng_state()
            before = rng_digest()
            result = func(*args, **kwargs)

            def make(store: dict) -> dict:
                variant: dict[str, Any] = {"result": encode(result, store)}
                if not torch.equal(rng, torch.get_rng_state()):
                    variant["rng_before"] = before
                    variant["rng_after"] = encode(torch.get_rng_state(), store)["$t"]
                changed = {str(i): _change(flat[i], store) for i, w in watched.items() if _watch(flat[i]) != w}
                if changed:
                    variant["changed"] = changed
                return variant

            self._add(exercise, key, make)
            if isinstance(result, nn.Module):
                self._record_forwards(exercise, result)
            return result

        return recorded

    def _record_forwards(self, exercise: str, module: nn.Module) -> None:
        keys: list[str] = []
        module.register_forward_pre_hook(lambda m, args: keys.append(forward_key(m, args)))
        module.register_forward_hook(
            lambda m, args, out: self._add(exercise, keys.pop(), lambda s: {"result": encode(out, s)})
        )

    def save(self, folder: Path, manifest: dict) -> list[Path]:
        from safetensors.torch import save_file

        folder.mkdir(parents=True, exist_ok=True)
        written = [folder / "manifest.json"]
        written[0].write_text(
            json.dumps(dict(manifest, exercises=sorted(self.calls)), indent=1) + "\n", encoding="utf-8"
        )
        for exercise, calls in self.calls.items():
            (folder / f"{exercise}.json").write_text(
                json.dumps({"calls": calls}, sort_keys=True) + "\n", encoding="utf-8"
            )
            save_file(self.stores.get(exercise) or {}, str(folder / f"{exercise}.safetensors"))
            written += [folder / f"{exercise}.json", folder / f"{exercise}.safetensors"]
        return written


def _rename(d: dict, renamed: dict[str, str]) -> dict:
    if "$t" in d:
        d["$t"] = renamed[d["$t"]]
    if "rng_after" in d:
        d["rng_after"] = renamed[d["rng_after"]]
    return d


def _watch(value: Any) -> Any:
    if isinstance(value, nn.Module):
        return (module_state(value), value.training)
    return call_key("", "", (value,), {})


def _change(value: Any, store: dict) -> dict:
    if isinstance(value, nn.Module):
        return {"state": encode(dict(value.state_dict()), store), "training": value.training}
    return {"value": encode(value, store)}


def load(folder: Path, exercise_id: str) -> tuple[dict, dict]:
    from safetensors.torch import load_file

    path = folder / f"{exercise_id}.json"
    if not path.is_file():
        return {}, {}
    calls = json.loads(path.read_text(encoding="utf-8"))["calls"]
    return calls, load_file(str(folder / f"{exercise_id}.safetensors"))
