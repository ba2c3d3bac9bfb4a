"""Bytes → documents, fast.

A file is decoded once, split into YAML documents on ``---`` lines, and each document is parsed with
libyaml (PyYAML's C loader) only if some rule reads its kind: the kind is read off the document's
top-level ``kind:`` line without parsing, so multi-megabyte CRDs cost a regular-expression scan. Positions
are not built here: :mod:`llmlint.manifest.positions` composes a document only when a finding or a fix
needs a line.

Whatever a repository holds, loading ends in bounded time and memory with documents or error entries
(file and line), never an exception: files are read up to :data:`MAX_FILE_BYTES` and documents parsed up
to :data:`MAX_DOCUMENT_BYTES` (no Kubernetes object is bigger); a file splits into at most
:data:`MAX_DOCUMENTS`; binary, UTF-16 and invalid UTF-8 input is refused; aliases are counted before
they are constructed (alias bombs, and aliases to their own ancestors, which would make cyclic data);
libyaml refuses 1,000 levels of nesting and :data:`MAX_DEPTH` guards the Python code that recurses;
duplicate keys are errors (Kubernetes decoders disagree on the winner); an unrendered Helm template is
named as such, at the template's line; and the fields rules read must have the types the API server
requires (:func:`type_errors`, at the key's line): an object it would reject is reported, not linted.
"""

from __future__ import annotations

import errno
import heapq
import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from llmlint.kinds import POD_SPECS
from llmlint.lazyre import LazyRe
from llmlint.model import InputError

MAX_DOCUMENT_BYTES = 8 * 1024 * 1024  # etcd keeps at most 1.5 MiB per object
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_ALIAS_EXPANSION = 200_000
MAX_DOCUMENTS = 100_000  # per file

_SIMPLE_KIND = re.compile(
    r"""^(?:"([A-Za-z][\w.-]*)"|'([A-Za-z][\w.-]*)'|([A-Za-z][\w.-]*))[ \t]*(?:#.*)?$"""
)
_ANCHOR = re.compile(r"(?:^|[\s\[{,:-])&[^\s\[\]{},]+")
_CONTENT = re.compile(r"^(?:[ \t]+[^\s#]|[^\s#%])", re.MULTILINE)  # "%YAML 1.1" at column 0: a directive
_TEMPLATE = LazyRe(r"\{\{-?\s*[.$\w(\"'/]")


@dataclass(slots=True, eq=False)
class SourceText:
    """One input (a file or stdin), decoded."""

    name: str  # as shown to users: relative to the working directory where possible, "-" for stdin
    path: str | None  # on disk; None for stdin and cluster objects
    text: str  # decoded, without BOM
    bom: bool = False
    newline: str = "\n"
    is_json: bool = False
    raw: bytes = b""
    mode: int | None = None
    cr_only: bool = False  # the file ends its lines with CR alone: ``text`` has LF, written back as CR


@dataclass(slots=True, eq=False)
class Document:
    """One YAML document of a source: its span, its kind (as read off the text) and its data."""

    source: SourceText
    index: int
    start: int  # character offset of the document in source.text
    end: int
    line0: int  # 0-based line of ``start``
    kind_hint: str | None
    kind_certain: bool = False
    data: Any = None
    parsed: bool = False
    _root: Any = field(default=None, repr=False)  # composed yaml node, built on demand

    @property
    def text(self) -> str:
        return self.source.text[self.start : self.end]


@dataclass(eq=False)
class Loaded:
    """A source's parsed documents, its errors, and the documents held back by the prefilter."""

    source: SourceText
    documents: list[Document]
    errors: list[InputError]
    deferred: list[Document] = field(default_factory=list)  # parsed only if a workload refers to them


RENDER_HINT = "helm template … | llmlint scan -"
DUPLICATE_WHY = "Kubernetes decoders disagree on which value wins"


class DuplicateKeyError(yaml.MarkedYAMLError):
    pass


class _Loader(yaml.CSafeLoader):
    """libyaml parser with a constructor that rejects duplicate keys (decoders disagree on the winner)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: set[tuple[str, str]] = set()
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                    key = (key_node.tag, key_node.value)
                    if key in seen:
                        why = DUPLICATE_WHY
                        if key_node.value in ("apiVersion", "kind"):  # two objects run together
                            why = (
                                f"a document separator (---) is probably missing before line "
                                f"{key_node.start_mark.line + 1} (files concatenated?)"
                            )
                        raise DuplicateKeyError(
                            None,
                            None,
                            f"duplicate key {key_node.value!r}: {why}",
                            key_node.start_mark,
                        )
                    seen.add(key)
        return super().construct_mapping(node, deep)

    # Data holds only what JSON holds, as the API server sees it (sigs.k8s.io/yaml converts YAML to JSON):
    # no bytes, sets, tuples, dates or NaN reach the rules and the JSON report.

    def construct_json_binary(self, node: yaml.ScalarNode) -> str:
        return "".join(str(self.construct_scalar(node)).split())  # []byte → JSON: the base64 text

    def construct_json_set(self, node: yaml.MappingNode) -> dict[Any, None]:
        return dict.fromkeys(self.construct_mapping(node))

    def construct_json_pairs(self, node: yaml.Node) -> list[list[Any]]:
        """``!!omap`` / ``!!pairs``: a list of ``[key, value]`` (JSON has no tuples)."""
        out: list[list[Any]] = []
        for sub in node.value if isinstance(node, yaml.SequenceNode) else [node]:
            if not isinstance(sub, yaml.MappingNode) or len(sub.value) != 1:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{node.tag} needs a list of one-key mappings", sub.start_mark
                )
            k, v = sub.value[0]
            out.append([self.construct_object(k, deep=True), self.construct_object(v, deep=True)])
        return out

    def construct_json_float(self, node: yaml.ScalarNode) -> float:
        value = self.construct_yaml_float(node)
        if value != value or value in (float("inf"), float("-inf")):
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"{node.value!r} is not a number JSON can hold (the API server rejects it)",
                node.start_mark,
            )
        return value


# YAML 1.1 timestamps are not a Kubernetes type: keep them as the strings the API server would see.
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_str)  # type: ignore[type-var]
_Loader.add_constructor("tag:yaml.org,2002:binary", _Loader.construct_json_binary)
_Loader.add_constructor("tag:yaml.org,2002:set", _Loader.construct_json_set)
_Loader.add_constructor("tag:yaml.org,2002:omap", _Loader.construct_json_pairs)
_Loader.add_constructor("tag:yaml.org,2002:pairs", _Loader.construct_json_pairs)
_Loader.add_constructor("tag:yaml.org,2002:float", _Loader.construct_json_float)


class _EventComposer(yaml.composer.Composer, yaml.resolver.Resolver):
    """PyYAML's composer over libyaml's events, where an anchor may be defined again (YAML allows it, and
    so do kubectl and Helm: an alias names the latest node with its anchor). libyaml's own composer
    refuses that; this one runs only then."""

    def __init__(self, events: Iterator[yaml.Event]) -> None:
        self._events = events
        self._next: yaml.Event | None = None
        yaml.composer.Composer.__init__(self)
        yaml.resolver.Resolver.__init__(self)

    def peek_event(self) -> yaml.Event:
        if self._next is None:
            self._next = next(self._events)
        return self._next

    def get_event(self) -> yaml.Event:
        ev = self.peek_event()
        self._next = None
        return ev

    def check_event(self, *choices: type) -> bool:
        try:
            ev = self.peek_event()
        except StopIteration:
            return False
        return not choices or isinstance(ev, choices)

    def compose_node(self, parent: Any, index: Any) -> Any:
        ev = self.peek_event()
        anchor = getattr(ev, "anchor", None)
        if not isinstance(ev, yaml.AliasEvent) and anchor is not None:
            self.anchors.pop(anchor, None)  # a redefinition: later aliases name the new node
        return super().compose_node(parent, index)


def compose(text: str, loader: type = yaml.CSafeLoader) -> Any:
    """The node tree of ``text`` (one document), as libyaml composes it, redefined anchors allowed."""
    try:
        return yaml.compose(text, Loader=loader)
    except yaml.composer.ComposerError as exc:
        if "duplicate anchor" not in (exc.context or ""):
            raise
    return _EventComposer(iter(yaml.parse(text, Loader=yaml.CSafeLoader))).get_single_node()


def _newline_of(text: str) -> str:
    i = text.find("\n")
    return "\r\n" if i > 0 and text[i - 1] == "\r" else "\n"


def decode(name: str, raw: bytes, path: str | None = None) -> SourceText | InputError:
    if b"\x00" in raw[:8192] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return InputError(name, None, "binary file, not a YAML or JSON manifest")
    if len(raw) > MAX_FILE_BYTES:
        return InputError(name, None, f"input is over the {MAX_FILE_BYTES // 1048576} MB limit: not read")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return InputError(name, None, "UTF-16 encoded: Kubernetes manifests are UTF-8 (convert the file)")
    bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        text = raw[3:].decode("utf-8") if bom else raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return InputError(name, line, f"invalid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})")
    is_json = name.endswith(".json") or text.lstrip().startswith(("{", "["))
    cr_only = "\r" in text and "\n" not in text
    if cr_only:  # classic Mac line ends: YAML reads CR as a line break; so does everything here, as LF
        text = text.replace("\r", "\n")
    return SourceText(
        name=name,
        path=path,
        text=text,
        bom=bom,
        newline=_newline_of(text),
        is_json=is_json,
        raw=raw,
        cr_only=cr_only,
    )


def read_file(path: str, name: str) -> SourceText | InputError:
    """Read and decode one file, at most :data:`MAX_FILE_BYTES` of it (``x.yaml -> /dev/zero`` ends).

    Directory walks never hand over devices or FIFOs (:mod:`llmlint.sources.files`); a path named on
    the command line may be one (``llmlint scan <(helm template .)``).
    """
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            mode = st.st_mode
            # a regular file in one read of its size (+1: it may have grown): read(64 MB) would allocate
            # 64 MB for every file; a device or FIFO (``x.yaml -> /dev/zero``) up to the limit
            want = min(st.st_size, MAX_FILE_BYTES) + 1 if stat.S_ISREG(mode) else MAX_FILE_BYTES + 1
            raw = fh.read(want)
            if len(raw) == want and want <= MAX_FILE_BYTES:
                raw += fh.read(MAX_FILE_BYTES + 1 - want)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return InputError(name, None, "symbolic link loop: not read")
        return InputError(name, None, f"cannot read: {exc.strerror or exc}")
    except MemoryError:
        return InputError(name, None, "file too large to read into memory")
    if len(raw) > MAX_FILE_BYTES:
        return InputError(name, None, f"file is over the {MAX_FILE_BYTES // 1048576} MB limit: not read")
    src = decode(name, raw, path)
    if isinstance(src, SourceText):
        src.mode = mode
    return src


def kind_hint(chunk: str, start: int = 0, end: int | None = None) -> tuple[str | None, bool]:
    """The kind of the document ``chunk[start:end]`` from its one top-level ``kind:`` line, and whether
    that reading is certain (no such line, two of them, or an odd value: parse to know)."""
    end = len(chunk) if end is None else end
    hits: list[int] = [start] if chunk.startswith("kind:", start) else []
    pos = start
    while len(hits) < 2:
        i = chunk.find("\nkind:", pos, end)
        if i == -1:
            break
        hits.append(i + 1)
        pos = i + 1
    if len(hits) != 1:
        return None, False
    eol = chunk.find("\n", hits[0], end)
    value = chunk[hits[0] + 5 : end if eol == -1 else eol]
    if value and value[0] not in " \t\r":
        return None, False  # ``kind:x`` is a plain scalar, not a key
    m = _SIMPLE_KIND.match(value.strip(" \t\r"))
    if not m:
        return None, False
    return m.group(1) or m.group(2) or m.group(3), True


_END_MARKER = re.compile(r"^\.\.\.[ \t]*(?:#[^\n]*)?\n", re.MULTILINE)


def document_starts(text: str) -> Iterator[int]:
    """Offsets where documents start: 0, every ``---`` that begins a line (then a blank or the end), and
    the line after a ``...`` document end marker (directives such as ``%YAML`` may follow one)."""
    if "\n..." in text or text.startswith("..."):
        ends = (m.end() for m in _END_MARKER.finditer(text) if 0 < m.end() < len(text))
        last = -1
        for k in heapq.merge(_dash_starts(text), ends):
            if k != last:
                yield k
                last = k
        return
    yield from _dash_starts(text)


def _dash_starts(text: str) -> Iterator[int]:
    yield 0
    pos = 0
    while True:
        i = text.find("\n---", pos)
        if i == -1:
            return
        j = i + 1
        after = text[j + 3 : j + 5]
        if after[:1] in ("", " ", "\t", "\n") or after in ("\r\n", "\r"):
            yield j
        pos = j + 3


def iter_documents(source: SourceText) -> Iterator[Document]:
    """The documents of ``source`` in order, one at a time (a file of a million ``---`` lines is lazy)."""
    text = source.text
    line = 0
    prev = 0
    start = 0
    index = 0
    bounds = document_starts(text)
    next(bounds)
    while True:
        end = next(bounds, len(text))
        line += text.count("\n", prev, start)
        prev = start
        hint, certain = kind_hint(text, start, end)
        yield Document(source, index, start, end, line, hint, certain)
        if end == len(text):
            return
        start, index = end, index + 1


def is_blank(doc: Document) -> bool:
    """Only a ``---`` line, blank lines, comments and directives: nothing to parse (no copy of the text)."""
    text, pos, end = doc.source.text, doc.start, doc.end
    if text.startswith("---", pos, end):
        eol = text.find("\n", pos, end)
        eol = end if eol == -1 else eol
        rest = text[pos + 3 : eol].strip()
        if rest and not rest.startswith("#"):
            return False  # ``--- {a: 1}``, ``--- !!map``
        pos = eol
    return _CONTENT.search(text, pos, end) is None


class RecursiveAliasError(ValueError):
    """An alias inside the node it names (``&a [*a]``): the data would contain itself."""


def _alias_expansion(node: yaml.Node, limit: int) -> int:
    """Count nodes as if every alias were copied out; stops counting past ``limit``.

    Raises :class:`RecursiveAliasError` for an alias to one of its own ancestors: libyaml composes
    ``&a [*a]`` into a cyclic graph, and the constructed data would be a list that contains itself.
    """
    memo: dict[int, int] = {}
    open_: set[int] = set()  # the ancestors of the node being visited
    stack: list[tuple[yaml.Node, bool]] = [(node, False)]
    while stack:
        n, done = stack.pop()
        if id(n) in memo:
            continue
        if isinstance(n, yaml.ScalarNode):
            memo[id(n)] = 1
            continue
        children: list[yaml.Node] = []
        if isinstance(n, yaml.SequenceNode):
            children = list(n.value)
        elif isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                children += [k, v]
        if done:
            open_.discard(id(n))
            memo[id(n)] = min(limit + 1, 1 + sum(memo[id(c)] for c in children))
        else:
            if any(id(c) in open_ or c is n for c in children):
                raise RecursiveAliasError("a YAML alias refers to a node that contains it (recursive data)")
            open_.add(id(n))
            stack.append((n, True))
            stack.extend((c, False) for c in children if id(c) not in memo)
    return memo[id(node)]


# libyaml stops at 1,000 levels, but Python code that walks data recursively (copy.deepcopy in the fixer,
# reporters) stops near 450: a document deeper than any Kubernetes object (a few dozen levels) is refused.
MAX_DEPTH = 200
TOO_DEEP = f"document nests more than {MAX_DEPTH} levels deep (no Kubernetes object does)"
_THIRD = MAX_DEPTH // 3
_INDENT = "\n" + " " * _THIRD


def _may_be_deep(chunk: str) -> bool:
    """Cheap (substring counts): could ``chunk`` nest more than MAX_DEPTH levels? Only then is the data
    walked. Each level is a flow bracket, a compact sequence dash (``- - - x``) or more indentation, so
    a document that deep has a third of MAX_DEPTH of one of them."""
    return (
        chunk.count("[") + chunk.count("{") > _THIRD
        or chunk.count("- ") > _THIRD
        or "-\t" in chunk
        or _INDENT in chunk  # also nested "-" lines (each one deeper)
    )


# libyaml 0.2.5 (the one PyYAML wheels bundle) has no nesting limit of its own, and PyYAML's C composer
# recurses once per level: 200,000 nested ``[`` crash the interpreter (a segmentation fault, not an
# exception). A document that may be deep is first run through the parser's events, which do not recurse.
MAX_PARSE_DEPTH = 1000
NESTING = f"invalid YAML: nesting deeper than {MAX_PARSE_DEPTH:,} levels"


def _nesting_line(chunk: str) -> int | None:
    """0-based line (in ``chunk``) where the nesting passes :data:`MAX_PARSE_DEPTH`, or None."""
    depth = 0
    try:
        for ev in yaml.parse(chunk, Loader=yaml.CSafeLoader):
            if isinstance(ev, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_PARSE_DEPTH:
                    return int(ev.start_mark.line) if ev.start_mark is not None else 0
            elif isinstance(ev, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return None  # the loader reports the error itself, at its place
    return None


def too_deep(text: str) -> bool:
    """Whether ``text`` nests deeper than :data:`MAX_PARSE_DEPTH` (composing it would crash libyaml's
    recursive composer), checked without recursion."""
    return _may_be_deep(text) and _nesting_line(text) is not None


def _depth(data: Any, limit: int) -> int:
    """Nesting depth of ``data`` (without recursion), or ``limit + 1`` as soon as it is deeper.

    Aliases are walked again where they are used (an alias can be deeper than its anchor); the
    alias-bomb check has bounded how many nodes that can make, and recursive aliases are refused.
    """
    stack: list[tuple[Any, int]] = [(data, 1)]
    deepest = 0
    while stack:
        node, d = stack.pop()
        if d > limit:
            return limit + 1
        if isinstance(node, dict | list):
            deepest = max(deepest, d)
            stack.extend((v, d + 1) for v in (node.values() if isinstance(node, dict) else node))
    return deepest


def _line_at(doc: Document, chunk: str, offset: int) -> int:
    """1-based line in the file of ``chunk[offset]`` (a match that starts on a newline: the next line)."""
    return doc.line0 + chunk.count("\n", 0, offset) + 1 + (chunk[offset : offset + 1] == "\n")


def _mark_line(doc: Document, exc: yaml.MarkedYAMLError) -> tuple[int | None, int | None]:
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return doc.line0 + 1, None
    return doc.line0 + mark.line + 1, mark.column + 1


_CHAR_NAMES = {0x0C: "form feed", 0x0B: "vertical tab", 0x1B: "escape", 0x7F: "delete", 0x00: "NUL"}


def reader_error(doc: Document, exc: yaml.reader.ReaderError) -> InputError:
    """libyaml's reader refuses a character: one line, at the character's line and column."""
    chunk = doc.text
    pos = max(0, int(exc.position))
    if not chunk.isascii():  # libyaml counts bytes of UTF-8
        pos = len(chunk.encode("utf-8")[:pos].decode("utf-8", "ignore"))
    pos = min(pos, len(chunk))
    line = doc.line0 + chunk.count("\n", 0, pos) + 1
    col = pos - (chunk.rfind("\n", 0, pos) + 1) + 1
    char = exc.character
    code = (
        char if isinstance(char, int) else (ord(char) if isinstance(char, str) and len(char) == 1 else None)
    )
    if code is None:
        return InputError(doc.source.name, line, "invalid YAML: a character YAML does not allow", col)
    name = _CHAR_NAMES.get(code)
    what = f"U+{code:04X}" + (f" ({name})" if name else "")
    return InputError(doc.source.name, line, f"invalid YAML: control character {what} is not allowed", col)


def parse_document(doc: Document) -> InputError | None:
    """Parse ``doc`` into ``doc.data``; an error names the file and line."""
    doc.parsed = True
    chunk = doc.text
    name = doc.source.name
    if len(chunk) > MAX_DOCUMENT_BYTES:
        return InputError(
            name,
            doc.line0 + 1,
            f"document of {len(chunk) // 1048576} MB is over the {MAX_DOCUMENT_BYTES // 1048576} MB limit",
        )
    try:
        if _may_be_deep(chunk):
            deep_at = _nesting_line(chunk)
            if deep_at is not None:
                return InputError(name, doc.line0 + deep_at + 1, NESTING)
        anchor = _ANCHOR.search(chunk)
        if anchor is not None:
            root = compose(chunk, _Loader)
            try:
                expansion = _alias_expansion(root, MAX_ALIAS_EXPANSION) if root is not None else 0
            except RecursiveAliasError as exc:
                return InputError(name, _line_at(doc, chunk, anchor.start()), str(exc))
            if expansion > MAX_ALIAS_EXPANSION:
                return InputError(
                    name,
                    _line_at(doc, chunk, anchor.start()),
                    f"YAML aliases expand to more than {MAX_ALIAS_EXPANSION:,} nodes (alias bomb?)",
                )
            doc.data = _Loader("").construct_document(root) if root is not None else None
        else:
            doc.data = yaml.load(chunk, Loader=_Loader)
        if _may_be_deep(chunk) and _depth(doc.data, MAX_DEPTH) > MAX_DEPTH:
            doc.data = None
            return InputError(name, doc.line0 + 1, TOO_DEEP)
    except yaml.MarkedYAMLError as exc:
        line, col = _mark_line(doc, exc)
        msg = exc.problem or exc.context or "invalid YAML"
        tpl = _TEMPLATE.search(chunk)
        if tpl is not None and not isinstance(exc, DuplicateKeyError):
            # The template is the cause: point at it rather than where libyaml gave up.
            line = doc.line0 + chunk.count("\n", 0, tpl.start()) + 1
            col = tpl.start() - (chunk.rfind("\n", 0, tpl.start()) + 1) + 1
            return InputError(
                name,
                line,
                f"Helm/Go template syntax, not YAML ({msg}): render it first: {RENDER_HINT}",
                col,
            )
        return InputError(name, line, f"invalid YAML: {msg}", col)
    except yaml.reader.ReaderError as exc:
        return reader_error(doc, exc)
    except yaml.YAMLError as exc:
        return InputError(name, doc.line0 + 1, f"invalid YAML: {' '.join(str(exc).split())}")
    except (RecursionError, MemoryError):
        return InputError(name, doc.line0 + 1, "document nests too deeply or is too large to parse")
    except Exception as exc:  # libyaml can raise plain errors (e.g. on odd encodings)
        return InputError(name, doc.line0 + 1, f"cannot parse: {type(exc).__name__}: {exc}")
    return None


# Fields some rule reads whose type the API server enforces (``replicas: "two"`` is rejected by it, and
# read as "unknown" by the rules): a wrong type is reported at its line. ``*`` is every list item.
_PROBES = ("startupProbe", "readinessProbe", "livenessProbe")
_PROBE_INTS = (
    "initialDelaySeconds",
    "periodSeconds",
    "failureThreshold",
    "successThreshold",
    "timeoutSeconds",
)
_POD_LISTS = ("containers", "initContainers", "volumes")
# in each container: (key, type)
_CONTAINER_FIELDS: tuple[tuple[str, type], ...] = (
    ("name", str),
    ("image", str),
    ("args", list),
    ("command", list),
    ("env", list),
    ("ports", list),
    ("volumeMounts", list),
    ("resources", dict),
)
_TEMPLATE_SPECS: dict[str, tuple[tuple[str, ...], ...]] = POD_SPECS  # the kinds: llmlint.kinds


class IntOrString:
    """Kubernetes ``IntOrString`` (``maxSurge: 1`` or ``"25%"``): an int32 or a string."""


_ROLLING = ("spec", "strategy", "rollingUpdate")
_OBJECT_FIELDS: dict[str, tuple[tuple[tuple[str, ...], type], ...]] = {
    "Deployment": (
        (("spec", "replicas"), int),
        ((*_ROLLING, "maxSurge"), IntOrString),
        ((*_ROLLING, "maxUnavailable"), IntOrString),
    ),
    "PodDisruptionBudget": (
        (("spec", "minAvailable"), IntOrString),
        (("spec", "maxUnavailable"), IntOrString),
    ),
    "StatefulSet": ((("spec", "replicas"), int),),
    "ReplicaSet": ((("spec", "replicas"), int),),
    "Job": ((("spec", "parallelism"), int),),
    "LeaderWorkerSet": ((("spec", "replicas"), int), (("spec", "leaderWorkerTemplate", "size"), int)),
    "InferenceService": ((("spec", "predictor", "minReplicas"), int),),
}
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1  # every integer field rules read is an int32
_TYPE_NAMES: dict[type, str] = {
    int: "an integer",
    list: "a list",
    dict: "a mapping",
    str: "a string",
    IntOrString: "an integer or a percentage such as '25%'",
}


_PERCENT = re.compile(r"[0-9]{1,10}%\Z")


def _describe(value: Any) -> str:
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {shown!r}"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        try:
            shown = repr(value)
        except ValueError:  # more digits than Python converts
            return "a number too long to show"
        return f"the number {shown}" if len(shown) <= 40 else f"a number of {len(shown)} digits"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


Bad = list[tuple[tuple[str | int, ...], Any, type]]


def _want(bad: Bad, at: tuple[str | int, ...], value: Any, want: type) -> None:
    """Note ``value`` at ``at`` unless it is a ``want`` (an int32 for ``int``; None is "not set")."""
    if value is None:
        return
    if want is IntOrString and isinstance(value, str):
        # the API server takes a string only as a percentage of digits ("25%"; IsValidPercent)
        if _PERCENT.match(value) and int(value[:-1]) <= INT32_MAX:
            return
        bad.append((at, value, want))
        return
    if want is int or want is IntOrString:
        if isinstance(value, int) and not isinstance(value, bool) and INT32_MIN <= value <= INT32_MAX:
            return
    elif isinstance(value, want):
        return
    bad.append((at, value, want))


def _pod_type_errors(spec: dict[str, Any], at: tuple[str | int, ...], bad: Bad) -> None:
    for key in _POD_LISTS:
        _want(bad, (*at, key), spec.get(key), list)
    volumes = spec.get("volumes")
    if isinstance(volumes, list):
        for i, v in enumerate(volumes):
            if isinstance(v, dict):
                _want(bad, (*at, "volumes", i, "name"), v.get("name"), str)
    for key in ("containers", "initContainers"):
        containers = spec.get(key)
        if not isinstance(containers, list):
            continue
        for i, c in enumerate(containers):
            if not isinstance(c, dict):
                continue
            here = (*at, key, i)
            for field_, want in _CONTAINER_FIELDS:
                _want(bad, (*here, field_), c.get(field_), want)
            ports = c.get("ports")
            if isinstance(ports, list):
                for j, p in enumerate(ports):
                    if isinstance(p, dict):
                        _want(bad, (*here, "ports", j, "containerPort"), p.get("containerPort"), int)
            mounts = c.get("volumeMounts")
            if isinstance(mounts, list):
                for j, m in enumerate(mounts):
                    if isinstance(m, dict):
                        _want(bad, (*here, "volumeMounts", j, "name"), m.get("name"), str)
                        _want(bad, (*here, "volumeMounts", j, "mountPath"), m.get("mountPath"), str)
            for probe in _PROBES:
                pr = c.get(probe)
                if isinstance(pr, dict):
                    for f in _PROBE_INTS:
                        _want(bad, (*here, probe, f), pr.get(f), int)


def _dig(data: Any, path: tuple[str, ...]) -> Any:
    for step in path:
        if not isinstance(data, dict):
            return None
        data = data.get(step)
    return data


def type_errors(doc: Document) -> list[InputError]:
    """Wrong types in the fields rules read, each at the line of its key."""
    data = doc.data
    if not isinstance(data, dict):
        return []
    items: list[tuple[tuple[str | int, ...], dict[str, Any]]] = []
    todo: list[tuple[tuple[str | int, ...], dict[str, Any]]] = [((), data)]
    while todo:  # a List's items, and the items of a List inside it
        at, obj = todo.pop()
        if obj.get("kind") == "List" and isinstance(obj.get("items"), list) and len(at) < 20:
            todo.extend(((*at, "items", i), o) for i, o in enumerate(obj["items"]) if isinstance(o, dict))
        else:
            items.append((at, obj))
    items.reverse()
    found: Bad = []
    for prefix, obj in items:
        kind = obj.get("kind")
        if not isinstance(kind, str):
            continue
        for path, want in _OBJECT_FIELDS.get(kind, ()):
            _want(found, (*prefix, *path), _dig(obj, path), want)
        for spec_path in _TEMPLATE_SPECS.get(kind, ()):
            spec = _dig(obj, spec_path)
            if isinstance(spec, dict):
                _pod_type_errors(spec, (*prefix, *spec_path), found)
    if not found:
        return []
    bad: list[tuple[tuple[str | int, ...], str]] = []
    for at, value, want in found:
        skip = 0  # the object's place in its document (``items.3``) is left out of messages
        while skip + 1 < len(at) and at[skip] == "items" and isinstance(at[skip + 1], int):
            skip += 2
        dotted = ".".join(str(p) for p in at[skip:])
        if want in (int, IntOrString) and isinstance(value, int) and not isinstance(value, bool):
            msg = f"{dotted} is {_describe(value)}, outside a 32-bit integer (the API server rejects it)"
        else:
            msg = f"{dotted} must be {_TYPE_NAMES[want]}, not {_describe(value)} (the API server rejects it)"
        bad.append((at, msg))
    if not bad:
        return []
    from llmlint.manifest.positions import locate  # positions imports this module

    out: list[InputError] = []
    for at, message in bad:
        loc = locate(doc, at)
        line, col = loc.line_col() if loc is not None else (doc.line0 + 1, None)
        out.append(InputError(doc.source.name, line, message, col))
    return out


class _JsonDuplicate(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _JsonDuplicate(k)
        out[k] = v
    return out


def _json_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON (the API server rejects it)")


def _json_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text} is not a number JSON can hold (the API server rejects it)")
    return value


_SURROGATE = re.compile(r"(?<!\\)(?:\\\\)*\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _lone_surrogate(name: str, text: str, data: Any) -> InputError | None:
    """A JSON ``\\ud800`` escape without its pair decodes to text that is not Unicode (YAML refuses it,
    UTF-8 cannot write it): an error at the escape's line, before any report tries to print it."""
    first = _SURROGATE.search(text)
    if first is None:
        return None
    stack = [data]
    bad = False
    while stack and not bad:
        v = stack.pop()
        if isinstance(v, str):
            bad = not _encodable(v)
        elif isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, dict):
            bad = not all(_encodable(k) for k in v)
            stack.extend(v.values())
    if not bad:
        return None
    for m in _SURROGATE.finditer(text):  # the first escape that is not half of a pair
        esc = m.group(0)[-6:]
        start = m.end() - 6
        high = esc[2].lower() in "89ab"
        after = text[m.end() : m.end() + 6]
        before = text[max(0, start - 6) : start]
        paired = (high and re.fullmatch(r"\\u[dD][c-fC-F][0-9a-fA-F]{2}", after) is not None) or (
            not high and re.fullmatch(r"\\u[dD][89abAB][0-9a-fA-F]{2}", before) is not None
        )
        if not paired:
            line = text.count("\n", 0, start) + 1
            col = start - (text.rfind("\n", 0, start) + 1) + 1
            msg = f"invalid JSON: {esc} is half of a UTF-16 pair (a lone surrogate), not text"
            return InputError(name, line, msg, col)
    return None


def _encodable(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _parse_json(source: SourceText) -> tuple[list[Document], list[InputError]]:
    doc = Document(source, 0, 0, len(source.text), 0, None, False, parsed=True)
    try:
        doc.data = json.loads(
            source.text,
            object_pairs_hook=_json_object,
            parse_constant=_json_constant,
            parse_float=_json_float,
        )
    except json.JSONDecodeError as exc:
        return [], [InputError(source.name, exc.lineno, f"invalid JSON: {exc.msg}", exc.colno)]
    except RecursionError:
        return [], [InputError(source.name, 1, "JSON nests too deeply to parse")]
    except ValueError as exc:  # a number of more than 4,300 digits (sys.get_int_max_str_digits)
        return [], [InputError(source.name, None, f"invalid JSON: {exc}")]
    except _JsonDuplicate as dup:
        # JSON is YAML: the YAML loader knows where the second key is.
        err = parse_document(Document(source, 0, 0, len(source.text), 0, None, False))
        line, col = (err.line, err.column) if err is not None else (None, None)
        msg = f"invalid JSON: duplicate key {dup.key!r}: {DUPLICATE_WHY}"
        return [], [InputError(source.name, line, msg, col)]
    if _may_be_deep(source.text) and _depth(doc.data, MAX_DEPTH) > MAX_DEPTH:
        return [], [InputError(source.name, 1, TOO_DEEP)]
    if "\\u" in source.text:
        lone = _lone_surrogate(source.name, source.text, doc.data)
        if lone is not None:
            return [], [lone]
    if isinstance(doc.data, dict):
        k = doc.data.get("kind")
        doc.kind_hint = k if isinstance(k, str) else None
    return [doc], []


def load(source: SourceText, *, prefilter: bool = True) -> Loaded:
    """Split and parse the documents of ``source`` that some rule reads."""
    if source.is_json:
        docs, errors = _parse_json(source)
        if not errors:
            wrong = [e for d in docs for e in type_errors(d)]
            return Loaded(source, [] if wrong else docs, wrong)
        # Not JSON after all (YAML flow style?): fall through to YAML.
        if not source.name.endswith(".json"):
            source.is_json = False
        else:
            return Loaded(source, [], errors)
    from llmlint.manifest.prefilter import CHECK, DEFER, SKIP, decide, syntax_error

    out: list[Document] = []
    deferred: list[Document] = []
    stray: list[Document] = []  # non-mapping documents: an error only in a file that holds objects
    has_objects = False
    errors = []
    for doc in iter_documents(source):
        if doc.index >= MAX_DOCUMENTS:
            msg = f"more than {MAX_DOCUMENTS:,} YAML documents in one file: the rest is not read"
            errors.append(InputError(source.name, doc.line0 + 1, msg))
            break
        if is_blank(doc):
            continue  # before the prefilter: "%YAML 1.1" alone before "---" is no document to check
        if prefilter:
            verdict = decide(doc)
            has_objects = has_objects or verdict != CHECK
            if verdict == SKIP:
                continue
            if verdict == CHECK:
                bad, not_mapping = syntax_error(doc)
                if bad is not None:
                    errors.append(bad)
                elif not_mapping:
                    stray.append(doc)
                continue
            if verdict == DEFER:
                deferred.append(doc)
                continue
        err = parse_document(doc)
        if err is not None:
            errors.append(err)
            continue
        if doc.data is None:
            continue  # an empty document (comments only)
        wrong = type_errors(doc)
        if wrong:  # the API server rejects the object: report where, and lint nothing in it
            errors.extend(wrong)
            continue
        out.append(doc)
    if has_objects:
        errors += [
            InputError(
                source.name, d.line0 + 1, "document is a list or scalar, not a Kubernetes object (a mapping)"
            )
            for d in stray
        ]
    return Loaded(source, out, errors, deferred)
