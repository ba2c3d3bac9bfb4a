"""Parsed data kept between runs: the rule catalog and the server-flag tables, and the context index.

Parsing them again on every start would cost a pre-commit run a few milliseconds; ``marshal`` reads them
back several times faster than JSON. Entries are keyed by the sources' paths, sizes and modification times
and the Python version (marshal's format), live in ``$XDG_CACHE_HOME/llmlint`` (``~/.cache/llmlint``),
and a cache that cannot be read or written is simply not used. Only plain data is kept (never pickle), in
files only this user can read; a cache file another user owns or could write is not read.

The context index (:class:`FileIndex`) keeps, per file of a repository read as context, what the file holds
of the context kinds, so that a second pre-commit run reads only the files that changed or matter.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import stat
import sys
import time
import zlib
from collections.abc import Callable
from typing import Any


def cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "llmlint")


def cached(name: str, sources: list[str], build: Callable[[], Any]) -> Any:
    """What ``build()`` makes of ``sources``, from the cache when none of them changed."""
    try:
        stats = "".join(f"{f}:{os.stat(f).st_size}:{os.stat(f).st_mtime_ns};" for f in sources)
    except OSError:
        return build()
    key = zlib.crc32(f"{sys.version_info[:2]};{stats}".encode())
    folder = cache_dir()
    path = os.path.join(folder, f"{name}-{key:08x}.marshal")
    raw = read_trusted(path)
    if raw is not None:
        try:
            return marshal.loads(raw)  # (marshal.load on a file reads it in small pieces: slower)
        except (EOFError, ValueError, TypeError):
            pass
    value = build()
    try:
        if not write_atomic(path, marshal.dumps(value)):
            return value
        for old in os.listdir(folder):
            if old.startswith(f"{name}-") and old.endswith(".marshal") and os.path.join(folder, old) != path:
                os.unlink(os.path.join(folder, old))
    except (OSError, ValueError):
        pass
    return value


_MAX_INDEX_BYTES = 64 * 1024 * 1024
# a file changed this close to a scan may change again and keep its mtime (FAT's clock ticks every 2 s)
_RACY_NS = 2_000_000_000


def read_trusted(path: str, limit: int = _MAX_INDEX_BYTES) -> bytes | None:
    """The bytes of a cache file, when it is a regular file of this user's that nobody else may write
    (a cache another user could write is not trusted: marshal is not safe against crafted data)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit or st.st_mode & 0o022:
            return None
        if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
            return None
        return os.read(fd, st.st_size + 1)
    except OSError:
        return None
    finally:
        os.close(fd)


def write_atomic(path: str, data: bytes) -> bool:
    """Write a cache file all or nothing (readable by this user only); False when it cannot be written."""
    folder = os.path.dirname(path)
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return False
    return True


def code_stamp(files: list[str]) -> str:
    """Sizes and modification times of source files: a cache made by other code is not used."""
    out = []
    for f in files:
        try:
            st = os.stat(f)
        except OSError:
            out.append(f"{f}:?")
            continue
        out.append(f"{f}:{st.st_size}:{st.st_mtime_ns}")
    return ";".join(out)


# What the context index holds per file: (size, mtime_ns, ctime_ns, inode, value); ``value`` is the
# caller's (plain data: ints, strings, tuples).
FileKey = tuple[int, int, int, int]


def file_key(st: os.stat_result) -> FileKey:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


class FileIndex:
    """Per-file facts of a directory tree kept between runs, each valid while the file's size,
    modification and change times and inode are those it was made from; files changed in the last two
    seconds before the run are not kept (their next change may leave the same times). Lives in
    :func:`cache_dir` (never in the scanned tree), ``marshal`` of plain data; a cache that is missing,
    corrupt, made by other code or another user is ignored, and one that cannot be written is not."""

    def __init__(self, name: str, scope: str, salt: str) -> None:
        key = zlib.crc32(scope.encode("utf-8", "surrogateescape"))
        self.path = os.path.join(cache_dir(), f"{name}-{key:08x}.marshal")
        self.salt = f"{sys.version_info[:2]};{salt};{scope}"
        self.started = time.time_ns()
        self.old: dict[str, Any] = {}
        self.new: dict[str, Any] = {}
        self.dirty = False
        raw = read_trusted(self.path)
        if raw is None:
            return
        try:
            data = marshal.loads(raw)
        except Exception:  # (a corrupt cache is no cache)
            return
        if isinstance(data, tuple) and len(data) == 2 and data[0] == self.salt and isinstance(data[1], dict):
            self.old = data[1]

    def get(self, path: str, key: FileKey) -> Any:
        """The value kept for ``path`` as it is now (``key``), else ``None``."""
        got = self.old.get(path)
        try:
            if got is None or got[0] != key:
                return None
            value = got[1]
        except (TypeError, IndexError, KeyError):
            return None
        self.new[path] = got
        return value

    def put(self, path: str, key: FileKey, value: Any) -> None:
        self.dirty = True
        if key[1] < self.started - _RACY_NS:
            self.new[path] = (key, value)

    def save(self) -> None:
        if not self.dirty and len(self.new) == len(self.old):
            return
        try:
            data = marshal.dumps((self.salt, self.new))
        except ValueError:
            return
        write_atomic(self.path, data)
