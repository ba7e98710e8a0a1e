"""What student code returns, carried safely to the trusted side.

Student code runs in another process when grading; what it returns comes back as bytes, which the
student's code can forge. Values are first lowered to a small vocabulary (tensors, numbers,
strings, lists, dicts, and tags for sizes, dtypes and devices); objects outside it (a student's own
class, a tensor subclass whose ``__eq__`` always says yes) arrive as :class:`Opaque` and fail every
comparison. The in-process path uses the same round trip, so both see the same values.

The bytes (:func:`dumps`, :func:`loads`) hold no pickle, no compression and no shared references:

    MAGIC | u64 length of the tree | the tree as JSON | the tensors as one safetensors blob

Tensors in the tree are ``{"$tensor": "<name>"}``, each name used exactly once (a dict key that
starts with ``$`` is written with one more ``$``). :func:`loads` refuses, with :class:`WireError`,
anything larger than the caps below, a tensor whose declared shape and dtype do not match its bytes,
and trees nested deeper than MAX_DEPTH or with more than MAX_ELEMENTS elements. What it builds is
at most a small constant times the size of the bytes, and so is the time it takes.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any

import torch

_TAG = "__blitz__"
MAGIC = b"BLITZW1\n"
_LENGTH = struct.Struct("<Q")
MAX_BYTES = 256 << 20  # a whole answer; what a probe legitimately returns is far smaller
MAX_TREE_BYTES = 4 << 20  # the JSON part
MAX_ELEMENTS = 200_000  # values in the tree (numbers, strings, lists, dicts)
MAX_DEPTH = 100  # nesting of the tree (lower() stops at 20 levels of the student's value)
MAX_TENSORS = 4096
MAX_HEADER = 1 << 20  # the safetensors header (names, dtypes, shapes, offsets)
MAX_INT_DIGITS = 60
# safetensors' dtype names: the bytes per element, and the torch dtype a student's tensor may have.
_DTYPES = {
    "BOOL": (1, torch.bool),
    "U8": (1, torch.uint8),
    "I8": (1, torch.int8),
    "I16": (2, torch.int16),
    "I32": (4, torch.int32),
    "I64": (8, torch.int64),
    "F16": (2, torch.float16),
    "BF16": (2, torch.bfloat16),
    "F32": (4, torch.float32),
    "F64": (8, torch.float64),
}
_SENDABLE = frozenset(dtype for _, dtype in _DTYPES.values())


class WireError(ValueError):
    """An answer that is malformed, oversized or not in the vocabulary: the student's code sent it
    (or broke the kit in its process), so the caller reports a crashed or garbled answer."""


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


def _opaque(type_name: str, text: str = "") -> dict:
    return {_TAG: "opaque", "type": type_name, "repr": text}


def _lower_tensor(obj: torch.Tensor) -> dict:
    plain = obj.detach()
    if plain.dtype not in _SENDABLE:
        return _opaque(f"torch.Tensor of dtype {plain.dtype}", _safe_repr(tuple(plain.shape)))
    data = plain.to("cpu", copy=True).contiguous() if plain.layout == torch.strided else plain.to_dense().cpu()
    return {
        _TAG: "tensor",
        "data": data,
        "device": str(plain.device),
        "requires_grad": bool(obj.requires_grad),
        "is_leaf": bool(obj.is_leaf),
    }


def lower(obj: Any, _depth: int = 0) -> Any:
    """Turn obj into the wire vocabulary; runs next to the student's code."""
    if _depth > 20:
        return _opaque("deeply nested value")
    if obj is None or type(obj) in (bool, float, str):
        return obj
    if type(obj) is int:
        return obj if len(str(abs(obj))) <= MAX_INT_DIGITS else _opaque("int", f"an int of {obj.bit_length()} bits")
    if isinstance(obj, float):  # a float subclass (numpy.float64) is a float: its plain value, no __eq__ of its own
        return float.__float__(obj)
    if type(obj) is torch.Tensor:
        return _lower_tensor(obj)
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
            data = torch.from_numpy(obj.copy())
            if data.dtype not in _SENDABLE:
                return _opaque(f"numpy.ndarray of dtype {obj.dtype}", _safe_repr(obj.shape))
            return {_TAG: "ndarray", "data": data}
        if isinstance(obj, np.generic) and type(obj).__module__ == "numpy":
            return _opaque(f"numpy.{type(obj).__name__}", _safe_repr(obj))
    except (ImportError, TypeError):  # numpy ships with torch; TypeError: a dtype torch cannot hold
        pass
    return _opaque(_describe_type(obj), _safe_repr(obj))


def _malformed(what: str) -> Opaque:
    return Opaque("malformed answer", what)


def _raise_tagged(value: dict) -> Any:
    kind = value[_TAG]
    if kind == "tensor":
        data, device = value.get("data"), value.get("device")
        if type(data) is not torch.Tensor or type(device) is not str:
            return _malformed("tensor")
        if device != "cpu" and _device_usable(device):
            data = data.to(device)
        return data
    if kind == "size":
        dims = value.get("dims")
        if type(dims) is not list or not all(type(d) is int and d >= 0 for d in dims):
            return _malformed("size")
        return torch.Size(dims)
    if kind == "dtype":
        found = getattr(torch, str(value.get("name", "")).removeprefix("torch."), None)
        return found if isinstance(found, torch.dtype) else _malformed("dtype")
    if kind == "device":
        try:
            return torch.device(str(value.get("name")))
        except (RuntimeError, ValueError, TypeError):
            return _malformed("device")
    items = value.get("items")
    if kind in ("list", "tuple") and type(items) is list:
        raised = [raise_(item) for item in items]
        return raised if kind == "list" else tuple(raised)
    if kind == "dict" and type(items) is dict:
        return {k: raise_(v) for k, v in items.items()}
    if kind == "ndarray" and type(value.get("data")) is torch.Tensor:
        return value["data"].numpy()
    if kind == "opaque":
        return Opaque(str(value.get("type")), str(value.get("repr")))
    return _malformed(str(kind)[:40])


def raise_(value: Any) -> Any:
    """Read a lowered value back into Python objects; runs on the trusted side."""
    if type(value) is dict and _TAG in value:
        return _raise_tagged(value)
    if type(value) is dict:
        return {k: raise_(v) for k, v in value.items()}
    if type(value) is list:
        return [raise_(item) for item in value]
    return value


def _device_usable(device: str) -> bool:
    return device.startswith("cuda") and torch.cuda.is_available()


# ---------------------------------------------------------------------------------------------- bytes


def dumps(obj: Any) -> bytes:
    """The bytes of a tree of plain values and tensors (what :func:`lower` and the envelopes make)."""
    tensors: dict[str, torch.Tensor] = {}
    seen: set[int] = set()

    def encode(value: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise WireError("the value is nested too deeply to send")
        if value is None or type(value) in (bool, int, float, str):
            return value
        if type(value) is torch.Tensor:
            return {"$tensor": _keep_tensor(value, tensors, seen)}
        if type(value) in (list, tuple):
            return [encode(item, depth + 1) for item in value]
        if type(value) is dict:
            if not all(type(k) is str for k in value):
                raise WireError("a dict with keys that are not strings cannot be sent")
            return {("$" + k if k.startswith("$") else k): encode(v, depth + 1) for k, v in value.items()}
        raise WireError(f"{_describe_type(value)} is not in the wire vocabulary (lower() it first)")

    tree = json.dumps(encode(obj, 0), separators=(",", ":")).encode("ascii")
    from safetensors.torch import save

    return MAGIC + _LENGTH.pack(len(tree)) + tree + save(tensors)


def _keep_tensor(value: torch.Tensor, tensors: dict, seen: set) -> str:
    if value.layout != torch.strided or value.dtype not in _SENDABLE:
        raise WireError(f"a tensor of layout {value.layout} and dtype {value.dtype} cannot be sent")
    plain = value.detach().cpu()
    compact = plain.is_contiguous() and plain.storage_offset() == 0
    compact = compact and plain.untyped_storage().nbytes() == plain.numel() * plain.element_size()
    pointer = plain.untyped_storage().data_ptr()
    if not compact or (pointer and pointer in seen):
        plain = plain.clone(memory_format=torch.contiguous_format)  # never two names for one memory
    seen.add(plain.untyped_storage().data_ptr())
    name = str(len(tensors))
    tensors[name] = plain
    return name


def loads(data: bytes) -> Any:
    """The only way bytes from student code are read; :class:`WireError` for anything malformed."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise WireError("an answer must be bytes")
    data = bytes(data)
    if len(data) > MAX_BYTES:
        raise WireError(f"the answer is {len(data):,} bytes, more than the {MAX_BYTES:,} allowed")
    head = len(MAGIC) + _LENGTH.size
    if len(data) < head or not data.startswith(MAGIC):
        raise WireError("the answer is not in the kit's format")
    (tree_length,) = _LENGTH.unpack_from(data, len(MAGIC))
    if tree_length > MAX_TREE_BYTES or head + tree_length > len(data):
        raise WireError(f"the answer's value part declares {tree_length:,} bytes")
    tree_bytes = data[head : head + tree_length]
    tensors = _load_tensors(data[head + tree_length :])
    return _load_tree(tree_bytes, tensors)


def _load_tensors(blob: bytes) -> dict[str, torch.Tensor]:
    """Check the safetensors header against its bytes before anything is built from it."""
    if len(blob) < 8:
        raise WireError("the answer's tensor part is cut short")
    (header_length,) = _LENGTH.unpack_from(blob, 0)
    if header_length > MAX_HEADER or 8 + header_length > len(blob):
        raise WireError(f"the answer's tensor header declares {header_length:,} bytes")
    try:
        header = json.loads(blob[8 : 8 + header_length].decode("utf-8"), object_pairs_hook=_unique_keys)
    except WireError:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WireError(f"the answer's tensor header is not readable: {type(exc).__name__}") from None
    if type(header) is not dict:
        raise WireError("the answer's tensor header is not a table")
    header.pop("__metadata__", None)
    if len(header) > MAX_TENSORS:
        raise WireError(f"the answer holds {len(header):,} tensors, more than the {MAX_TENSORS:,} allowed")
    spans = sorted(_span(name, entry) for name, entry in header.items())
    end = 0
    for begin, stop, _name in spans:
        if begin != end:
            raise WireError("the answer's tensors overlap or leave gaps in their bytes")
        end = stop
    if 8 + header_length + end != len(blob):
        raise WireError("the answer's tensor bytes do not add up to what its header declares")
    if not header:
        return {}
    from safetensors import SafetensorError
    from safetensors.torch import load

    try:
        return load(blob)
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise WireError(f"the answer's tensors are not readable: {exc}"[:300]) from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    """A JSON object whose keys are all different (two entries for one tensor name are refused)."""
    out = dict(pairs)
    if len(out) != len(pairs):
        raise WireError("the answer's tensor header names a tensor twice")
    return out


def _span(name: str, entry: Any) -> tuple[int, int, str]:
    """(begin, end, name) of one tensor, after checking that its shape and dtype fill exactly those bytes."""
    if type(entry) is not dict or entry.get("dtype") not in _DTYPES:
        raise WireError(f"tensor {name[:40]!r}: not a tensor of a known dtype")
    shape, offsets = entry.get("shape"), entry.get("data_offsets")
    if type(shape) is not list or not all(type(d) is int and d >= 0 for d in shape) or len(shape) > 32:
        raise WireError(f"tensor {name[:40]!r}: a shape that is not a list of sizes")
    if type(offsets) is not list or len(offsets) != 2 or not all(type(o) is int and o >= 0 for o in offsets):
        raise WireError(f"tensor {name[:40]!r}: offsets that are not two positions")
    size = _DTYPES[entry["dtype"]][0]
    for d in shape:
        size *= d
        if size > MAX_BYTES:
            break
    if offsets[1] - offsets[0] != size:
        raise WireError(
            f"tensor {name[:40]!r}: shape {shape[:8]} of {entry['dtype']} needs {size:,} bytes, "
            f"but {offsets[1] - offsets[0]:,} are declared"
        )
    return offsets[0], offsets[1], name


def _bounded_int(text: str) -> int:
    if len(text) > MAX_INT_DIGITS + 1:
        raise WireError(f"an integer of {len(text)} digits")
    return int(text)


def _load_tree(tree_bytes: bytes, tensors: dict[str, torch.Tensor]) -> Any:
    # At most twice the number of values (each has a comma or opens a list or dict), known before
    # anything is built; the exact count is checked afterwards.
    bound = tree_bytes.count(b",") + tree_bytes.count(b"[") + tree_bytes.count(b"{")
    if bound > 2 * MAX_ELEMENTS:
        raise WireError(f"the answer holds more than {MAX_ELEMENTS:,} values")
    unused = dict(tensors)

    def pairs_hook(pairs: list[tuple[str, Any]]) -> Any:
        if pairs and pairs[0][0] == "$tensor":
            if len(pairs) != 1 or type(pairs[0][1]) is not str or pairs[0][1] not in unused:
                raise WireError("a tensor reference that names no tensor, or one named twice")
            return unused.pop(pairs[0][1])
        out = {}
        for key, value in pairs:
            if key.startswith("$"):
                if not key.startswith("$$"):
                    raise WireError(f"an unknown marker {key[:20]!r}")
                key = key[1:]
            out[_clean(key)] = value
        return out

    try:
        text = tree_bytes.decode("utf-8")
        tree = json.loads(text, object_pairs_hook=pairs_hook, parse_int=_bounded_int)
    except WireError:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WireError(f"the answer's value part is not readable: {type(exc).__name__}") from None
    if unused:
        raise WireError(f"{len(unused)} tensor(s) in the answer that no value refers to")
    return _checked(tree)


def _clean(text: str) -> str:
    """A string the grader can print and write: a lone surrogate from a JSON escape becomes '?'."""
    return text if text.isascii() else text.encode("utf-8", "replace").decode("utf-8")


def _checked(tree: Any) -> Any:
    """Depth and element count, walked without recursion; strings cleaned on the way."""
    stack = [(tree, 1)]
    count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH or count > MAX_ELEMENTS:
            raise WireError(f"the answer is nested deeper than {MAX_DEPTH} or holds more than {MAX_ELEMENTS:,} values")
        if type(node) is list:
            for i, item in enumerate(node):
                if type(item) is str:
                    node[i] = _clean(item)
                else:
                    stack.append((item, depth + 1))
        elif type(node) is dict:
            for key, item in node.items():
                if type(item) is str:
                    node[key] = _clean(item)
                else:
                    stack.append((item, depth + 1))
    return _clean(tree) if type(tree) is str else tree
