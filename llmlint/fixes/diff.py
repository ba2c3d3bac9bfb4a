"""Unified diffs that ``git apply`` and ``patch -p1`` accept."""

from __future__ import annotations

import difflib
import re
from typing import Protocol

_HUNK = re.compile(r"^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@")
CONTEXT = 3


class TextLike(Protocol):
    """What :func:`unified` reads of the edited text when it is given the changed region: its length
    and slices (an edited window over the original, not a copy of a large file)."""

    def __len__(self) -> int: ...

    def __getitem__(self, key: slice, /) -> str: ...


def _lines(name: str, a: list[str], b: list[str], offset: int) -> list[str]:
    out: list[str] = []
    # an absolute path is named as git does (``git diff --no-index /x/y``): ``a/x/y``, applied from ``/``
    rel = name.lstrip("/")
    for line in difflib.unified_diff(a, b, f"a/{rel}", f"b/{rel}", n=CONTEXT):
        if line.startswith(("---", "+++")):
            out.append(line.rstrip("\r\n") + "\n")
            continue
        if offset and line.startswith("@@"):
            m = _HUNK.match(line)
            assert m is not None
            old, new = int(m.group(1)) + offset, int(m.group(3)) + offset
            line = f"@@ -{old}{m.group(2) or ''} +{new}{m.group(4) or ''} @@" + line[m.end() :]
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return out


def unified(name: str, before: str, after: str | TextLike, changed: tuple[int, int] | None = None) -> str:
    """The diff of ``before`` → ``after``. With ``changed`` (the offsets in ``before`` that a fix
    touched; everything outside is equal) only that region and its context are compared, so a fix in a
    file of thousands of documents costs the size of the fix, not of the file."""
    if before == after:
        return ""
    if changed is None:
        assert isinstance(after, str)
        return "".join(_lines(name, before.splitlines(keepends=True), after.splitlines(keepends=True), 0))
    lo, hi = changed
    start = before.rfind("\n", 0, lo) + 1
    for _ in range(CONTEXT + 1):
        if start == 0:
            break
        start = before.rfind("\n", 0, start - 1) + 1
    end = hi
    for _ in range(CONTEXT + 2):
        if end >= len(before):
            end = len(before)
            break
        nl = before.find("\n", end)
        end = len(before) if nl == -1 else nl + 1
    delta = len(after) - len(before)
    a = before[start:end].splitlines(keepends=True)
    b = after[start : end + delta].splitlines(keepends=True)
    from llmlint.manifest.positions import line_col_of  # a cached line index: no count from the start

    return "".join(_lines(name, a, b, line_col_of(before, start)[0] - 1))
