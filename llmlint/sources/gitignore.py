"""A small, exact ``.gitignore`` matcher (gitignore(5)), so a directory walk skips what git ignores.

Patterns come from the user's global excludes (``~/.config/git/ignore``), ``.git/info/exclude`` of the
repository and from every ``.gitignore`` between the
repository root and the directory being walked; a deeper file's patterns win over a shallower one's, and
within a file the last matching pattern wins (``!`` re-includes). As in git, nothing inside an ignored
directory can be re-included: the walk never enters it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Pattern:
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool


def _translate(glob: str) -> str:
    """A gitignore glob (already stripped of ``!``, the trailing ``/`` and anchoring) as a regex body."""
    out: list[str] = []
    i, n = 0, len(glob)
    while i < n:
        c = glob[i]
        if c == "*":
            if glob.startswith("**", i):
                before_ok = i == 0 or glob[i - 1] == "/"
                after = glob[i + 2 : i + 3]
                if before_ok and after == "/":  # "**/": zero or more directories
                    out.append("(?:.*/)?")
                    i += 3
                    continue
                if before_ok and i + 2 == n:  # trailing "/**": everything inside
                    out.append(".*")
                    i += 2
                    continue
            out.append("[^/]*")  # any other "*" or "**" is a plain star
            while i < n and glob[i] == "*":
                i += 1
            continue
        if c == "?":
            out.append("[^/]")
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(glob[i]))
        elif c == "[":
            j = i + 1
            if j < n and glob[j] in "!^":
                j += 1
            if j < n and glob[j] == "]":
                j += 1
            while j < n and glob[j] != "]":
                j += 1
            if j >= n:  # no closing bracket: a literal "["
                out.append(re.escape(c))
            else:
                body = glob[i + 1 : j]
                neg = body[:1] in ("!", "^")
                if neg:
                    body = body[1:]
                body = body.replace("\\", "\\\\")
                out.append(f"[{'^/' if neg else ''}{body}]")
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def parse_line(line: str) -> Pattern | None:
    line = line.rstrip("\r\n")
    if not line or line.startswith("#"):
        return None
    # trailing spaces are ignored unless escaped with a backslash
    stripped = line.rstrip(" ")
    if stripped.endswith("\\") and len(stripped) < len(line):
        stripped += " "
    line = stripped
    negate = line.startswith("!")
    if negate or line.startswith("\\!") or line.startswith("\\#"):
        line = line[1:]
    dir_only = line.endswith("/") and not line.endswith("\\/")
    if dir_only:
        line = line.rstrip("/")
    if not line:
        return None
    anchored = "/" in line
    line = line.lstrip("/")
    body = _translate(line)
    prefix = "" if anchored else "(?:.*/)?"
    return Pattern(re.compile(f"^{prefix}{body}$", re.DOTALL), negate, dir_only)


def parse(text: str) -> list[Pattern]:
    return [p for p in (parse_line(raw) for raw in text.splitlines()) if p is not None]


def _read(path: str) -> list[Pattern]:
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as fh:
            return parse(fh.read())
    except OSError:
        return []


def repo_root(start: str) -> str | None:
    """The nearest directory from ``start`` upward holding ``.git`` (a directory, or a worktree's file)."""
    d = os.path.abspath(start)
    while True:
        if os.path.exists(os.path.join(d, ".git")):
            return d
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


class _Level:
    """The patterns of one ``.gitignore`` (or of the excludes), combined: one regex answers "which pattern
    matches last?" (the alternatives in reverse order, each anchored: the first alternative that matches
    is the last pattern that does), as the pattern-by-pattern loop of :func:`_match` does. Patterns that
    cannot be combined into one regex are matched by that loop."""

    __slots__ = ("any", "combined", "files", "negate_any", "negate_files", "patterns")

    def __init__(self, patterns: list[Pattern]) -> None:
        self.patterns = patterns
        self.any, self.negate_any = _combine(patterns)
        self.files, self.negate_files = _combine([p for p in patterns if not p.dir_only])
        self.combined = self.any is not None and self.files is not None

    def verdict(self, rel: str, is_dir: bool, verdict: bool | None) -> bool | None:
        if not self.combined:
            return _match(self.patterns, rel, is_dir, verdict)
        regex, negate = (self.any, self.negate_any) if is_dir else (self.files, self.negate_files)
        if not negate or regex is None:
            return verdict  # (no pattern for files: only directory ones)
        if os.sep != "/":
            rel = rel.replace(os.sep, "/")
        m = regex.match(rel)
        if m is None or m.lastindex is None:
            return verdict
        return not negate[m.lastindex - 1]


_NOTHING = re.compile(r"(?!)")


def _combine(patterns: list[Pattern]) -> tuple[re.Pattern[str] | None, list[bool]]:
    """One regex of ``patterns``, last first, each a group of its own (theirs hold none); ``None`` when
    it cannot be built."""
    if not patterns:
        return _NOTHING, []
    last_first = patterns[::-1]
    try:
        regex = re.compile("|".join(f"({p.regex.pattern})" for p in last_first), re.DOTALL)
    except (re.error, RecursionError, OverflowError, AssertionError):
        return None, []
    if regex.groups != len(last_first):
        return None, []
    return regex, [p.negate for p in last_first]


class Ignorer:
    """Answers "does git ignore this path?" for paths under one walk; ``.gitignore`` files read once each."""

    def __init__(self, top: str) -> None:
        top = os.path.abspath(top)
        self.root = repo_root(top)
        self.base = self.root or top  # outside a repository: the .gitignore files of the walked tree
        self._levels: dict[str, list[Pattern]] = {}
        self._combined: dict[str, _Level | None] = {}
        self._exclude: list[Pattern] = []
        # per parent directory: (length of the prefix to cut, level) for each level holding patterns
        self._plans: dict[str, list[tuple[int, _Level]]] = {}
        if self.root is not None:
            # the user's global excludes at git's default place (core.excludesFile, when set elsewhere, is
            # not read: that would mean running git), then the repository's own .git/info/exclude
            xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
            self._exclude = _read(os.path.join(xdg, "git", "ignore"))
            git = os.path.join(self.root, ".git")
            if os.path.isdir(git):
                self._exclude += _read(os.path.join(git, "info", "exclude"))

    def absent(self, directory: str) -> None:
        """The walk listed ``directory`` (absolute, normalised) and saw no ``.gitignore`` in it: not opened."""
        self._levels.setdefault(directory, [])

    def _patterns(self, directory: str) -> list[Pattern]:
        got = self._levels.get(directory)
        if got is None:
            got = self._levels[directory] = _read(os.path.join(directory, ".gitignore"))
        return got

    def _plan(self, directory: str) -> list[tuple[int, _Level]]:
        """What to match for a path in ``directory`` (under :attr:`base`), shallow first (deeper files
        override): the excludes, then each ``.gitignore`` from the base down; a directory's is its
        parent's plan and its own file."""
        parent = os.path.dirname(directory)
        if directory == self.base or parent == directory:
            plan: list[tuple[int, _Level]] = []
            if self.root is not None and self._exclude:
                plan.append((len(self.root.rstrip(os.sep)) + 1, self._level("", self._exclude)))
        else:
            above = self._plans.get(parent)
            plan = list(above if above is not None else self._plan(parent))
        pats = self._patterns(directory)
        if pats:
            plan.append((len(directory.rstrip(os.sep)) + 1, self._level(directory, pats)))
        self._plans[directory] = plan
        return plan

    def _level(self, key: str, patterns: list[Pattern]) -> _Level:
        got = self._combined.get(key)
        if got is None:
            got = self._combined[key] = _Level(patterns)
        return got

    def in_directory(self, directory: str) -> Callable[[str, bool], bool]:
        """``ignored`` for the entries of one directory (absolute, normalised), by entry name: what
        :meth:`ignored` answers for ``os.path.join(directory, name)``, with the work per directory done once."""
        prefix = os.path.join(directory, "")
        if not prefix.startswith(self.base.rstrip(os.sep) + os.sep):
            return _never
        plan = self._plans.get(directory)
        if plan is None:
            plan = self._plan(directory)
        if not plan:
            return _never
        heads = [(prefix[cut:], level) for cut, level in plan]

        def ignored(name: str, is_dir: bool) -> bool:
            verdict: bool | None = None
            for head, level in heads:
                verdict = level.verdict(head + name, is_dir, verdict)
            return bool(verdict)

        return ignored

    def ignored(self, path: str, is_dir: bool) -> bool:
        """Whether ``path`` is ignored by its own name; its parents are the walk's business (a walk never
        enters an ignored directory). ``path`` absolute and normalised is cheapest (as the walk passes it)."""
        if not path.startswith(os.sep) or "/." in path or "//" in path:
            path = os.path.abspath(path)
        base = self.base
        if not path.startswith(base.rstrip(os.sep) + os.sep):
            return False
        parent = os.path.dirname(path)
        plan = self._plans.get(parent)
        if plan is None:
            plan = self._plan(parent)
        verdict: bool | None = None
        for cut, level in plan:
            verdict = level.verdict(path[cut:], is_dir, verdict)
        return bool(verdict)


def _never(name: str, is_dir: bool) -> bool:
    return False


def _match(patterns: list[Pattern], rel: str, is_dir: bool, verdict: bool | None) -> bool | None:
    if os.sep != "/":
        rel = rel.replace(os.sep, "/")
    for p in patterns:
        if p.dir_only and not is_dir:
            continue
        if p.regex.match(rel):
            verdict = not p.negate
    return verdict
