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
    for item, _ in discover_stat(paths, exclude, cwd):
        yield item


def discover_stat(
    paths: Iterable[str], exclude: Iterable[str] = (), cwd: str | None = None
) -> Iterator[tuple[FileRef | ChartRef | InputError, os.stat_result | None]]:
    """:func:`discover`, each file with the ``stat`` the walk made of it (``None`` for a chart or an
    error), so that a caller need not stat it again."""
    cwd = cwd or os.getcwd()
    exclude = list(exclude)
    seen: set[tuple[int, int]] = set()
    for given in paths:
        if not os.path.lexists(given):
            yield InputError(printable(given), None, "no such file or directory"), None
            continue
        chart = chart_root(given)  # helm: a chart, or a file inside one, is the chart rendered
        if chart is not None:
            if not _excluded(display_name(chart, cwd), exclude):
                yield ChartRef(chart, display_name(chart, cwd)), None  # the engine reads each chart once
            continue
        if os.path.isdir(given):
            yield from _walk(given, exclude, cwd, seen)
            continue
        name = display_name(given, cwd)
        try:
            st = os.stat(given)
        except OSError as exc:
            why = "symbolic link loop" if exc.errno == errno.ELOOP else (exc.strerror or str(exc))
            yield InputError(name, None, f"cannot read: {why}"), None
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen:
            continue
        seen.add(key)
        # A file named explicitly is read whatever its suffix (pre-commit passes what it selected), and
        # even when .gitignore ignores it.
        if not _excluded(name, exclude):
            yield FileRef(given, name), st


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _boundary(top: str, cwd: str) -> str:
    """Where directory symlinks may lead: the working directory (the repository, in CI and pre-commit)
    when the walk starts inside it, else the walked directory itself."""
    real_top, real_cwd = os.path.realpath(top), os.path.realpath(cwd)
    return real_cwd if _inside(real_top, real_cwd) else real_top


def _names_in(abs_d: str, cwd: str) -> tuple[str, bool] | None:
    """How :func:`display_name` shows the entries of directory ``abs_d``: the prefix of their name
    relative to ``cwd`` (absolute and normalised, both), and whether that lies outside ``cwd`` (then an
    entry is shown by its path, unless it is ``cwd`` or one of its parents); ``None``: ask
    :func:`display_name` for each."""
    if abs_d == cwd:
        return "", False
    inner = os.path.join(cwd, "")
    if abs_d.startswith(inner):  # (what relpath says, without its work)
        return abs_d[len(inner) :].replace(os.sep, "/") + "/", False
    try:
        rel = os.path.relpath(abs_d, cwd)
    except ValueError:
        return None
    if rel == ".":
        return "", False
    return rel.replace(os.sep, "/") + "/", rel.startswith("..")


def _entry_name(entry: os.DirEntry[str], abs_path: str, names: tuple[str, bool] | None, cwd: str) -> str:
    """``display_name(entry.path, cwd)`` without a ``relpath`` per entry."""
    if names is None or (names[1] and _inside(cwd, abs_path)):
        return display_name(entry.path, cwd)
    rel = names[0] + entry.name
    return printable(entry.path if names[1] or rel.startswith("..") else rel)


def _walk(
    top: str, exclude: list[str], cwd: str, seen: set[tuple[int, int]]
) -> Iterator[tuple[FileRef | ChartRef | InputError, os.stat_result | None]]:
    from llmlint.sources.gitignore import Ignorer

    visited_dirs: set[tuple[int, int]] = set()
    stack = [top]
    boundary = _boundary(top, cwd)
    git = Ignorer(top)
    cwd = os.path.abspath(cwd)
    for_names = bool(exclude)
    while stack:
        d = stack.pop()
        try:
            st = os.stat(d)
        except OSError as exc:
            yield (
                InputError(display_name(d, cwd), None, f"cannot read directory: {exc.strerror or exc}"),
                None,
            )
            continue
        if (st.st_dev, st.st_ino) in visited_dirs:
            continue  # a symlink loop or a second link to a directory already walked
        visited_dirs.add((st.st_dev, st.st_ino))
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError as exc:
            yield (
                InputError(display_name(d, cwd), None, f"cannot read directory: {exc.strerror or exc}"),
                None,
            )
            continue
        listed = {e.name for e in entries}
        if "Chart.yaml" in listed:  # helm: the chart is rendered, not walked
            yield ChartRef(d, display_name(d, cwd)), None
            continue
        subdirs: list[str] = []
        abs_d = os.path.abspath(d)
        if ".gitignore" not in listed:
            git.absent(abs_d)
        names = _names_in(abs_d, cwd)
        ignored = git.in_directory(abs_d)
        abs_prefix = os.path.join(abs_d, "")
        for entry in entries:
            ename = entry.name
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if (
                    ename in SKIP_DIRS
                    or (for_names and _excluded(_entry_name(entry, abs_prefix + ename, names, cwd), exclude))
                    or ignored(ename, True)
                ):
                    continue
                if os.path.exists(os.path.join(entry.path, "pyvenv.cfg")):
                    continue  # a virtual environment, whatever its name
                if entry.is_symlink() and not _inside(os.path.realpath(entry.path), boundary):
                    continue  # ``evil -> /``: a walk never leaves the tree it was given (as find, rg)
                subdirs.append(entry.path)
                continue
            if not ename.endswith(MANIFEST_SUFFIXES):
                continue
            name = _entry_name(entry, abs_prefix + ename, names, cwd)
            if for_names and _excluded(name, exclude):
                continue
            if ignored(ename, False):
                continue
            try:
                fst = entry.stat()
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    yield InputError(name, None, "symbolic link loop: not read"), None
                elif entry.is_symlink():
                    yield InputError(name, None, "broken symbolic link"), None
                else:
                    yield InputError(name, None, f"cannot read: {exc.strerror or exc}"), None
                continue
            if not stat.S_ISREG(fst.st_mode):
                # x.yaml -> /dev/zero, a FIFO: reading would never end (or block)
                yield InputError(name, None, "not a regular file (a device, FIFO or socket): not read"), None
                continue
            key = (fst.st_dev, fst.st_ino)
            if key in seen:
                continue
            seen.add(key)
            yield FileRef(entry.path, name), fst
        stack.extend(reversed(subdirs))
