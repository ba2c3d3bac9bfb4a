"""Write fixed files atomically, keeping BOM, line endings and mode, and never over a newer file."""

from __future__ import annotations

import os
import tempfile

from llmlint.manifest.loader import SourceText
from llmlint.model import InputError


def encode(src: SourceText, text: str) -> bytes:
    return (b"\xef\xbb\xbf" if src.bom else b"") + text.encode("utf-8")


def write_atomic(src: SourceText, text: str) -> InputError | None:
    if src.path is None:
        return InputError(src.name, None, "cannot write: not a file")
    path = os.path.realpath(src.path)  # through a symlink, to the file it names
    directory = os.path.dirname(path) or "."
    try:
        with open(path, "rb") as fh:
            current = fh.read()
    except OSError as exc:
        return InputError(src.name, None, f"cannot re-read before writing: {exc.strerror or exc}")
    if current != src.raw:
        return InputError(src.name, None, "changed on disk while llmlint ran; not overwritten (run again)")
    data = encode(src, text)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".llmlint-", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        mode = src.mode if src.mode is not None else os.stat(path).st_mode
        os.chmod(tmp, mode & 0o7777)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        return InputError(src.name, None, f"cannot write: {exc.strerror or exc}")
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    src.raw = data
    return None
