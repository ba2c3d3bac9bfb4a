"""Where a path of a document sits in its source text.

Documents are composed (libyaml, C) only when a finding or a fix asks for a position, and the composed
tree is cached on the document. Offsets are character offsets into ``source.text``.
"""

from __future__ import annotations

import bisect
from typing import NamedTuple

import yaml

from llmlint.manifest.loader import Document, compose
from llmlint.model import Path


class Located(NamedTuple):
    node: yaml.Node  # the value node at the path (or the deepest existing ancestor)
    key: yaml.Node | None  # the mapping key node when the path's last step is a key
    depth: int  # how many steps of the path exist
    base: int  # offset of the document in the source text
    base_line: int  # 0-based line of the document start

    def start(self) -> int:
        return self.base + self.node.start_mark.index

    def end(self) -> int:
        return self.base + self.node.end_mark.index

    def line_col(self, use_key: bool = True) -> tuple[int, int]:
        n = self.key if (use_key and self.key is not None) else self.node
        return self.base_line + n.start_mark.line + 1, n.start_mark.column + 1


def root(doc: Document) -> yaml.Node | None:
    if doc._root is None:
        try:
            doc._root = compose(doc.text)
        except (yaml.YAMLError, RecursionError):
            doc._root = False
    return doc._root or None


def _child(node: yaml.Node, step: str | int) -> tuple[yaml.Node | None, yaml.Node | None]:
    if isinstance(node, yaml.MappingNode) and isinstance(step, str):
        found: tuple[yaml.Node | None, yaml.Node | None] = (None, None)
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == step:
                found = (k, v)  # the last one wins, as in the constructor
        return found
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
        return None, node.value[step]
    return None, None


def locate(doc: Document, path: Path) -> Located | None:
    node = root(doc)
    if node is None:
        return None
    key: yaml.Node | None = None
    depth = 0
    for step in path:
        k, v = _child(node, step)
        if v is None:
            break
        node, key = v, k
        depth += 1
    return Located(node, key, depth, doc.start, doc.line0)


def content_end(node: yaml.Node) -> int:
    """End offset (in the document) of the last character that belongs to ``node``'s content.

    libyaml ends a block collection after the comments and blank lines that follow it; this walks down
    to the last scalar or flow collection instead.
    """
    seen: set[int] = set()
    while True:
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
            key, child = node.value[-1]
            if _elsewhere(child, node, seen):
                return int(key.end_mark.index)  # ``key: *alias``: the alias is on the key's line
            node = child
        elif isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
            child = node.value[-1]
            if _elsewhere(child, node, seen):
                return int(node.end_mark.index)  # ``- *alias``: libyaml's end is the best there is
            node = child
        else:
            return int(node.end_mark.index)


def _elsewhere(child: yaml.Node, parent: yaml.Node, seen: set[int]) -> bool:
    """Is ``child`` an alias: a node written before its parent (its anchor), or one already walked?"""
    return id(child) in seen or child.start_mark.index < parent.start_mark.index


def substring_offset(text: str, node: yaml.Node, base: int, value: str, start: int, end: int) -> int | None:
    """Offset in ``text`` of ``value[start:end]`` inside the scalar ``node``, when it maps one to one.

    The k-th occurrence of the substring in the value is taken to be the k-th occurrence in the raw source
    of the scalar; that holds for plain, quoted and block scalars unless escapes touch the substring,
    which the fixer's verification then catches.
    """
    needle = value[start:end]
    if not needle:
        return None
    k = 0
    i = value.find(needle)
    while i != -1 and i < start:
        k += 1
        i = value.find(needle, i + len(needle))
    lo, hi = base + node.start_mark.index, base + node.end_mark.index
    j = text.find(needle, lo, hi)
    for _ in range(k):
        if j == -1:
            return None
        j = text.find(needle, j + len(needle), hi)
    return j if j != -1 else None


_LINE_STARTS: dict[int, tuple[str, list[int]]] = {}  # id(text) → (text, offsets where its lines start)
_LINE_STARTS_KEPT = 16


def line_starts(text: str) -> list[int]:
    """Offsets of the first character of every line of ``text``, built once per text (a few texts kept)."""
    hit = _LINE_STARTS.get(id(text))
    if hit is not None and hit[0] is text:
        return hit[1]
    starts = [0]
    find = text.find
    i = find("\n")
    while i != -1:
        starts.append(i + 1)
        i = find("\n", i + 1)
    if len(_LINE_STARTS) >= _LINE_STARTS_KEPT:
        _LINE_STARTS.pop(next(iter(_LINE_STARTS)))
    _LINE_STARTS[id(text)] = (text, starts)
    return starts


def line_col_of(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``text[offset]``: a binary search in the text's line index, so that a
    file of thousands of findings costs no more per finding than a small one."""
    starts = line_starts(text)
    i = bisect.bisect_right(starts, offset) - 1
    return i + 1, offset - starts[i] + 1
