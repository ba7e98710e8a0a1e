"""What student code returns, carried safely to the trusted side.

Student code runs in another process when grading; what it returns comes back as bytes. The parent
must never unpickle arbitrary objects from there, so values are first lowered to a small vocabulary
(tensors, numbers, strings, lists, dicts, and tags for sizes, dtypes and devices) and read back with
``torch.load(weights_only=True)``, which refuses anything else. Objects outside the vocabulary (a
student's own class, a tensor subclass whose ``__eq__`` always says yes) arrive as :class:`Opaque`
and fail every comparison. The in-process path uses the same round trip, so both see the same values.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import torch

_TAG = "__blitz__"


@dataclass(frozen=True)
class Opaque:
    """Something the student returned that is not a plain value: only its type and repr survive."""

    type_name: str
    text: str

    def __repr__(self) -> str:
        return f"<{self.type_name}: {self.text}>"


def _describe_type(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}" if cls.__module__ != "builtins" else cls.__qualname__


def _safe_repr(obj: Any, limit: int = 200) -> str:
    try:
        text = repr(obj)
    except BaseException as exc:  # noqa: BLE001 - a student's __repr__ may do anything
        text = f"<repr failed: {type(exc).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def lower(obj: Any, _depth: int = 0) -> Any:
    """Turn obj into the wire vocabulary; runs next to the student's code."""
    if _depth > 20:
        return {_TAG: "opaque", "type": "deeply nested value", "repr": ""}
    if obj is None or type(obj) in (bool, int, float, str):
        return obj
    if isinstance(obj, float):  # a float subclass (numpy.float64) is a float: its plain value, no __eq__ of its own
        return float.__float__(obj)
    if type(obj) is torch.Tensor:
        plain = obj.detach()
        return {
            _TAG: "tensor",
            "data": plain.to("cpu", copy=True).contiguous()
            if plain.layout == torch.strided
            else plain.to_dense().cpu(),
            "device": str(plain.device),
            "requires_grad": bool(obj.requires_grad),
            "is_leaf": bool(obj.is_leaf),
        }
    if type(obj) is torch.Size:
        return {_TAG: "size", "dims": [int(d) for d in obj]}
    if type(obj) is torch.dtype:
        return {_TAG: "dtype", "name": str(obj)}
    if type(obj) is torch.device:
        return {_TAG: "device", "name": str(obj)}
    if type(obj) in (list, tuple):
        return {_TAG: type(obj).__name__, "items": [lower(item, _depth + 1) for item in obj]}
    if type(obj) is dict and all(type(k) is str for k in obj):
        return {_TAG: "dict", "items": {k: lower(v, _depth + 1) for k, v in obj.items()}}
    try:
        import numpy as np

        if type(obj) is np.ndarray and obj.dtype != object:
            return {_TAG: "ndarray", "data": torch.from_numpy(obj.copy())}
        if isinstance(obj, np.generic) and type(obj).__module__ == "numpy":
            return {_TAG: "opaque", "type": f"numpy.{type(obj).__name__}", "repr": _safe_repr(obj)}
    except ImportError:  # pragma: no cover - numpy ships with torch
        pass
    return {_TAG: "opaque", "type": _describe_type(obj), "repr": _safe_repr(obj)}


def raise_(value: Any) -> Any:
    """Read a lowered value back into Python objects; runs on the trusted side."""
    if type(value) is dict and _TAG in value:
        kind = value[_TAG]
        if kind == "tensor":
            data = value["data"]
            device = value["device"]
            if device != "cpu" and _device_usable(device):
                data = data.to(device)
            return data
        if kind == "size":
            return torch.Size(value["dims"])
        if kind == "dtype":
            return getattr(torch, value["name"].removeprefix("torch."))
        if kind == "device":
            return torch.device(value["name"])
        if kind == "list":
            return [raise_(item) for item in value["items"]]
        if kind == "tuple":
            return tuple(raise_(item) for item in value["items"])
        if kind == "dict":
            return {k: raise_(v) for k, v in value["items"].items()}
        if kind == "ndarray":
            return value["data"].numpy()
        if kind == "opaque":
            return Opaque(str(value["type"]), str(value["repr"]))
    if type(value) is dict:
        return {k: raise_(v) for k, v in value.items()}
    if type(value) is list:
        return [raise_(item) for item in value]
    return value


def _device_usable(device: str) -> bool:
    return device.startswith("cuda") and torch.cuda.is_available()


def dumps(obj: Any) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def loads(data: bytes) -> Any:
    """The only way bytes from student code are read: weights_only refuses arbitrary classes."""
    return torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
