"""Parsed data kept between runs: the rule catalog and the server-flag tables.

Parsing them again on every start would cost a pre-commit run a few milliseconds; ``marshal`` reads them
back several times faster than JSON. Entries are keyed by the sources' paths, sizes and modification times
and the Python version (marshal's format), live in ``$XDG_CACHE_HOME/llmlint`` (``~/.cache/llmlint``),
and a cache that cannot be read or written is simply not used.
"""

from __future__ import annotations

import marshal
import os
import sys
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
    try:
        with open(path, "rb") as fh:
            return marshal.loads(fh.read())  # (marshal.load on a file reads it in small pieces: slower)
    except (OSError, EOFError, ValueError, TypeError):
        pass
    value = build()
    try:
        data = marshal.dumps(value)
        os.makedirs(folder, exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        for old in os.listdir(folder):
            if old.startswith(f"{name}-") and os.path.join(folder, old) != path:
                os.unlink(os.path.join(folder, old))
    except (OSError, ValueError):
        pass
    return value
