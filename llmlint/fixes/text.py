"""Edits → splices of the source text, verified by parsing the result.

A fix changes only the characters it must: a scalar is rewritten in its own quoting style, a new key or
list item is inserted as lines indented like its siblings, a new document is appended after its
neighbour. Comments, key order, quoting, line endings and every other byte stay as they were. After
splicing, the changed documents are parsed again and compared with the edits applied to the data; a
mismatch rejects the fix instead of writing a wrong file.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml

from llmlint.fixes import render
from llmlint.fixes.patch import EditError, apply_to_data, unshared
from llmlint.fixes.validate import Known, identity, problems, shortened
from llmlint.manifest.loader import Document, SourceText, _Loader
from llmlint.manifest.positions import content_end, root, substring_offset
from llmlint.model import AddDocument, AppendItem, Edit, Fix, Path, RemoveItem, ReplaceInString, SetValue

_ALIAS_USE = re.compile(r"[ \t]*:[ \t]*(\*[^\s,\[\]{}]+)")
TOO_DEEP = "the document nests too deeply (through its aliases) to be fixed safely"


@dataclass(frozen=True, slots=True)
class Splice:
    """Replace ``[start, end)`` of the source text with ``text``."""

    start: int
    end: int
    text: str
    depth: int = 0  # at one offset, inserts into deeper nodes go first
    order: int = 0


def _chain(node: yaml.Node, path: Path) -> list[tuple[yaml.Node | None, yaml.Node]]:
    """(key, value) nodes along ``path`` as far as it exists; the first entry is the root."""
    chain: list[tuple[yaml.Node | None, yaml.Node]] = [(None, node)]
    for step in path:
        cur = chain[-1][1]
        nxt: tuple[yaml.Node | None, yaml.Node] | None = None
        if isinstance(cur, yaml.MappingNode) and isinstance(step, str):
            for k, v in cur.value:
                if isinstance(k, yaml.ScalarNode) and k.value == step:
                    nxt = (k, v)
        elif isinstance(cur, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(cur.value):
            nxt = (None, cur.value[step])
        if nxt is None:
            break
        chain.append(nxt)
    return chain


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


class _Doc:
    """A document being edited: its text, composed tree and indentation style."""

    def __init__(self, src: SourceText, doc: Document) -> None:
        self.src, self.doc = src, doc
        node = root(doc)
        if node is None:
            raise EditError("the document cannot be composed")
        self.root = node
        self.base = doc.start
        self.step, self.seq_offset = self._style(node)
        self._flow_inserts: set[int] = set()
        self._shared: set[int] | None = None

    def shared(self) -> set[int]:
        """Ids of the nodes that more than one place holds: an anchor and its aliases (``<<: *x`` too).
        Editing one of them, or anything inside it, would change every place that aliases it."""
        if self._shared is None:
            incoming: dict[int, int] = {}
            stack: list[yaml.Node] = [self.root]
            walked: set[int] = set()
            while stack:  # iterative: 500 chained aliases are no deeper for this walk than for libyaml
                n = stack.pop()
                if id(n) in walked:
                    continue
                walked.add(id(n))
                children: list[yaml.Node] = []
                if isinstance(n, yaml.SequenceNode):
                    children = list(n.value)
                elif isinstance(n, yaml.MappingNode):
                    children = [c for kv in n.value for c in kv]
                for c in children:
                    incoming[id(c)] = incoming.get(id(c), 0) + 1
                    stack.append(c)
            self._shared = {i for i, count in incoming.items() if count > 1}
        return self._shared

    def aliased_use(self, path: Path) -> tuple[int, int, int] | None:
        """Where ``path`` passes through a node other places alias: ``(depth, start, end)`` of the alias
        token (``*name``) of that use, to be written out in full for this use alone. Raises EditError when
        the path reaches the shared node at its anchor (``limits: &lim``): editing it there would change
        every alias, and it cannot be copied out from under them."""
        shared = self.shared()
        if not shared:
            return None
        chain = _chain(self.root, path)
        for depth, (key, node) in enumerate(chain[1:], start=1):
            if id(node) not in shared:
                continue
            if key is not None:
                m = _ALIAS_USE.match(self.src.text, self.abs(key.end_mark.index))
                if m is not None:
                    return depth, m.start(1), m.end(1)
            where = "/".join(map(str, path[:depth]))
            raise EditError(
                f"{where} is a YAML anchor that other places alias: editing it would change them too"
            )
        return None

    def expand_alias(self, key: yaml.Node, parent: yaml.Node, start: int, end: int, value: Any) -> Splice:
        """Replace the alias token at ``[start, end)`` with ``value`` written out (block or flow, as its
        mapping is)."""
        depth = 0
        if (
            self.src.is_json
            or getattr(parent, "flow_style", False)
            or not (isinstance(value, dict | list) and value)
        ):
            text = self.flow(value) if isinstance(value, dict | list) else render.scalar(value)
            return Splice(start, end, text, depth)
        while start > 0 and self.src.text[start - 1] in " \t":
            start -= 1
        lines = render.block(value, self.indent_for(value, key.start_mark.column), self.step, self.seq_offset)
        return Splice(start, end, self.nl("\n" + "\n".join(lines)), depth)

    @staticmethod
    def _style(node: yaml.Node) -> tuple[int, int]:
        step, seq = 0, -1
        stack = [node]
        while stack and (not step or seq < 0):
            n = stack.pop()
            if isinstance(n, yaml.MappingNode) and not n.flow_style:
                for k, v in n.value:
                    if isinstance(v, yaml.MappingNode) and not v.flow_style and v.value and not step:
                        step = v.value[0][0].start_mark.column - k.start_mark.column
                    if isinstance(v, yaml.SequenceNode) and not v.flow_style and v.value and seq < 0:
                        seq = v.start_mark.column - k.start_mark.column
                    stack.append(v)
            elif isinstance(n, yaml.SequenceNode):
                stack.extend(n.value)
        return (step if step > 0 else 2), (seq if seq >= 0 else 2)

    def _inserted(self, node: yaml.Node) -> bool:
        """Whether an insertion into this flow collection was already made (the next needs a comma)."""
        seen = id(node) in self._flow_inserts
        self._flow_inserts.add(id(node))
        return seen

    def flow(self, value: Any) -> str:
        return render.flow(value, json_only=self.src.is_json)

    def abs(self, index: int) -> int:
        return self.base + index

    def eol(self, pos: int) -> int:
        text = self.src.text
        if pos > 0 and text[pos - 1] == "\n":
            return pos
        i = text.find("\n", pos)
        return len(text) if i == -1 else i + 1

    def nl(self, s: str) -> str:
        return s.replace("\n", self.src.newline) if self.src.newline != "\n" else s

    def lines(self, lines: list[str], at: int) -> str:
        """Whole lines to insert at offset ``at`` (which is a line start, or the end of the text)."""
        body = "\n".join(lines) + "\n"
        text = self.src.text
        if at == len(text) and text and not text.endswith("\n"):
            body = "\n" + body[:-1]  # and still no newline at the end of the file
        return self.nl(body)

    def indent_for(self, value: Any, key_col: int) -> int:
        return key_col + (self.seq_offset if isinstance(value, list) else self.step)

    # ---- edit kinds ----

    def set_value(self, path: Path, value: Any) -> list[Splice]:
        chain = _chain(self.root, path)
        depth = len(chain) - 1
        key, node = chain[-1]
        parent = chain[-2][1] if len(chain) > 1 else None
        if depth == len(path):
            return [self._replace(key, node, value, len(path), parent)]
        if _is_null(node) and depth > 0:
            nested: Any = value
            for step in reversed(path[depth:]):
                nested = {step: nested} if isinstance(step, str) else None
            if nested is None:
                raise EditError("cannot create a list index")
            return [self._replace(key, node, nested, depth, parent)]
        missing = path[depth]
        if not isinstance(missing, str) or not isinstance(node, yaml.MappingNode):
            raise EditError(f"cannot add {missing!r} under a {type(node).__name__}")
        nested = value
        for step in reversed(path[depth + 1 :]):
            if not isinstance(step, str):
                raise EditError("cannot create a list index")
            nested = {step: nested}
        return [self._add_key(node, missing, nested, depth)]

    def _replace(
        self, key: yaml.Node | None, node: yaml.Node, value: Any, depth: int, parent: yaml.Node | None
    ) -> Splice:
        start, end = self.abs(node.start_mark.index), self.abs(node.end_mark.index)
        compound = isinstance(value, dict | list) and bool(value)
        if isinstance(node, yaml.ScalarNode):
            if not compound:
                style = node.style if isinstance(value, str) else None
                return Splice(start, end, render.scalar(value, style), depth)
            if self.src.is_json or getattr(parent, "flow_style", False):
                return Splice(start, end, self.flow(value), depth)
            key_col = key.start_mark.column if key is not None else 0
            text = self.src.text
            while start > 0 and text[start - 1] in " \t":
                start -= 1
            lines = render.block(value, self.indent_for(value, key_col), self.step, self.seq_offset)
            return Splice(start, end, self.nl("\n" + "\n".join(lines)), depth)
        if getattr(node, "flow_style", False):
            return Splice(start, end, self.flow(value), depth)
        if not compound:  # a block collection becomes a scalar or an empty collection
            return Splice(
                start,
                self.abs(content_end(node)),
                self.flow(value) if isinstance(value, dict | list) else render.scalar(value),
                depth,
            )
        col = node.start_mark.column
        lines = render.block(value, col, self.step, self.seq_offset)
        lines[0] = lines[0].lstrip()
        return Splice(start, self.abs(content_end(node)), self.nl("\n".join(lines)), depth)

    def _add_key(self, mapping: yaml.MappingNode, key: str, value: Any, depth: int) -> Splice:
        if mapping.flow_style or not mapping.value:
            close = self.abs(mapping.end_mark.index) - 1
            if self.src.text[close] != "}":
                raise EditError("unexpected flow mapping end")
            sep = ", " if mapping.value or self._inserted(mapping) else ""
            key_text = render.flow(key) if self.src.is_json else render.scalar(key, in_flow=True)
            return Splice(close, close, f"{sep}{key_text}: {self.flow(value)}", depth)
        col = mapping.value[0][0].start_mark.column
        if isinstance(value, dict | list) and value:
            lines = [f"{' ' * col}{render.scalar(key)}:"]
            lines += render.block(value, self.indent_for(value, col), self.step, self.seq_offset)
        else:
            lines = [
                f"{' ' * col}{render.scalar(key)}: {self.flow(value) if isinstance(value, dict | list) else render.scalar(value)}"
            ]
        at = self.eol(self.abs(content_end(mapping)))
        return Splice(at, at, self.lines(lines, at), depth)

    def append_item(self, path: Path, value: Any) -> list[Splice]:
        chain = _chain(self.root, path)
        _, node = chain[-1]
        if len(chain) - 1 == len(path) and isinstance(node, yaml.SequenceNode):
            if node.flow_style or not node.value:
                close = self.abs(node.end_mark.index) - 1
                if self.src.text[close] != "]":
                    raise EditError("unexpected flow sequence end")
                sep = ", " if node.value or self._inserted(node) else ""
                return [Splice(close, close, f"{sep}{self.flow(value)}", len(path))]
            col = node.start_mark.column
            at = self.eol(self.abs(content_end(node)))
            return [
                Splice(
                    at, at, self.lines(render.block([value], col, self.step, self.seq_offset), at), len(path)
                )
            ]
        return self.set_value(path, [value])

    def replace_in_string(self, path: Path, e: ReplaceInString) -> list[Splice]:
        chain = _chain(self.root, path)
        _, node = chain[-1]
        if len(chain) - 1 != len(path) or not isinstance(node, yaml.ScalarNode):
            raise EditError("the string to edit is not there")
        value = node.value
        off = substring_offset(self.src.text, node, self.base, value, e.start, e.end)
        if off is None:
            raise EditError(f"cannot find {e.old!r} in the source of the string")
        new = e.new
        if node.style == '"':
            new = render.flow(new)[1:-1]
        elif node.style == "'":
            new = new.replace("'", "''")
        return [Splice(off, off + len(e.old), new, len(path))]

    def remove_item(self, path: Path) -> list[Splice]:
        """Remove a list item, or a mapping key with its value (whole lines in block style)."""
        chain = _chain(self.root, path)
        if len(chain) - 1 != len(path) or len(chain) < 2:
            raise EditError("the item to remove is not there")
        parent, (key, item) = chain[-2][1], chain[-1]
        text = self.src.text
        first = key if key is not None else item
        start = self.abs(first.start_mark.index)
        flow = getattr(parent, "flow_style", False)
        if isinstance(parent, yaml.MappingNode):
            siblings = [k for k, _ in parent.value]
            idx = siblings.index(key)
            ends = [self.abs(v.end_mark.index) for _, v in parent.value]
            starts = [self.abs(k.start_mark.index) for k in siblings]
        elif isinstance(parent, yaml.SequenceNode):
            idx = parent.value.index(item)
            ends = [self.abs(v.end_mark.index) for v in parent.value]
            starts = [self.abs(v.start_mark.index) for v in parent.value]
        else:
            raise EditError("not a list item or mapping key")
        if not flow and len(starts) == 1 and len(chain) > 2:
            # the only entry: the collection becomes empty ("data: {}"), not null
            empty = "{}" if isinstance(parent, yaml.MappingNode) else "[]"
            pstart, pend = self.abs(parent.start_mark.index), self.abs(content_end(parent))
            j = pstart
            while j > 0 and text[j - 1] in " \t\r\n":
                j -= 1
            if j > 0 and text[j - 1] == ":":
                return [Splice(j, pend, " " + empty, len(path))]
            return [Splice(pstart, pend, empty, len(path))]
        if flow:
            end = ends[idx]
            if idx + 1 < len(starts):
                end = starts[idx + 1]
            elif idx > 0:
                start = ends[idx - 1]
            return [Splice(start, end, "", len(path))]
        line_start = text.rfind("\n", 0, start) + 1
        lead = text[line_start:start].strip()
        if lead not in ("", "-") or (lead == "-" and key is not None):
            raise EditError("the item shares its line with another")
        end = self.eol(self.abs(content_end(item)))
        return [Splice(line_start, end, "", len(path))]

    def add_document(self, value: dict[str, Any]) -> list[Splice]:
        if self.src.is_json:
            raise EditError("a JSON file holds one object: create the new object in a file of its own")
        at = self.doc.end
        text = self.src.text
        lines = ["---", *render.block(value, 0, self.step, self.seq_offset)]
        body = "\n".join(lines) + "\n"
        if at > 0 and text[at - 1] != "\n":
            body = "\n" + body[:-1]  # at the end of a file without a final newline: keep it so
        return [Splice(at, at, self.nl(body), -1)]


def _merge(a: Any, b: Any) -> Any:
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = _merge(out[k], v) if k in out else v
        return out
    if isinstance(a, list) and isinstance(b, list):
        return a + b
    return b


def _edit_splices(d: _Doc, items: list[tuple[int, Edit, Path]]) -> list[Splice]:
    """Splices for one document's edits of one fix.

    Edits that create the same missing key (two limits of one new ``resources.limits``, a volume and its
    list) are merged into one insertion, and removals from one flow list into one rewrite of it, so the
    edits of a fix never collide with each other.
    """
    out: list[Splice] = []
    creates: dict[Path, tuple[int, Any]] = {}
    flow_removals: dict[Path, tuple[int, list[int]]] = {}
    # edits through an alias (``resources: *res``) write that use out in full, edited, for it alone
    uses: dict[tuple[int, int], tuple[int, int, list[Edit]]] = {}
    plain: list[tuple[int, Edit, Path]] = []
    for order, e, path in items:
        use = None if isinstance(e, AddDocument) else d.aliased_use(path)
        if use is None:
            plain.append((order, e, path))
        else:
            depth, start, end = use
            uses.setdefault((start, end), (depth, order, []))[2].append(e)
    for (start, end), (depth, order, edits) in uses.items():
        e0 = edits[0]
        through = (*e0.target.prefix, *getattr(e0, "path", ()))[:depth]
        chain = _chain(d.root, through)
        whole = {e0.target.doc_index: unshared(d.doc.data)}
        apply_to_data(whole, edits)
        written = _at(whole[e0.target.doc_index], through)
        key_node, holder = chain[-1][0], chain[-2][1]
        assert key_node is not None
        sp = d.expand_alias(key_node, holder, start, end, written)
        out.append(Splice(sp.start, sp.end, sp.text, depth, order))
    for order, e, path in plain:
        if isinstance(e, SetValue | AppendItem):
            chain = _chain(d.root, path)
            depth = len(chain) - 1
            node = chain[-1][1]
            existing_list = (
                isinstance(e, AppendItem) and depth == len(path) and isinstance(node, yaml.SequenceNode)
            )
            if depth < len(path) and not existing_list:
                value: Any = [e.value] if isinstance(e, AppendItem) else e.value
                cut = depth if _is_null(node) and depth > 0 else depth + 1
                for step in reversed(path[cut:]):
                    value = {step: value}
                key = path[:cut]
                prev = creates.get(key)
                creates[key] = (prev[0], _merge(prev[1], value)) if prev else (order, value)
                continue
        if isinstance(e, RemoveItem) and isinstance(path[-1], int):
            parent = _chain(d.root, path[:-1])
            if (
                len(parent) - 1 == len(path) - 1
                and isinstance(parent[-1][1], yaml.SequenceNode)
                and parent[-1][1].flow_style
            ):
                first, idx = flow_removals.get(path[:-1], (order, []))
                flow_removals[path[:-1]] = (first, [*idx, path[-1]])
                continue
        if isinstance(e, SetValue):
            new = d.set_value(path, e.value)
        elif isinstance(e, AppendItem):
            new = d.append_item(path, e.value)
        elif isinstance(e, ReplaceInString):
            new = d.replace_in_string(path, e)
        elif isinstance(e, RemoveItem):
            new = d.remove_item(path)
        elif isinstance(e, AddDocument):
            new = d.add_document(e.value)
        else:  # pragma: no cover - the Edit union is closed
            raise EditError(f"unknown edit {e!r}")
        out += [Splice(sp.start, sp.end, sp.text, sp.depth, order) for sp in new]
    for key, (order, value) in creates.items():
        out += [Splice(sp.start, sp.end, sp.text, sp.depth, order) for sp in d.set_value(key, value)]
    for key, (order, drop) in flow_removals.items():
        seq = _chain(d.root, key)[-1][1]
        text = d.src.text
        kept = [
            text[d.abs(v.start_mark.index) : d.abs(v.end_mark.index)]
            for i, v in enumerate(seq.value)
            if i not in set(drop)
        ]
        start, end = d.abs(seq.start_mark.index), d.abs(seq.end_mark.index)
        out.append(Splice(start, end, "[" + ", ".join(kept) + "]", len(key), order))
    return out


def splices(src: SourceText, docs: dict[int, Document], fix: Fix) -> list[Splice]:
    """The splices of ``fix``'s edits that fall in ``src``."""
    by_doc: dict[int, list[tuple[int, Edit, Path]]] = {}
    for order, e in enumerate(fix.edits):
        if e.target.source != src.name:
            continue
        path = (*e.target.prefix, *getattr(e, "path", ()))
        by_doc.setdefault(e.target.doc_index, []).append((order, e, path))
    out: list[Splice] = []
    for index, items in by_doc.items():
        doc = docs.get(index)
        if doc is None:
            raise EditError("the document to edit was not loaded")
        try:
            out += _edit_splices(_Doc(src, doc), items)
        except RecursionError:
            raise EditError(TOO_DEEP) from None
    return out


def _clash(x: Splice, y: Splice) -> bool:
    if x.start < y.end and y.start < x.end:
        return True
    if x.start == x.end == y.start == y.end:
        return True  # two insertions at one point: their order would be a guess
    return (x.start == x.end and y.start < x.start < y.end) or (
        y.start == y.end and x.start < y.start < x.end
    )


class Taken:
    """Splices already chosen for one source, sorted, for overlap tests in logarithmic time."""

    def __init__(self) -> None:
        self.splices: list[Splice] = []
        self._starts: list[int] = []

    def clashes(self, new: list[Splice]) -> bool:
        for x in new:
            i = bisect.bisect_left(self._starts, x.start)
            # chosen splices do not overlap each other: only neighbours can clash with x
            lo = max(0, i - 2)
            j = lo
            while j < len(self.splices) and self._starts[j] <= x.end:
                if _clash(x, self.splices[j]):
                    return True
                j += 1
        return False

    def add(self, new: list[Splice]) -> None:
        for x in new:
            i = bisect.bisect_right(self._starts, x.start)
            self._starts.insert(i, x.start)
            self.splices.insert(i, x)


def splice_text(text: str, parts: list[Splice]) -> str:
    out: list[str] = []
    pos = 0
    for s in sorted(parts, key=lambda s: (s.start, -s.depth, s.order)):
        if s.start < pos:
            raise EditError("overlapping edits")
        out.append(text[pos : s.start])
        out.append(s.text)
        pos = s.end
    out.append(text[pos:])
    return "".join(out)


def _load(text: str, what: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise EditError(f"the {what} does not parse: {exc}") from exc


def _plain(value: Any) -> Any:
    """ruamel.yaml's round-trip types as plain data (dates as the text PyYAML is told to keep)."""
    import datetime

    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool) or value is None:
        return value
    for t in (int, float, str):
        if isinstance(value, t):
            return t(value)
    return value


def _at(data: Any, path: Path) -> Any:
    """The value at ``path``, or None where it does not exist (both readings are of one document, so a
    path that removals shifted still names the same node in each)."""
    for step in path:
        if isinstance(data, dict):
            data = data.get(step)
        elif isinstance(data, list) and isinstance(step, int) and -len(data) <= step < len(data):
            data = data[step]
        else:
            return None
    return data


def _second_reading(text: str, what: str) -> Any:
    """``text`` as a YAML 1.2 reader (ruamel.yaml, round-trip) sees it."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return _plain(YAML(typ="rt", pure=True).load(text))
    except (YAMLError, ValueError) as exc:
        raise EditError(f"the {what} does not parse as YAML 1.2: {exc}") from exc


def verify(
    src: SourceText,
    docs: dict[int, Document],
    new_text: str,
    edits: list[Edit],
    parts: list[Splice],
    second_reader: bool = False,
    known: Known | None = None,
    base: int = 0,
) -> None:
    """Parse the edited documents again, compare them with the edits applied to the data, and check
    them as the API server would (:mod:`llmlint.fixes.validate`).

    Only the documents the splices touch are read back, found by shifting their old bounds through the
    splices, so verifying a fix costs the size of its documents, not of the file. With ``second_reader``
    (files about to be written) the values the fix wrote are also read by ruamel.yaml: they must mean the
    same to YAML 1.1 readers (kubectl, PyYAML) and YAML 1.2 readers (Helm, Argo CD) — ``on`` is a
    boolean to one and a string to the other. A fix whose result the API server would refuse (or warn
    about) where the original was fine, or that creates an object the file, the context or another file
    already has, is rejected with the reason.

    ``new_text`` may be a window of the edited file that starts at offset ``base`` of the original (the
    splices then count from ``base`` too), so that one fix among thousands in a file costs its documents.
    """
    try:
        _verify(src, docs, new_text, edits, parts, second_reader, known, base)
    except RecursionError:
        raise EditError(TOO_DEEP) from None


_NOTHING: dict[str, Any] = {}  # what a new document replaces
_BEFORE: dict[int, tuple[Any, set[str]]] = {}  # a document's problems as read (its data is kept alive)


def _problems_before(data: Any) -> set[str]:
    hit = _BEFORE.get(id(data))
    if hit is not None and hit[0] is data:
        return hit[1]
    if len(_BEFORE) > 4096:
        _BEFORE.clear()
    found = problems(data)
    _BEFORE[id(data)] = (data, found)
    return found


def _validate(before: Any, after: Any) -> None:
    new = sorted(problems(after) - _problems_before(before))
    if new:
        more = f" (and {len(new) - 1} more)" if len(new) > 1 else ""
        raise EditError(f"the API server would refuse the result: {new[0]}{more}")
    worse = shortened(before, after)
    if worse:
        raise EditError(worse)


@lru_cache(maxsize=16)
def _identities(text: str) -> dict[tuple[str, str, str, str], int]:
    """How many objects of each identity a file holds (read once per text: a str caches its hash)."""
    counts: dict[tuple[str, str, str, str], int] = {}
    from llmlint.manifest.loader import too_deep

    if too_deep(text):
        return {}  # PyYAML's C composer would recurse once per level (and crash): documents were checked alone
    try:
        for data in yaml.load_all(text, Loader=yaml.CSafeLoader):
            kind = data.get("kind") if isinstance(data, dict) else None
            items = data.get("items") if isinstance(kind, str) and kind.endswith("List") else None
            for obj in items if isinstance(items, list) else [data]:
                key = identity(obj)
                if key is not None:
                    counts[key] = counts.get(key, 0) + 1
    except yaml.YAMLError:
        return {}  # a file that does not parse as a whole: its documents were checked one by one
    return counts


def _verify(
    src: SourceText,
    docs: dict[int, Document],
    new_text: str,
    edits: list[Edit],
    parts: list[Splice],
    second_reader: bool,
    known: Known | None,
    base: int = 0,
) -> None:
    mine = [e for e in edits if e.target.source == src.name]
    touched = {e.target.doc_index for e in mine if not isinstance(e, AddDocument)}
    expected = {i: unshared(docs[i].data) for i in touched}  # an alias use edited alone stays alone
    apply_to_data(expected, [e for e in mine if not isinstance(e, AddDocument)])
    for i, want in expected.items():
        _validate(docs[i].data, want)
    added = [e for e in mine if isinstance(e, AddDocument)]
    for new_doc in added:
        _validate(_NOTHING, new_doc.value)
        if known is not None:
            why = known.collides(new_doc.value, src.name, new_doc.target.ref)
            if why:
                raise EditError(why)
    if added:
        # edits never rename an object: the file's objects are its old ones and the new documents
        before = _identities(src.text)
        counts: dict[tuple[str, str, str, str], int] = {}
        for new_doc in added:
            key = identity(new_doc.value)
            if key is None:
                continue
            counts[key] = counts.get(key, 0) + 1
            if before.get(key, 0) + counts[key] > 1:
                _, kind, ns, name = key
                raise EditError(
                    f"the file would hold {kind} {ns + '/' if ns else ''}{name} twice (the second replaces the first)"
                )
    if src.is_json:
        if 0 in expected and _load(new_text, "edited document") != expected[0]:
            raise EditError("the edited document does not read back as intended")
        return  # JSON reads the same in YAML 1.1 and 1.2

    def delta(s: Splice) -> int:
        return len(s.text) - (s.end - s.start)

    def shifted(pos: int, own_inserts: bool) -> int:
        # splices before ``pos``; at ``pos`` itself, new documents (depth -1) belong after the document
        return pos + sum(
            delta(s)
            for s in parts
            if s.end < pos or (s.end == pos and (own_inserts or s.depth == -1 or s.start < s.end))
        )

    for i, want in expected.items():
        doc = docs[i]
        start, end = doc.start - base, doc.end - base
        a = shifted(start, own_inserts=True)
        b = shifted(end, own_inserts=True) - sum(
            delta(s) for s in parts if s.start == s.end == end and s.depth == -1
        )
        if _load(new_text[a:b], "edited document") != want:
            raise EditError("the edited document does not read back as intended")
        if second_reader:
            other = _second_reading(new_text[a:b], "edited document")
            for e in mine:
                if e.target.doc_index == i and not isinstance(e, AddDocument | RemoveItem):
                    path = (*e.target.prefix, *e.path)
                    if _at(other, path) != _at(want, path):
                        raise EditError(f"YAML 1.1 and 1.2 readers disagree on {'/'.join(map(str, path))}")
    inserted = [s for s in parts if s.depth == -1]
    if len(added) != len(inserted):
        raise EditError("new documents and their insertions do not match")
    for e, s in zip(added, sorted(inserted, key=lambda s: (s.start, s.order)), strict=True):
        if _load(s.text, "new document") != e.value:
            raise EditError("the new document does not read back as intended")
        if second_reader and _second_reading(s.text.lstrip().removeprefix("---"), "new document") != e.value:
            raise EditError("YAML 1.1 and 1.2 readers disagree on the new document")
