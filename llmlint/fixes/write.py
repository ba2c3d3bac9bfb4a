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


def _inside(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def tree_roots(roots: list[str], cwd: str | None = None) -> list[str]:
    """The scanned tree, resolved: each directory PATH, and for a file PATH the working directory when
    the file is inside it (a pre-commit run names files of the repository) or else its directory."""
    here = os.path.realpath(cwd or os.getcwd())
    out: list[str] = []
    for r in roots or ["."]:
        full = os.path.join(here, r)
        if os.path.isdir(full):
            out.append(os.path.realpath(full))
            continue
        parent = os.path.realpath(os.path.dirname(os.path.abspath(full)))
        out.append(here if _inside(parent, [here]) else parent)
    return out


def unwritable(src: SourceText, roots: list[str] | None) -> str | None:
    """Why ``src`` must not be written by ``--fix``, or None.

    - a symlink (or a path through one) whose target lies outside the scanned tree: writing it would
      change a file nobody asked to fix; a link inside the tree writes its target and stays a link;
    - a file without write permission for its user: the atomic rename would replace it anyway, since
      only the directory's permission counts for a rename. Root passes ``os.access``, so the mode's
      write bits are read too: a file nobody may write stays as it is."""
    if src.path is None:
        return "not a file"
    path = os.path.realpath(src.path)
    if roots is not None:
        tree = tree_roots(roots)
        if not _inside(path, tree):
            if os.path.realpath(os.path.abspath(src.path)) != os.path.abspath(src.path):
                return "it is a symlink to a file outside the scanned tree; not written"
            return "it lies outside the scanned tree; not written"
    try:
        st = os.stat(path)
    except OSError as exc:
        return f"cannot write: {exc.strerror or exc}"
    if not os.access(path, os.W_OK) or not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        return "the file is read-only; not written"
    return None


class _Pending:
    """A new file's bytes in a temporary file next to the original, ready to be renamed over it."""

    def __init__(self, src: SourceText, path: str, tmp: str, before: os.stat_result, data: bytes) -> None:
        self.src, self.path, self.tmp, self.before, self.data = src, path, tmp, before, data

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self.tmp)


def prepare(src: SourceText, text: str, roots: list[str] | None = None) -> _Pending | InputError:
    """Check that ``src`` may be written and is unchanged on disk, and write its new bytes to a
    temporary file beside it (flushed, with the original's mode and owner)."""
    if src.path is None:
        return InputError(src.name, None, "cannot write: not a file")
    why = unwritable(src, roots)
    if why is not None:
        return InputError(src.name, None, why)
    path = os.path.realpath(src.path)  # through a symlink, to the file it names
    directory = os.path.dirname(path) or "."
    err, before = _unchanged(src, path)
    if err is not None or before is None:
        return err or InputError(src.name, None, CHANGED)
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
    except OSError as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        return InputError(src.name, None, f"cannot write: {exc.strerror or exc}")
    return _Pending(src, path, tmp, before, data)


def commit(p: _Pending) -> InputError | None:
    """Rename the prepared file over the original, unless the original changed in the meantime."""
    try:
        now = os.stat(p.path)
    except OSError:
        p.discard()
        return InputError(p.src.name, None, CHANGED)
    if _fingerprint(now) != _fingerprint(p.before):
        p.discard()
        return InputError(p.src.name, None, CHANGED)
    try:
        os.replace(p.tmp, p.path)
    except OSError as exc:
        p.discard()
        return InputError(p.src.name, None, f"cannot write: {exc.strerror or exc}")
    _sync_dir(os.path.dirname(p.path) or ".")
    return None


def restore(p: _Pending) -> None:
    """Put the original bytes back after a rename (another file of the same fix could not be written)."""
    directory = os.path.dirname(p.path) or "."
    with contextlib.suppress(OSError):
        fd, tmp = tempfile.mkstemp(
            prefix=f".{os.path.basename(p.path)[:64]}.llmlint-", suffix=".tmp", dir=directory
        )
        with os.fdopen(fd, "wb") as out:
            out.write(p.src.raw)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, stat.S_IMODE(p.before.st_mode))
        os.replace(tmp, p.path)
        _sync_dir(directory)


def write_atomic(src: SourceText, text: str, roots: list[str] | None = None) -> InputError | None:
    """Write one file atomically (see :func:`write_group` for several that must land together)."""
    errors = write_group([(src, text)], roots)
    return errors[0] if errors else None


def write_group(files: list[tuple[SourceText, str]], roots: list[str] | None = None) -> list[InputError]:
    """Write files that must land together: all, or none. Every new file is prepared first (temporary
    files beside the originals); only if all are ready are they renamed, and if a rename fails the
    files already renamed get their original bytes back."""
    pending: list[_Pending] = []
    errors: list[InputError] = []
    for src, text in files:
        p = prepare(src, text, roots)
        if isinstance(p, InputError):
            errors.append(p)
        else:
            pending.append(p)
    if errors:
        for p in pending:
            p.discard()
        if len(files) > 1:
            failed = ", ".join(e.file or "?" for e in errors)
            errors += [
                InputError(
                    p.src.name, None, f"not written: a fix here also edits {failed}, which cannot be written"
                )
                for p in pending
            ]
        return errors
    done: list[_Pending] = []
    for p in pending:
        err = commit(p)
        if err is not None:
            for q in done:
                restore(q)
            for q in pending[len(done) + 1 :]:
                q.discard()
            errors.append(err)
            errors += [
                InputError(q.src.name, None, f"not written (rolled back): a fix here also edits {p.src.name}")
                for q in pending
                if q is not p
            ]
            return errors
        done.append(p)
    for p in done:
        p.src.raw = p.data
    return errors


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
