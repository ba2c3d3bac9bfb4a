"""Bytes → documents, fast.

A file is decoded once, split into YAML documents on ``---`` lines, and each document is parsed with
libyaml (PyYAML's C loader) only if some rule reads its kind: the kind is read off the document's
top-level ``kind:`` line without parsing, so multi-megabyte CRDs cost a regular-expression scan. Positions
are not built here: :mod:`llmlint.manifest.positions` composes a document only when a finding or a fix
needs a line.
"""

from __future__ import annotations

import errno
import json
import os
import re
from dataclasses import dataclass, field
from collections.abc import Iterator
from typing import Any

import yaml

from llmlint.model import InputError

# Kinds some rule reads. Everything else is skipped before parsing.
RELEVANT_KINDS = frozenset(
    {
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "ReplicaSet",
        "Job",
        "CronJob",
        "Pod",
        "LeaderWorkerSet",
        "InferenceService",
        "PersistentVolumeClaim",
        "PodDisruptionBudget",
        "ConfigMap",
        "Secret",
        "Service",
        "HorizontalPodAutoscaler",
        "NetworkPolicy",
        "List",
    }
)

MAX_DOCUMENT_BYTES = 8 * 1024 * 1024  # etcd keeps at most 1.5 MiB per object
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_ALIAS_EXPANSION = 200_000
MAX_DOCUMENTS = 100_000  # per file

_DOC_SPLIT = re.compile(r"^---(?=[ \t]|\r?$)", re.MULTILINE)
_KIND_LINE = re.compile(r"^kind:[ \t]*(.*?)[ \t]*\r?$", re.MULTILINE)
_SIMPLE_KIND = re.compile(
    r"""^(?:"([A-Za-z][\w.-]*)"|'([A-Za-z][\w.-]*)'|([A-Za-z][\w.-]*))[ \t]*(?:#.*)?$"""
)
_ANCHOR = re.compile(r"(?:^|[\s\[{,:-])&[^\s\[\]{},]+")
_CONTENT = re.compile(r"^[ \t]*[^\s#]", re.MULTILINE)
_TEMPLATE = re.compile(r"\{\{-?\s*[.$\w(\"'/]")


@dataclass(slots=True)
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


@dataclass(slots=True, eq=False)
class Document:
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


@dataclass(slots=True)
class Loaded:
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
                        raise DuplicateKeyError(
                            None,
                            None,
                            f"duplicate key {key_node.value!r}: {DUPLICATE_WHY}",
                            key_node.start_mark,
                        )
                    seen.add(key)
        return super().construct_mapping(node, deep)


# YAML 1.1 timestamps are not a Kubernetes type: keep them as the strings the API server would see.
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_str)  # type: ignore[type-var]


def _newline_of(text: str) -> str:
    i = text.find("\n")
    return "\r\n" if i > 0 and text[i - 1] == "\r" else "\n"


def decode(name: str, raw: bytes, path: str | None = None) -> SourceText | InputError:
    if b"\x00" in raw[:8192] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return InputError(name, None, "binary file, not a YAML or JSON manifest")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return InputError(name, None, "UTF-16 encoded: Kubernetes manifests are UTF-8 (convert the file)")
    bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        text = raw[3:].decode("utf-8") if bom else raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return InputError(name, line, f"invalid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})")
    is_json = name.endswith(".json") or text.lstrip().startswith(("{", "["))
    return SourceText(
        name=name, path=path, text=text, bom=bom, newline=_newline_of(text), is_json=is_json, raw=raw
    )


def read_file(path: str, name: str) -> SourceText | InputError:
    """Read and decode one file, at most :data:`MAX_FILE_BYTES` of it (``x.yaml -> /dev/zero`` ends).

    Directory walks never hand over devices or FIFOs (:mod:`llmlint.sources.files`); a path named on
    the command line may be one (``llmlint scan <(helm template .)``).
    """
    try:
        with open(path, "rb") as fh:
            mode = os.fstat(fh.fileno()).st_mode
            raw = fh.read(MAX_FILE_BYTES + 1)
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


def document_starts(text: str) -> Iterator[int]:
    """Offsets where documents start: 0, and every ``---`` that begins a line (then a blank or the end)."""
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


def split_documents(source: SourceText) -> list[Document]:
    return list(iter_documents(source))


_KEYED = re.compile(r":(?:[ \t]|$)")


def _not_an_object(doc: Document, source: SourceText) -> bool:
    """A list or a scalar where a manifest file should hold a mapping (``- a``, ``42``, ``just text``).

    The prefilter would skip it (it has no ``kind``), but in a file of Kubernetes objects it is an error
    that kubectl reports too, so it is parsed and reported. Files with no object at all (an Ansible
    playbook, a list of hosts) are not manifests and stay unreported.
    """
    chunk = doc.text
    body = chunk[3:] if chunk.startswith("---") else chunk
    m = _CONTENT.search(body)
    if m is None:
        return False
    eol = body.find("\n", m.start())
    first = body[m.start() : eol if eol != -1 else len(body)].strip()
    if first.startswith(("{", "?", "&", "!", "*", "%", "|", ">", "'", '"')):
        return False  # flow mappings, complex keys, anchors, tags, directives, block scalars: let them be
    if not (first == "-" or first.startswith(("- ", "-\t", "[")) or _KEYED.search(first) is None):
        return False
    return _KIND_LINE.search(source.text) is not None


def is_blank(doc: Document) -> bool:
    """Only a ``---`` line, blank lines and comments: nothing to parse."""
    chunk = doc.text
    body = chunk[3:] if chunk.startswith("---") else chunk
    return _CONTENT.search(body) is None


def _alias_expansion(node: yaml.Node, limit: int) -> int:
    """Count nodes as if every alias were copied out; stops counting past ``limit``."""
    memo: dict[int, int] = {}
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
            memo[id(n)] = min(limit + 1, 1 + sum(memo[id(c)] for c in children))
        else:
            stack.append((n, True))
            stack.extend((c, False) for c in children if id(c) not in memo)
    return memo[id(node)]


def _mark_line(doc: Document, exc: yaml.MarkedYAMLError) -> tuple[int | None, int | None]:
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return doc.line0 + 1, None
    return doc.line0 + mark.line + 1, mark.column + 1


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
        anchor = _ANCHOR.search(chunk)
        if anchor is not None:
            root = yaml.compose(chunk, Loader=_Loader)
            if root is not None and _alias_expansion(root, MAX_ALIAS_EXPANSION) > MAX_ALIAS_EXPANSION:
                return InputError(
                    name,
                    doc.line0 + chunk.count("\n", 0, anchor.start()) + 1 + (chunk[anchor.start()] == "\n"),
                    f"YAML aliases expand to more than {MAX_ALIAS_EXPANSION:,} nodes (alias bomb?)",
                )
        doc.data = yaml.load(chunk, Loader=_Loader)
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
    except yaml.YAMLError as exc:
        return InputError(name, doc.line0 + 1, f"invalid YAML: {exc}")
    except (RecursionError, MemoryError):
        return InputError(name, doc.line0 + 1, "document nests too deeply or is too large to parse")
    except Exception as exc:  # libyaml can raise plain errors (e.g. on odd encodings)
        return InputError(name, doc.line0 + 1, f"cannot parse: {type(exc).__name__}: {exc}")
    return None


# Fields some rule reads whose type the API server enforces (``replicas: "two"`` is rejected by it, and
# read as "unknown" by the rules): a wrong type is reported at its line. ``*`` is every list item.
_POD = ("containers", "*")
_PROBE_INTS = (
    "initialDelaySeconds",
    "periodSeconds",
    "failureThreshold",
    "successThreshold",
    "timeoutSeconds",
)
_POD_FIELDS: tuple[tuple[tuple[str, ...], type], ...] = (
    (("containers",), list),
    (("initContainers",), list),
    (("volumes",), list),
    (("containers", "*", "args"), list),
    (("containers", "*", "command"), list),
    (("containers", "*", "env"), list),
    (("containers", "*", "ports"), list),
    (("containers", "*", "volumeMounts"), list),
    (("containers", "*", "resources"), dict),
    *(
        ((*_POD, probe, f), int)
        for probe in ("startupProbe", "readinessProbe", "livenessProbe")
        for f in _PROBE_INTS
    ),
)
_TEMPLATE_SPECS: dict[str, tuple[tuple[str, ...], ...]] = {
    "Deployment": (("spec", "template", "spec"),),
    "StatefulSet": (("spec", "template", "spec"),),
    "ReplicaSet": (("spec", "template", "spec"),),
    "DaemonSet": (("spec", "template", "spec"),),
    "Job": (("spec", "template", "spec"),),
    "CronJob": (("spec", "jobTemplate", "spec", "template", "spec"),),
    "Pod": (("spec",),),
    "LeaderWorkerSet": (
        ("spec", "leaderWorkerTemplate", "leaderTemplate", "spec"),
        ("spec", "leaderWorkerTemplate", "workerTemplate", "spec"),
    ),
}
_OBJECT_FIELDS: dict[str, tuple[tuple[tuple[str, ...], type], ...]] = {
    "Deployment": ((("spec", "replicas"), int),),
    "StatefulSet": ((("spec", "replicas"), int),),
    "ReplicaSet": ((("spec", "replicas"), int),),
    "Job": ((("spec", "parallelism"), int),),
    "LeaderWorkerSet": ((("spec", "replicas"), int), (("spec", "leaderWorkerTemplate", "size"), int)),
    "InferenceService": ((("spec", "predictor", "minReplicas"), int),),
}
_TYPE_NAMES = {int: "an integer", list: "a list", dict: "a mapping"}


def _values_at(
    data: Any, path: tuple[str, ...], prefix: tuple[str | int, ...] = ()
) -> list[tuple[tuple[str | int, ...], Any]]:
    """(concrete path, value) of every existing ``path`` in ``data``, ``*`` ranging over list items."""
    found: list[tuple[tuple[str | int, ...], Any]] = []
    stack: list[tuple[Any, int, tuple[str | int, ...]]] = [(data, 0, prefix)]
    while stack:
        node, i, at = stack.pop()
        if i == len(path):
            found.append((at, node))
            continue
        step = path[i]
        if step == "*":
            if isinstance(node, list):
                stack.extend((v, i + 1, (*at, j)) for j, v in enumerate(node))
        elif isinstance(node, dict) and step in node and node[step] is not None:
            stack.append((node[step], i + 1, (*at, step)))
    return found


def _describe(value: Any) -> str:
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {shown!r}"
    return {bool: "a boolean", float: "a number", list: "a list", dict: "a mapping"}.get(
        type(value), type(value).__name__
    )


def type_errors(doc: Document) -> list[InputError]:
    """Wrong types in the fields rules read, each at the line of its key."""
    data = doc.data
    if not isinstance(data, dict):
        return []
    items: list[tuple[tuple[str | int, ...], dict[str, Any]]] = [((), data)]
    if data.get("kind") == "List" and isinstance(data.get("items"), list):
        items = [(("items", i), o) for i, o in enumerate(data["items"]) if isinstance(o, dict)]
    bad: list[tuple[tuple[str | int, ...], str]] = []
    for prefix, obj in items:
        kind = obj.get("kind")
        if not isinstance(kind, str):
            continue
        checks = [(p, t, prefix) for p, t in _OBJECT_FIELDS.get(kind, ())]
        for spec_path in _TEMPLATE_SPECS.get(kind, ()):
            for at, spec in _values_at(obj, spec_path, prefix):
                if isinstance(spec, dict):
                    checks += [(p, t, at) for p, t in _POD_FIELDS]
        for path, want, base in checks:
            node: Any = obj
            rel = base[len(prefix) :]
            for step in rel:
                node = node[step]
            for at, value in _values_at(node, path, base):
                ok = isinstance(value, want) and not (want is int and isinstance(value, bool))
                if not ok:
                    dotted = ".".join(str(p) for p in at[len(prefix) :])
                    bad.append(
                        (
                            at,
                            f"{dotted} must be {_TYPE_NAMES[want]}, not {_describe(value)}"
                            " (the API server rejects it)",
                        )
                    )
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


def _parse_json(source: SourceText) -> tuple[list[Document], list[InputError]]:
    doc = Document(source, 0, 0, len(source.text), 0, None, False, parsed=True)
    try:
        doc.data = json.loads(source.text, object_pairs_hook=_json_object)
    except json.JSONDecodeError as exc:
        return [], [InputError(source.name, exc.lineno, f"invalid JSON: {exc.msg}", exc.colno)]
    except RecursionError:
        return [], [InputError(source.name, 1, "JSON nests too deeply to parse")]
    except _JsonDuplicate as dup:
        # JSON is YAML: the YAML loader knows where the second key is.
        err = parse_document(Document(source, 0, 0, len(source.text), 0, None, False))
        line, col = (err.line, err.column) if err is not None else (None, None)
        msg = f"invalid JSON: duplicate key {dup.key!r}: {DUPLICATE_WHY}"
        return [], [InputError(source.name, line, msg, col)]
    if isinstance(doc.data, dict):
        k = doc.data.get("kind")
        doc.kind_hint = k if isinstance(k, str) else None
    return [doc], []


def load(source: SourceText, *, prefilter: bool = True) -> Loaded:
    """Split and parse the documents of ``source`` that some rule reads."""
    if source.is_json:
        docs, errors = _parse_json(source)
        if not errors:
            return Loaded(source, docs, [e for d in docs for e in type_errors(d)])
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
        if prefilter and not _not_an_object(doc, source):
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
        if is_blank(doc):
            continue
        err = parse_document(doc)
        if err is not None:
            errors.append(err)
            continue
        if doc.data is None:
            continue  # an empty document (comments only)
        errors.extend(type_errors(doc))
        out.append(doc)
    if has_objects:
        errors += [
            InputError(source.name, d.line0 + 1, "document is a list or scalar, not a Kubernetes object (a mapping)")
            for d in stray
        ]
    return Loaded(source, out, errors, deferred)
