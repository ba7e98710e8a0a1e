# Patch the worker's writer: every answer declares a 1 GiB float32 tensor over 16 bytes (what a
# 1 MB compressed record did before the wire format).
import json as _json
import struct as _struct

import blitz.engine.wire as _wire


def _lying(envelope):
    header = _json.dumps({"0": {"dtype": "F32", "shape": [1 << 28], "data_offsets": [0, 16]}}).encode()
    tree = b'{"ok":true,"value":{"__blitz__":"tensor","data":{"$tensor":"0"},"device":"cpu"}}'
    blob = _struct.pack("<Q", len(header)) + header + b"\0" * 16
    return _wire.MAGIC + _struct.pack("<Q", len(tree)) + tree + blob


_wire.dumps = _lying
