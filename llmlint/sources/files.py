"""Which files a scan reads: paths, directories walked for manifests, globs excluded, stdin."""

from __future__ import annotations

import errno
import fnmatch
import os
import stat
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from llmlint.model import InputError

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
# Never manifests: version control, dependency trees, caches. A directory holding ``pyvenv.cfg`` (a virtual
# environment under any name, such as ``.ci-venv``) is skipped too, and so is whatever ``.gitignore`` ignores.
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "__pycache__",
        ".venv",
        "venv",
        ".ci-venv",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
    }
)


class FileRef(NamedTuple):
    path: str  # to open
    name: str  # to show: relative to the working directory when inside it


class ChartRef(NamedTuple):
    """A Helm chart (a directory with ``Chart.yaml``): rendered, never read as raw YAML (llmlint.helm)."""

    path: str
    name: str


def chart_root(path: str) -> str | None:
    """The outermost chart directory holding ``path`` (a subchart belongs to its parent), if any; the
    search stops at a repository's top (``.git``)."""
    found = None
    d = os.path.abspath(path if os.path.isdir(path) else os.path.dirname(path) or ".")
    while True:
        if os.path.isfile(os.path.join(d, "Chart.yaml")):
            found = d
        parent = os.path.dirname(d)
        if parent == d or os.path.exists(os.path.join(d, ".git")):
            return found
        d = parent


def printable(name: str) -> str:
    """``name`` safe to print on one line: control and format characters (a newline, an RTL override)
    and undecodable bytes are shown as escapes. A file named ``"x\n::error::…"`` would otherwise write
    its own GitHub workflow command into ``--format github`` output."""
    if name.isprintable():
        return name
    out: list[str] = []
    for ch in name:
        if 0xDC80 <= ord(ch) <= 0xDCFF:  # a byte that is not UTF-8 (os.fsdecode's surrogateescape)
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        elif not ch.isprintable():
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)


def display_name(path: str, cwd: str) -> str:
    absolute = os.path.abspath(path)
    try:
        rel = os.path.relpath(absolute, cwd)
    except ValueError:
        return printable(path)
    return printable(path if rel.startswith("..") else rel.replace(os.sep, "/"))


def _excluded(name: str, patterns: Iterable[str]) -> bool:
    parts = name.split("/")
    for pat in patterns:
        pat = pat.rstrip("/")
        if fnmatch.fnmatch(name, pat) or fnmatch.fnmatch(name, pat + "/*"):
            return True
        if "/" not in pat and any(fnmatch.fnmatch(p, pat) for p in parts):
            return True
    return False


def discover(
    paths: Iterable[str], exclude: Iterable[str] = (), cwd: str | None = None
) -> Iterator[FileRef | ChartRef | InputError]:
    """Files to scan, in a stable order; each real file once, symlink loops never followed twice."""
    cwd = cwd or os.getcwd()
    exclude = list(exclude)
    seen: set[tuple[int, int]] = set()
    for given in paths:
        if not os.path.lexists(given):
            yield InputError(printable(given), None, "no such file or directory")
            continue
        chart = chart_root(given)  # helm: a chart, or a file inside one, is the chart rendered
        if chart is not None:
            if not _excluded(display_name(chart, cwd), exclude):
                yield ChartRef(chart, display_name(chart, cwd))  # the engine reads each chart once
            continue
        if os.path.isdir(given):
            yield from _walk(given, exclude, cwd, seen)
            continue
        name = display_name(given, cwd)
        try:
            st = os.stat(given)
        except OSError as exc:
            why = "symbolic link loop" if exc.errno == errno.ELOOP else (exc.strerror or str(exc))
            yield InputError(name, None, f"cannot read: {why}")
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen:
            continue
        seen.add(key)
        # A file named explicitly is read whatever its suffix (pre-commit passes what it selected), and
        # even when .gitignore ignores it.
        if not _excluded(name, exclude):
            yield FileRef(given, name)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _boundary(top: str, cwd: str) -> str:
    """Where directory symlinks may lead: the working directory (the repository, in CI and pre-commit)
    when the walk starts inside it, else the walked directory itself."""
    real_top, real_cwd = os.path.realpath(top), os.path.realpath(cwd)
    return real_cwd if _inside(real_top, real_cwd) else real_top


def _walk(
    top: str, exclude: list[str], cwd: str, seen: set[tuple[int, int]]
) -> Iterator[FileRef | ChartRef | InputError]:
    from llmlint.sources.gitignore import Ignorer

    visited_dirs: set[tuple[int, int]] = set()
    stack = [top]
    boundary = _boundary(top, cwd)
    git = Ignorer(top)
    while stack:
        d = stack.pop()
        try:
            st = os.stat(d)
        except OSError as exc:
            yield InputError(display_name(d, cwd), None, f"cannot read directory: {exc.strerror or exc}")
            continue
        if (st.st_dev, st.st_ino) in visited_dirs:
            continue  # a symlink loop or a second link to a directory already walked
        visited_dirs.add((st.st_dev, st.st_ino))
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError as exc:
            yield InputError(display_name(d, cwd), None, f"cannot read directory: {exc.strerror or exc}")
            continue
        if any(e.name == "Chart.yaml" for e in entries):  # helm: the chart is rendered, not walked
            yield ChartRef(d, display_name(d, cwd))
            continue
        subdirs: list[str] = []
        abs_d = os.path.abspath(d)
        for entry in entries:
            name = display_name(entry.path, cwd)
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if (
                    entry.name in SKIP_DIRS
                    or _excluded(name, exclude)
                    or git.ignored(os.path.join(abs_d, entry.name), True)
                ):
                    continue
                if os.path.exists(os.path.join(entry.path, "pyvenv.cfg")):
                    continue  # a virtual environment, whatever its name
                if entry.is_symlink() and not _inside(os.path.realpath(entry.path), boundary):
                    continue  # ``evil -> /``: a walk never leaves the tree it was given (as find, rg)
                subdirs.append(entry.path)
                continue
            if not entry.name.endswith(MANIFEST_SUFFIXES) or _excluded(name, exclude):
                continue
            if git.ignored(os.path.join(abs_d, entry.name), False):
                continue
            try:
                fst = entry.stat()
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    yield InputError(name, None, "symbolic link loop: not read")
                elif entry.is_symlink():
                    yield InputError(name, None, "broken symbolic link")
                else:
                    yield InputError(name, None, f"cannot read: {exc.strerror or exc}")
                continue
            if not stat.S_ISREG(fst.st_mode):
                # x.yaml -> /dev/zero, a FIFO: reading would never end (or block)
                yield InputError(name, None, "not a regular file (a device, FIFO or socket): not read")
                continue
            key = (fst.st_dev, fst.st_ino)
            if key in seen:
                continue
            seen.add(key)
            yield FileRef(entry.path, name)
        stack.extend(reversed(subdirs))
