"""The answer format (blitz/engine/wire.py): every kind of value makes the round trip, and bytes a
student's process forges are refused with WireError, without unpickling, without building more
than their size promises, and without deep recursion."""

from __future__ import annotations

import io
import json
import pickle
import struct
import tracemalloc

import numpy as np
import pytest
import torch

from blitz.engine import wire
from blitz.engine.wire import MAGIC, Opaque, WireError


def round_trip(obj):
    """lower -> bytes -> raise, as a value travels from a grading worker."""
    return wire.raise_(wire.loads(wire.dumps(wire.lower(obj))))


def frame(tree: bytes, blob: bytes | None = None) -> bytes:
    """Bytes in the wire layout, with whatever tree and tensor part an attacker likes."""
    if blob is None:
        blob = struct.pack("<Q", 2) + b"{}"
    return MAGIC + struct.pack("<Q", len(tree)) + tree + blob


def safetensors_blob(header: dict, data: bytes) -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


# ---------------------------------------------------------------------------------------------- round trips


@pytest.mark.parametrize(
    "dtype",
    [torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64]
    + [torch.float16, torch.bfloat16, torch.float32, torch.float64],
)
def test_tensors_of_every_sendable_dtype_round_trip(dtype):
    t = (torch.arange(12).reshape(3, 4) % 2).to(dtype)
    back = round_trip(t)
    assert type(back) is torch.Tensor and back.dtype == dtype and torch.equal(back, t)


def test_every_kind_of_the_vocabulary_round_trips():
    value = {
        "none": None,
        "bool": True,
        "int": -(10**30),
        "float": 2.5,
        "nan": float("nan"),
        "inf": float("-inf"),
        "str": "中文 and text",
        "list": [1, [2, [3]]],
        "tuple": (1, (2.0, "x")),
        "size": torch.Size([2, 3]),
        "dtype": torch.float64,
        "device": torch.device("cpu"),
        "scalar": torch.tensor(3.5),
        "empty": torch.zeros(0, 4),
        "view": torch.arange(10)[2:8:2],  # not contiguous, a view into a larger storage
        "ndarray": np.arange(6, dtype=np.int32).reshape(2, 3),
        "$tensor": "a key that looks like the marker",
        "$$x": 1,
    }
    back = round_trip(value)
    assert set(back) == set(value)
    for key in ("none", "bool", "int", "float", "inf", "str", "list", "tuple", "size", "dtype", "device"):
        assert back[key] == value[key] and type(back[key]) is type(value[key]), key
    assert back["nan"] != back["nan"]
    for key in ("scalar", "empty", "view"):
        assert torch.equal(back[key], value[key]) and back[key].shape == value[key].shape, key
    assert type(back["ndarray"]) is np.ndarray and (back["ndarray"] == value["ndarray"]).all()
    assert back["$tensor"] == "a key that looks like the marker" and back["$$x"] == 1


def test_objects_outside_the_vocabulary_arrive_opaque():
    class Mine:
        def __repr__(self):
            return "mine"

    back = round_trip([Mine(), torch.nn.Parameter(torch.ones(2)), {1: 2}, 10**100, torch.ones(2, dtype=torch.cfloat)])
    assert all(isinstance(v, Opaque) for v in back), back
    assert back[0].text == "mine"


def test_the_same_tensor_twice_comes_back_as_two_tensors():
    t = torch.ones(3)
    a, b = wire.raise_(wire.loads(wire.dumps([t, t])))
    assert torch.equal(a, t) and torch.equal(b, t)
    a.add_(1)
    assert torch.equal(b, t), "two names for one memory came back"


def test_a_lone_surrogate_becomes_printable():
    back = round_trip("bad \ud800 text")
    assert back == "bad ? text"
    back.encode("utf-8")


@pytest.mark.parametrize(
    "tagged",
    [
        {"__blitz__": "tensor", "data": "not a tensor", "device": "cpu"},
        {"__blitz__": "dtype", "name": "torch.load"},
        {"__blitz__": "size", "dims": [-1]},
        {"__blitz__": "device", "name": "no such device"},
        {"__blitz__": "unknown"},
    ],
)
def test_forged_tags_arrive_as_malformed_values(tagged):
    back = wire.raise_(wire.loads(wire.dumps(tagged)))
    assert isinstance(back, Opaque) and back.type_name == "malformed answer"


# ---------------------------------------------------------------------------------------------- attacks


def shared_reference_pickle() -> bytes:
    """The attack seen: a 1.4 KB torch.save answer whose shared references unfold into 2**30 values."""
    x: list = []
    for _ in range(30):
        x = [x, x]
    buffer = io.BytesIO()
    torch.save({"ok": True, "value": x}, buffer)
    return buffer.getvalue()


def test_a_pickle_with_shared_references_is_refused_without_unpickling(monkeypatch):
    bomb = shared_reference_pickle()
    assert len(bomb) < 4096

    def never(*args, **kwargs):
        raise AssertionError("the answer was unpickled")

    monkeypatch.setattr(pickle, "loads", never)
    monkeypatch.setattr(pickle, "Unpickler", never)
    monkeypatch.setattr(torch, "load", never)
    with pytest.raises(WireError, match="not in the kit's format"):
        wire.loads(bomb)
    plain = pickle.dumps(["x"] * 3)
    with pytest.raises(WireError):
        wire.loads(plain)


def test_a_tensor_whose_shape_promises_more_than_its_bytes_is_refused():
    """The attack seen: 1 MB of compressed record that became a 1 GiB tensor. Here the header declares
    a 1 GiB float32 tensor over 16 bytes; nothing of that size is ever allocated."""
    header = {"0": {"dtype": "F32", "shape": [1 << 28], "data_offsets": [0, 16]}}
    answer = frame(b'{"$tensor":"0"}', safetensors_blob(header, b"\0" * 16))
    tracemalloc.start()
    try:
        with pytest.raises(WireError, match="needs 1,073,741,824 bytes"):
            wire.loads(answer)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20


def test_a_compressed_torch_save_archive_is_refused():
    buffer = io.BytesIO()
    torch.save(torch.zeros(1 << 16), buffer)  # a zip archive: what torch.load would inflate
    with pytest.raises(WireError):
        wire.loads(buffer.getvalue())


@pytest.mark.parametrize(
    "header, data, match",
    [
        ({"0": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, b"\0" * 8, "do not add up"),
        ({"0": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 16, "do not add up"),
        (
            {
                "0": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                "1": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]},
            },
            b"\0" * 12,
            "overlap",
        ),
        ({"0": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}}, b"\0" * 8, "known dtype"),
        ({"0": {"dtype": "F32", "shape": "big", "data_offsets": [0, 4]}}, b"\0" * 4, "shape"),
        ({"0": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\0" * 4, "shape"),
    ],
)
def test_tensor_headers_that_lie_are_refused(header, data, match):
    with pytest.raises(WireError, match=match):
        wire.loads(frame(b'{"$tensor":"0"}', safetensors_blob(header, data)))


def test_a_tensor_header_naming_a_tensor_twice_is_refused():
    text = b'{"0":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"0":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}'
    blob = struct.pack("<Q", len(text)) + text + b"ab"
    with pytest.raises(WireError, match="names a tensor twice"):
        wire.loads(frame(b'{"$tensor":"0"}', blob))


def test_too_many_tensors_are_refused(monkeypatch):
    monkeypatch.setattr(wire, "MAX_TENSORS", 3)
    with pytest.raises(WireError, match="tensors, more than"):
        wire.loads(wire.dumps([torch.ones(1) for _ in range(4)]))


def test_a_tensor_named_twice_or_never_is_refused():
    blob = wire.dumps(torch.ones(2))
    tensors = blob[len(MAGIC) + 8 + len(b'{"$tensor":"0"}') :]
    with pytest.raises(WireError, match="named twice"):
        wire.loads(frame(b'[{"$tensor":"0"},{"$tensor":"0"}]', tensors))
    with pytest.raises(WireError, match="no value refers to"):
        wire.loads(frame(b"[1]", tensors))
    with pytest.raises(WireError, match="unknown marker"):
        wire.loads(frame(b'{"$other":1}'))


def test_deep_nesting_is_refused_without_recursion_errors():
    for depth in (wire.MAX_DEPTH + 5, 100_000):
        with pytest.raises(WireError):
            wire.loads(frame(b"[" * depth + b"]" * depth))


def test_too_many_values_are_refused_before_they_are_built():
    with pytest.raises(WireError, match="more than"):
        wire.loads(frame(b"[" + b",".join([b"0"] * (wire.MAX_ELEMENTS + 1)) + b"]"))


def test_the_size_caps_hold(monkeypatch):
    with pytest.raises(WireError, match="digits"):
        wire.loads(frame(b"1" * 100))
    with pytest.raises(WireError, match="declares"):
        wire.loads(MAGIC + struct.pack("<Q", wire.MAX_TREE_BYTES + 1) + b"[]")
    monkeypatch.setattr(wire, "MAX_BYTES", 1000)
    with pytest.raises(WireError, match="more than the 1,000 allowed"):
        wire.loads(wire.dumps(torch.zeros(1000)))
    with pytest.raises(WireError):
        wire.loads(b"")
    with pytest.raises(WireError):
        wire.loads(frame(b"[1,", None))


def test_decoding_builds_at_most_a_small_multiple_of_the_answer():
    """The worst tree under the caps (empty lists, the most objects per byte): memory stays within a
    constant factor of the bytes."""
    answer = frame(b"[" + b",".join([b"[]"] * (wire.MAX_ELEMENTS - 10)) + b"]")
    tracemalloc.start()
    try:
        value = wire.loads(answer)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(value) == wire.MAX_ELEMENTS - 10
    assert peak < 64 * len(answer), (peak, len(answer))  # about 45: one list object per 3 bytes


def test_dumps_refuses_what_is_not_lowered():
    with pytest.raises(WireError):
        wire.dumps(object())
    with pytest.raises(WireError):
        wire.dumps({1: 2})
