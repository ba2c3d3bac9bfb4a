"""Write fixed files atomically, keeping BOM, line endings and mode, and never over a newer file.

The new bytes go to a temporary file in the same directory (same file system), which is flushed,
given the original's mode (and owner, where allowed) and renamed over the original: a reader sees the
old file or the new one, never half of one. Just before the rename the file on disk is compared with
what was read; if anything changed it in the meantime, nothing is written and the caller gets an error
entry. The text itself already carries the file's line endings and trailing-newline state (the fixer
splices into the original text); the BOM is put back here.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile

from llmlint.manifest.loader import SourceText
from llmlint.model import InputError

CHANGED = "changed on disk while llmlint ran; not overwritten (run again)"


def encode(src: SourceText, text: str) -> bytes:
    if src.cr_only:  # read with CR line ends turned into LF (loader.decode): written back with CR
        text = text.replace("\n", "\r")
    return (b"\xef\xbb\xbf" if src.bom else b"") + text.encode("utf-8")


def _fingerprint(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _unchanged(src: SourceText, path: str) -> tuple[InputError | None, os.stat_result | None]:
    """Is ``path`` still what was read? (its stat, for a cheap second look just before the rename)"""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            return InputError(src.name, None, "cannot write: not a regular file"), None
        with open(path, "rb") as fh:
            current = fh.read(len(src.raw) + 1)
    except OSError as exc:
        return InputError(src.name, None, f"cannot re-read before writing: {exc.strerror or exc}"), None
    if current != src.raw:
        return InputError(src.name, None, CHANGED), None
    return None, st


def write_atomic(src: SourceText, text: str) -> InputError | None:
    if src.path is None:
        return InputError(src.name, None, "cannot write: not a file")
    path = os.path.realpath(src.path)  # through a symlink, to the file it names
    directory = os.path.dirname(path) or "."
    err, before = _unchanged(src, path)
    if err is not None or before is None:
        return err
    try:
        data = encode(src, text)
    except UnicodeEncodeError as exc:  # a lone surrogate from a "\ud800" escape: not UTF-8
        return InputError(src.name, None, f"cannot write: the fixed text is not valid UTF-8 ({exc.reason})")
    tmp = None
    try:
        # next to the file (same file system: the rename is atomic); a short name (NAME_MAX is 255)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{os.path.basename(path)[:64]}.llmlint-", suffix=".tmp", dir=directory
        )
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        mode = src.mode if src.mode is not None else before.st_mode
        os.chmod(tmp, stat.S_IMODE(mode))
        if hasattr(os, "chown") and (before.st_uid, before.st_gid) != _owner(tmp):
            with contextlib.suppress(OSError):  # only root may give a file away; keep the group if we can
                os.chown(tmp, before.st_uid, before.st_gid)
        try:
            now = os.stat(path)
        except OSError:
            return InputError(src.name, None, CHANGED)
        if _fingerprint(now) != _fingerprint(before):
            return InputError(src.name, None, CHANGED)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        return InputError(src.name, None, f"cannot write: {exc.strerror or exc}")
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    _sync_dir(directory)
    src.raw = data
    return None


def _owner(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_uid, st.st_gid


def _sync_dir(directory: str) -> None:
    """Make the rename durable (best effort: not every platform can open a directory)."""
    flags = getattr(os, "O_DIRECTORY", 0) | os.O_RDONLY
    try:
        fd = os.open(directory, flags)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
