"""Bytes → documents, fast.

A file is decoded once, split into YAML documents on ``---`` lines, and each document is parsed with
libyaml (PyYAML's C loader) only if some rule reads its kind: the kind is read off the document's
top-level ``kind:`` line without parsing, so multi-megabyte CRDs cost a regular-expression scan. Positions
are not built here: :mod:`llmlint.manifest.positions` composes a document only when a finding or a fix
needs a line.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
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

MAX_DOCUMENT_BYTES = 32 * 1024 * 1024
MAX_ALIAS_EXPANSION = 200_000

_DOC_SPLIT = re.compile(r"^---(?=[ \t]|\r?$)", re.MULTILINE)
_KIND_LINE = re.compile(r"^kind:[ \t]*(.*?)[ \t]*\r?$", re.MULTILINE)
_SIMPLE_KIND = re.compile(r"""^(?:"([A-Za-z][\w.-]*)"|'([A-Za-z][\w.-]*)'|([A-Za-z][\w.-]*))[ \t]*(?:#.*)?$""")
_ANCHOR = re.compile(r"(?:^|[\s\[{,:-])&[^\s\[\]{},]+")
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


class DuplicateKeyError(yaml.MarkedYAMLError):
    pass


class _Loader(yaml.CSafeLoader):
    """libyaml parser with a constructor that rejects duplicate keys (decoders disagree on the winner)."""

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: set[tuple[str, str]] = set()
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                    key = (key_node.tag, key_node.value)
                    if key in seen:
                        raise DuplicateKeyError(
                            None,
                            None,
                            f"duplicate key {key_node.value!r}: Kubernetes decoders disagree on which value wins",
                            key_node.start_mark,
                        )
                    seen.add(key)
        return super().construct_mapping(node, deep)  # type: ignore[no-any-return]


# YAML 1.1 timestamps are not a Kubernetes type: keep them as the strings the API server would see.
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_str)


def _newline_of(text: str) -> str:
    i = text.find("\n")
    return "\r\n" if i > 0 and text[i - 1] == "\r" else "\n"


def decode(name: str, raw: bytes, path: str | None = None) -> SourceText | InputError:
    if b"\x00" in raw[:8192] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return InputError(name, None, "binary file, not a YAML or JSON manifest")
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
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
        mode = os.stat(path).st_mode
    except OSError as exc:
        return InputError(name, None, f"cannot read: {exc.strerror or exc}")
    src = decode(name, raw, path)
    if isinstance(src, SourceText):
        src.mode = mode
    return src


def kind_hint(chunk: str) -> tuple[str | None, bool]:
    """The document's kind from its top-level ``kind:`` line, and whether that reading is certain."""
    found = _KIND_LINE.findall(chunk)
    if len(found) != 1:
        return None, False
    m = _SIMPLE_KIND.match(found[0])
    if not m:
        return None, False
    return m.group(1) or m.group(2) or m.group(3), True


def split_documents(source: SourceText) -> list[Document]:
    text = source.text
    starts = [0] + [m.start() for m in _DOC_SPLIT.finditer(text) if m.start() != 0]
    docs: list[Document] = []
    line = 0
    prev = 0
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        line += text.count("\n", prev, start)
        prev = start
        chunk = text[start:end]
        hint, certain = kind_hint(chunk)
        docs.append(Document(source, i, start, end, line, hint, certain))
    return docs


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
            name, doc.line0 + 1, f"document of {len(chunk) // 1048576} MB is over the {MAX_DOCUMENT_BYTES // 1048576} MB limit"
        )
    try:
        if _ANCHOR.search(chunk):
            root = yaml.compose(chunk, Loader=_Loader)  # noqa: S506 - a safe loader
            if root is not None and _alias_expansion(root, MAX_ALIAS_EXPANSION) > MAX_ALIAS_EXPANSION:
                return InputError(
                    name, doc.line0 + 1, f"YAML aliases expand to more than {MAX_ALIAS_EXPANSION:,} nodes (alias bomb?)"
                )
        doc.data = yaml.load(chunk, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as exc:
        line, col = _mark_line(doc, exc)
        msg = exc.problem or exc.context or "invalid YAML"
        if _TEMPLATE.search(chunk):
            msg = f"{msg} (a Helm/Go template? render it first: helm template … | llmlint scan -)"
        return InputError(name, line, f"invalid YAML: {msg}", col)
    except yaml.YAMLError as exc:
        return InputError(name, doc.line0 + 1, f"invalid YAML: {exc}")
    except (RecursionError, MemoryError):
        return InputError(name, doc.line0 + 1, "document nests too deeply or is too large to parse")
    except Exception as exc:  # libyaml can raise plain errors (e.g. on odd encodings)
        return InputError(name, doc.line0 + 1, f"cannot parse: {type(exc).__name__}: {exc}")
    return None


def _parse_json(source: SourceText) -> tuple[list[Document], list[InputError]]:
    doc = Document(source, 0, 0, len(source.text), 0, None, False, parsed=True)
    try:
        doc.data = json.loads(source.text)
    except json.JSONDecodeError as exc:
        return [], [InputError(source.name, exc.lineno, f"invalid JSON: {exc.msg}", exc.colno)]
    except RecursionError:
        return [], [InputError(source.name, 1, "JSON nests too deeply to parse")]
    if isinstance(doc.data, dict):
        k = doc.data.get("kind")
        doc.kind_hint = k if isinstance(k, str) else None
    return [doc], []


def load(source: SourceText, *, prefilter: bool = True) -> Loaded:
    """Split and parse the documents of ``source`` that some rule reads."""
    if source.is_json:
        docs, errors = _parse_json(source)
        if not errors:
            return Loaded(source, docs, errors)
        # Not JSON after all (YAML flow style?): fall through to YAML.
        if not source.name.endswith(".json"):
            source.is_json = False
        else:
            return Loaded(source, [], errors)
    out: list[Document] = []
    errors = []
    for doc in split_documents(source):
        if prefilter and doc.kind_certain and doc.kind_hint not in RELEVANT_KINDS:
            continue
        err = parse_document(doc)
        if err is not None:
            errors.append(err)
            continue
        if doc.data is None:
            continue  # an empty document (comments only)
        out.append(doc)
    return Loaded(source, out, errors)
