"""Helpers shared by the example generators (examples/*/make_*.py): they
write their files only when the bytes change, so `make` stays quiet and
timestamps stay put."""
import io
import os

import numpy as np


def npz_bytes(**arrays):
    """The .npz file np.savez writes for `arrays` (fixed zip timestamps, so
    the bytes are reproducible)."""
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def write_if_changed(path, data):
    """Writes `data` to `path` atomically unless the file already holds it."""
    try:
        with open(path, "rb") as f:
            if f.read() == data:
                return
    except FileNotFoundError:
        pass
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
