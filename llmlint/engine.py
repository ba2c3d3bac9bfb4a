"""The scan pipeline: sources → documents → graph → checks → findings (positioned, suppressed, ranked)."""

from __future__ import annotations

import bisect
import os
import re
import sys
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from llmlint import catalog
from llmlint.cache import FileIndex, code_stamp, file_key
from llmlint.checks import Context, load_all
from llmlint.graph.index import Graph, add_documents, build, configmap_references
from llmlint.graph.objects import K8sObject, Merge
from llmlint.kinds import CONTEXT_KINDS, SERVING_RUNTIMES, WORKLOAD_KINDS
from llmlint.manifest.loader import (
    MAX_FILE_BYTES,
    Document,
    Loaded,
    SourceText,
    decode,
    document_starts,
    iter_documents,
    load,
    parse_document,
    read_file,
    type_errors,
)
from llmlint.manifest.positions import line_col_of, locate, substring_offset
from llmlint.model import SEVERITY_RANK, Finding, InputError, Path
from llmlint.sources.files import SKIP_DIRS, ChartRef, FileRef, discover, discover_stat

IGNORE_ANNOTATION = "llmlint.io/ignore"
_IGNORE_COMMENT = re.compile(r"#\s*llmlint:\s*ignore\[([A-Za-z0-9_,\s-]*)\]")


@dataclass
class Settings:
    """What to run and how to judge it: from the configuration file and the command line."""

    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)
    exclude: list[str] = field(default_factory=list)
    fail_on: str = "warning"
    params: dict[str, Any] = field(default_factory=dict)
    prefilter: bool = True

    def enabled(self, rule_id: str) -> bool:
        """Is the rule run? ``select``/``ignore`` entries are IDs, rule names, ID prefixes or ``ALL``.
        Without ``select`` the default set runs (rules whose catalog entry says ``default: true``); an
        opt-in rule (``default: false``) runs only when ``select`` names it (ID or name) or says ``ALL``."""
        if any(catalog.matches(p, rule_id) for p in self.ignore):
            return False
        meta = catalog.rules().get(rule_id)
        default = meta.enabled_by_default if meta is not None else True
        if self.select is None:
            return default
        if default:
            return any(catalog.matches(p, rule_id) for p in self.select)
        return any(catalog.names_exactly(p, rule_id) for p in self.select)


@dataclass(eq=False)
class ScanResult:
    """Findings and errors of one scan, with the loaded sources and the graph they came from."""

    findings: list[Finding]
    errors: list[InputError]
    loaded: list[Loaded]
    graph: Graph
    files: int = 0
    # Not errors, but probably mistakes: a suppression naming no rule (file and line, as ruff's RUF100).
    warnings: list[InputError] = field(default_factory=list)

    @property
    def objects(self) -> int:
        return sum(1 for o in self.graph.objects if not o.context)  # context objects are not scanned

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if not f.suppressed]

    @property
    def suppressed(self) -> int:
        return sum(1 for f in self.findings if f.suppressed)

    def failing(self, fail_on: str) -> bool:
        floor = SEVERITY_RANK[fail_on]
        return any(SEVERITY_RANK[f.severity] >= floor for f in self.active)

    def sources(self) -> dict[str, SourceText]:
        return {ld.source.name: ld.source for ld in self.loaded}

    def documents(self) -> dict[str, dict[int, Document]]:
        return {ld.source.name: {d.index: d for d in ld.documents} for ld in self.loaded}


def read_inputs(
    paths: list[str], settings: Settings, stdin: bytes | None = None, *, context: bool = True
) -> tuple[list[Loaded], list[InputError], int]:
    """Read and parse every input; errors name the file (and line) and never stop the others.

    With ``context`` (the default), when PATHs name files (a pre-commit run), the other manifests of
    their repositories are read as context (:func:`read_context`)."""
    loaded: list[Loaded] = []
    errors: list[InputError] = []
    files = 0
    cwd = os.getcwd()
    charts: set[str] = set()
    named: set[tuple[int, int]] = set()
    for item in discover([p for p in paths if p != "-"], settings.exclude, cwd):
        if isinstance(item, InputError):
            errors.append(item)
            continue
        if isinstance(item, ChartRef):  # helm: a chart is rendered (llmlint.helm), once
            if os.path.realpath(item.path) not in charts:
                charts.add(os.path.realpath(item.path))
                from llmlint.helm.chart import read_chart

                chart_loaded, chart_errors, chart_files = read_chart(item.path, item.name, settings.prefilter)
                files += chart_files
                loaded.extend(chart_loaded)
                errors.extend(chart_errors)
            continue
        files += 1
        key = _file_key(item.path)
        if key is not None:
            named.add(key)
        loaded_one = load_file(item, settings)
        if isinstance(loaded_one, InputError):
            errors.append(loaded_one)
            continue
        loaded.append(loaded_one)
        errors.extend(loaded_one.errors)
    if charts:  # helm: a --values file that was also walked is its chart's values source, not a manifest
        values = {ld.source.name for ld in loaded if not getattr(ld, "manifest", True)}
        plain = [ld for ld in loaded if ld.source.name in values and getattr(ld, "chart", None) is None]
        loaded = [ld for ld in loaded if not any(ld is p for p in plain)]
        files -= len(plain)
    if "-" in paths:
        files += 1
        raw = stdin if stdin is not None else sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        src = decode("-", raw)
        if isinstance(src, InputError):
            errors.append(src)
        else:
            ld = load(src, prefilter=settings.prefilter)
            loaded.append(ld)
            errors.extend(ld.errors)
    if context:
        given = [p for p in paths if p != "-" and os.path.isfile(p)]
        if given:
            loaded.extend(read_context(given, named, settings, cwd, loaded))
            loaded.extend(_kustomization_context(given, named, loaded))
    return loaded, errors, files


# substrings one of which a file holding a context kind contains ("ServingRuntime" also finds the cluster one)
_CONTEXT_NEEDLES = tuple(k for k in sorted(CONTEXT_KINDS) if k != "ClusterServingRuntime")
MAX_CONTEXT_FILES = 20_000  # files walked for context at most (a pre-commit run must stay quick)

# kustomize: a tree with a kustomization is analysed as it renders (llmlint.graph.kustomize, loaded only then)
KUSTOMIZATION_FILES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})


def _kustomized(loaded: list[Loaded]) -> bool:
    return any(os.path.basename(ld.source.path or "") in KUSTOMIZATION_FILES for ld in loaded)


def _kustomization_context(
    given: list[str], named: set[tuple[int, int]], loaded: list[Loaded]
) -> list[Loaded]:
    """The kustomization files of the named files' repositories (when a named file holds a workload: a
    patch, or a base that overlays patch), as context sources without documents."""
    if not any(str(d.kind_hint) in WORKLOAD_KINDS for ld in loaded for d in (*ld.documents, *ld.deferred)):
        return []
    out: list[Loaded] = []
    for root in sorted({context_root(p) for p in given}):
        for top, dirs, names in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            for n in names:
                path = os.path.join(top, n)
                if n in KUSTOMIZATION_FILES and _file_key(path) not in named:
                    src = read_file(path, path)
                    if not isinstance(src, InputError):
                        out.append(ContextLoaded(src, [], []))
    return out


class ContextLoaded(Loaded):
    """A source read only as context: its objects are facts for the rules, never reported or fixed."""


def _file_key(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def context_root(path: str) -> str:
    """The repository of a named file (nearest ``.git`` upward), else the file's directory."""
    from llmlint.sources.gitignore import repo_root

    d = os.path.dirname(os.path.abspath(path))
    return repo_root(d) or d


def read_context(
    given: list[str], named: set[tuple[int, int]], settings: Settings, cwd: str, loaded: list[Loaded]
) -> list[Loaded]:
    """The manifests of the named files' repositories that were not named, as context: only documents of
    the kinds rules read as facts (a PDB, NetworkPolicy, PVC, HPA, ServingRuntime, ConfigMap) that name
    something of the named workloads (a label value, a claim, a ConfigMap, a runtime), and only when the
    named files hold a workload. Their errors are dropped (not the user's concern in this run).

    What each file holds of the context kinds is kept between runs (:class:`llmlint.cache.FileIndex`,
    by size, times and inode): a file that holds none is not read again until it changes."""
    docs = [d.data for ld in loaded for d in ld.documents if isinstance(d.data, dict)]
    if not any(str(d.get("kind")) in WORKLOAD_KINDS or d.get("kind") == "List" for d in docs):
        return []  # nothing named that a fact of another file could change
    needles = Needles(_needles(docs))
    if not needles:
        return []
    roots = sorted({context_root(p) for p in given})
    index = FileIndex("context", "\0".join(roots), _context_stamp())
    out: list[Loaded] = []
    # discover() yields each file once; a named file (or a link to one) must not come back as context
    for n, (item, st) in enumerate(discover_stat(roots, settings.exclude, cwd)):
        if n >= MAX_CONTEXT_FILES:
            break  # a monorepo: context is what was read so far (it only ever adds facts)
        if not isinstance(item, FileRef) or st is None or (st.st_dev, st.st_ino) in named:
            continue  # (a chart is rendered only when named; an error is not this run's concern)
        key = file_key(st)
        value = index.get(item.path, key)
        if value == 0:
            continue  # holds no context document (and has not changed since it was read)
        raw = _read_raw(item.path, st.st_size)
        if raw is None:
            continue
        if value is None or len(raw) != st.st_size:  # (not known, or changed since the walk)
            value = _context_value(item.name, raw)
            if len(raw) == st.st_size:
                index.put(item.path, key, value)
            if value == 0:
                continue
        if isinstance(value, tuple) and not needles.in_ranges(raw, value):
            continue  # no context document of this file names any of the needles
        src = decode(item.name, raw, item.path)
        if isinstance(src, InputError):
            continue
        src.mode = st.st_mode
        ctx = _context_documents(src, needles)
        if ctx is not None:
            out.append(ctx)
    index.save()
    return out


@cache
def _context_stamp() -> str:
    """The code whose reading the context index records: another version's index is not used."""
    from llmlint import kinds
    from llmlint.manifest import loader

    return code_stamp([__file__, loader.__file__, kinds.__file__]) + ";" + ",".join(sorted(CONTEXT_KINDS))


def _read_raw(path: str, size: int) -> bytes | None:
    """A walked file's bytes (its size known from the walk: one read), or ``None`` when it cannot be read
    or is over :data:`MAX_FILE_BYTES` (:func:`read_file` would report it; context drops errors)."""
    if size > MAX_FILE_BYTES:
        return None
    flags = (
        os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    )
    try:
        fd = os.open(path, flags)  # (non-blocking: a file swapped for a FIFO since the walk never blocks)
    except OSError:
        return None
    try:
        raw = os.read(fd, size + 1)
        if len(raw) > size:  # it grew since the walk: read it whole, as read_file does
            raw += os.read(fd, MAX_FILE_BYTES + 1 - len(raw))
    except OSError:
        return None
    finally:
        os.close(fd)
    return raw if len(raw) <= MAX_FILE_BYTES else None


# A YAML document of a context kind has a top-level ``kind:`` line naming it (what kind_hint reads as
# certain); the line may open the file (then the check below falls back to the plain names).
_CONTEXT_KIND_LINE = re.compile(
    rb"\nkind:[ \t\r]+[\"']?(" + b"|".join(k.encode() for k in sorted(CONTEXT_KINDS)) + rb")"
)
_NEEDLE_BYTES = tuple(k.encode() for k in _CONTEXT_NEEDLES)
_ASCII_SPACE = b" \t\n\r\x0b\x0c"


def _context_value(name: str, raw: bytes) -> int | tuple[int, ...]:
    """What a file holds of the context kinds, whatever the named files: 0, nothing (no document of a
    context kind, or not a readable manifest); 1, read it (JSON, a NetworkPolicy, a file not in ASCII);
    else the byte ranges (start, end, start, end, …) of the documents that may be of a context kind (each
    with a ``kind:`` line naming one), one of which must name a needle for the file to be read."""
    head = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    first = head.lstrip(_ASCII_SPACE)[:1]
    if (
        name.endswith(".json")
        or not first
        or first in b"{["
        or not (0x20 <= first[0] < 0x7F)  # (JSON, or a file decode may take for JSON)
        or (b"\n" not in raw and b"\r" in raw)  # (classic Mac line ends)
        or head.startswith(b"kind:")
    ):
        return (
            1 if any(k in raw for k in _NEEDLE_BYTES) and not isinstance(decode(name, raw), InputError) else 0
        )
    hits = list(_CONTEXT_KIND_LINE.finditer(raw))
    if not hits:
        return 0
    if not raw.isascii():  # (offsets in characters are not those in bytes; a BOM is not ASCII)
        return 0 if isinstance(decode(name, raw), InputError) else 1
    if b"\x00" in raw[:8192]:
        return 0  # a binary file (decode says so)
    if any(m.group(1) == b"NetworkPolicy" for m in hits):
        return 1  # (a policy may select every pod: read whatever the needles)
    text = raw.decode("ascii")  # (what decode makes of it: not JSON, nor CR line ends, as tested above)
    starts = list(document_starts(text))
    ranges: list[int] = []
    for m in hits:
        i = bisect.bisect_right(starts, m.start() + 1) - 1  # the document holding the ``kind:`` line
        start, end = starts[i], starts[i + 1] if i + 1 < len(starts) else len(text)
        if not ranges or ranges[-2] != start:
            ranges += (start, end)
    return tuple(ranges)


_WORD_S = re.compile(r"[A-Za-z0-9_.\-]+")
_WORD_B = re.compile(rb"[A-Za-z0-9_.\-]+")


class Needles:
    """What a context document must name to bear on the named objects, matched in time linear in the text
    (not text × needles: a pre-commit run may name a file of thousands of workloads). A needle made of the
    characters of label values and object names is looked up among the text's words; any other is
    searched for as a substring."""

    def __init__(self, needles: set[str]) -> None:
        self.words = frozenset(n for n in needles if _WORD_S.fullmatch(n))
        self.odd = tuple(n for n in needles if n not in self.words)
        self.bwords = frozenset(w.encode("ascii") for w in self.words)
        self.bodd: tuple[bytes, ...] | None = None
        if not any(c in n for n in self.odd for c in "\r\n\ufeff"):
            self.bodd = tuple(n.encode("utf-8") for n in self.odd)

    def __bool__(self) -> bool:
        return bool(self.words or self.odd)

    def in_text(self, text: str) -> bool:
        if any(n in text for n in self.odd):
            return True
        words = self.words
        return any(m.group() in words for m in _WORD_S.finditer(text))

    def in_ranges(self, raw: bytes, ranges: tuple[int, ...]) -> bool:
        """Does one of the ranges of ``raw`` (pairs of offsets) hold a needle? Yes when the needles cannot
        be matched on bytes, or for ranges that are not pairs of ints (an index entry spoilt on disk only
        means the file is read)."""
        if self.bodd is None:
            return True
        try:
            for i in range(0, len(ranges), 2):
                start, end = ranges[i], ranges[i + 1]
                if any(raw.find(b, start, end) != -1 for b in self.bodd):
                    return True
                if any(m.group() in self.bwords for m in _WORD_B.finditer(raw, start, end)):
                    return True
        except (TypeError, IndexError, ValueError, OverflowError):
            return True
        return False


_NAMES = frozenset({"labels", "matchLabels"})
_REFS = frozenset({"configMapRef", "configMapKeyRef", "configMap", "persistentVolumeClaim"})


def _needles(docs: list[Any]) -> set[str]:
    """Words a context object must contain to bear on the named objects: their label values (a PDB's,
    NetworkPolicy's selector), the claims and ConfigMaps they mount or read, the runtimes they name."""
    out: set[str] = set()
    stack: list[Any] = list(docs)
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for k, v in node.items():
                if k in _NAMES and isinstance(v, dict):
                    out.update(x for x in v.values() if isinstance(x, str) and x)
                elif k in _REFS and isinstance(v, dict):
                    n = v.get("name", v.get("claimName"))
                    if isinstance(n, str) and n:
                        out.add(n)
                elif k == "runtime" and isinstance(v, str) and v:
                    out.add(v)
                elif k == "modelFormat" and isinstance(v, dict) and isinstance(v.get("name"), str):
                    out.add(v["name"])
                if isinstance(v, dict | list):
                    stack.append(v)
        elif isinstance(node, list):
            stack.extend(x for x in node if isinstance(x, dict | list))
    return out


def _context_documents(src: SourceText, needles: Needles) -> ContextLoaded | None:
    """A context file's documents of the context kinds that name one of ``needles``, told by their
    ``kind:`` line without parsing: ServingRuntimes are parsed now (an InferenceService's runtime), the
    rest is deferred as the prefilter defers them."""
    if src.is_json:
        ld = load(src)
        keep = [d for d in ld.documents if _context_kind(d) and needles.in_text(d.text)]
        return ContextLoaded(src, keep, []) if keep else None
    keep, deferred = [], []
    for d in iter_documents(src):
        if not d.kind_certain or d.kind_hint not in CONTEXT_KINDS:
            continue
        text = d.text
        if d.kind_hint != "NetworkPolicy" and not needles.in_text(text):
            continue  # (a policy may select every pod: ``podSelector: {}``)
        if d.kind_hint in SERVING_RUNTIMES:
            if parse_document(d) is None and isinstance(d.data, dict) and not type_errors(d):
                keep.append(d)
        else:
            deferred.append(d)
    return ContextLoaded(src, keep, [], deferred) if keep or deferred else None


def _context_kind(d: Document) -> bool:
    kind = d.data.get("kind") if isinstance(d.data, dict) else None
    return kind in CONTEXT_KINDS


def context_sources(loaded: Iterable[Loaded]) -> set[str]:
    return {ld.source.name for ld in loaded if isinstance(ld, ContextLoaded)}


def load_file(ref: FileRef, settings: Settings) -> Loaded | InputError:
    src = read_file(ref.path, ref.name)
    if isinstance(src, InputError):
        return src
    return load(src, prefilter=settings.prefilter)


def analyse(
    loaded: list[Loaded],
    settings: Settings,
    *,
    extra: Iterable[K8sObject] = (),
    cluster: Any = None,
    errors: list[InputError] | None = None,
    files: int = 0,
) -> ScanResult:
    if any(getattr(ld, "chart", None) is not None for ld in loaded):  # helm: render again after a fix
        from llmlint.helm.chart import refresh

        loaded, errors = refresh(loaded, list(errors or []))
    # helm: a chart's values files are sources (fixes edit them) but hold no objects
    docs = [d for ld in loaded if getattr(ld, "manifest", True) for d in ld.documents]
    kustomize = None
    if _kustomized(loaded):  # patches applied to their bases, images as kustomizations set them
        from llmlint.graph.kustomize import render

        kustomize = render(docs, loaded)
        docs = kustomize.docs
    graph = build(docs, extra)
    docs += _parse_deferred(graph, loaded)
    context = context_sources(loaded)
    if context:
        for o in graph.objects:
            o.context = o.target.source in context
    ctx = Context(graph, settings.params, cluster)
    findings: list[Finding] = []
    rules = catalog.rules()
    for rule_id, fn in load_all(audit=cluster is not None).items():
        if not settings.enabled(rule_id):
            continue
        meta = rules.get(rule_id)
        if meta is not None and meta.audit_only and cluster is None:
            continue
        try:
            findings.extend(fn(ctx))
        except Exception as exc:  # a rule's bug must not cost the user the other rules' findings
            where = f"{type(exc).__name__}: {exc}"
            obj = _culprit(exc)
            file = line = None
            on = ""
            if obj is not None:
                file = None if obj.target.source == "cluster" else obj.target.source
                line = obj.doc.line0 + 1 if obj.doc is not None else None
                on = f" on {obj.ref.label()}"
            graph.errors.append(
                InputError(file, line, f"internal error in rule {rule_id}{on} ({where}); please report it")
            )
    if kustomize is not None:
        kustomize.settle(findings)
    relocated = _relocate_merged(findings, graph)
    if context:
        findings = _drop_context(findings, context)
    by_target = {o.target: o for o in graph.objects}
    doc_index = {(d.source.name, d.index): d for d in docs}
    for f in findings:
        meta = rules.get(f.rule)
        f.name = meta.name if meta else f.rule
        sev = settings.severity.get(f.rule) or (meta.severity if meta else "warning")
        f.severity = sev  # type: ignore[assignment]
        _position(f, doc_index.get((f.target.source, f.target.doc_index)))
        f.suppressed = _suppressed(
            f, by_target.get(f.target), doc_index.get((f.target.source, f.target.doc_index))
        )
    if any(getattr(ld, "chart", None) is not None for ld in loaded):  # helm: point into the chart
        from llmlint.helm.chart import relocate

        relocate(findings, graph.errors, loaded)
    findings = _dedupe(findings, relocated)
    findings.sort(key=Finding.sort_key)
    all_errors = list(errors or []) + graph.errors
    return ScanResult(
        findings, all_errors, loaded, graph, files, _suppression_warnings(loaded, graph, doc_index)
    )


def _culprit(exc: BaseException) -> K8sObject | None:
    """The object a crashing rule was looking at: the innermost frame's local that is one (or holds one
    as ``.obj``), so that the error names its file and object."""
    frames = []
    tb = exc.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for frame in reversed(frames):
        for value in list(frame.f_locals.values()):
            obj = value if isinstance(value, K8sObject) else getattr(value, "obj", None)
            if isinstance(obj, K8sObject):
                return obj
    return None


def _parse_deferred(graph: Graph, loaded: list[Loaded]) -> list[Document]:
    """Parse what the prefilter held back and the parsed workloads need: the ConfigMaps they name, and
    the PDBs, HPAs, NetworkPolicies and claims that may live in their namespaces."""
    pending = [(ld, d) for ld in loaded for d in ld.deferred]
    if not pending:
        return []
    names = configmap_references(graph)
    namespaces = {w.obj.namespace for w in graph.workloads}
    every_namespace = "" in namespaces  # objects without a namespace may be applied anywhere

    def needed(d: Document) -> bool:
        text = d.source.text[d.start : d.end]
        if d.kind_hint == "ConfigMap":
            return any(n in text for n in names)
        return bool(namespaces) and (every_namespace or any(ns in text for ns in namespaces))

    parsed: list[Document] = []
    for ld, d in pending:
        if not needed(d):
            continue
        ld.deferred.remove(d)
        err = parse_document(d)
        if err is not None:
            graph.errors.append(err)
            continue
        if d.data is None:
            continue
        bad = type_errors(d)
        if bad:  # as load() does: an object the API server would reject is reported, not linted
            graph.errors.extend(bad)
            continue
        ld.documents.append(d)
        parsed.append(d)
    add_documents(graph, parsed)
    return parsed


def _relocate_merged(findings: list[Finding], graph: Graph) -> set[int]:
    """A finding about a value an InferenceService gets from its ServingRuntime (KServe merges them)
    points where the value is written: the runtime's line, not the predictor's. Returns the ids of the
    findings moved (they know more than the runtime's own: the model, the GPUs)."""
    moved: set[int] = set()
    merged: dict[Any, list[tuple[Path, Merge]]] = {}
    for w in graph.workloads:
        for t in w.templates:
            for c in t.containers:
                if c.merged is not None:
                    merged.setdefault(w.obj.target, []).append((c.path, c.merged))
            if t.merged is not None:
                merged.setdefault(w.obj.target, []).append((t.spec_path, t.merged))
    if not merged:
        return moved
    for f in findings:
        for base, m in merged.get(f.target, ()):
            if f.path[: len(base)] != base or len(f.path) == len(base):
                continue
            obj, path = m.locate(f.path[len(base) :])
            if obj is not m.over.obj:
                moved.add(id(f))
            f.target, f.path = obj.target, path  # a merged list's item: its index where it is written
            break
    return moved


def _drop_context(findings: list[Finding], context: set[str]) -> list[Finding]:
    """Findings on context objects are dropped; a fix that would edit a context file is withdrawn (the
    finding stays: it is true of the named file, but its fix lies outside what was named)."""
    out = []
    for f in findings:
        if f.target.source in context:
            continue
        if f.fix is not None and any(e.target.source in context for e in f.fix.edits):
            f.fix = None
        out.append(f)
    return out


def _dedupe(findings: list[Finding], preferred: AbstractSet[int] = frozenset()) -> list[Finding]:
    """One finding per rule and place: a KServe runtime's value is seen both in the runtime and in every
    InferenceService it is merged into, and a finding about it points at the runtime's line each time
    (the one seen through an InferenceService is kept: it knows the model)."""
    kept: dict[tuple[object, ...], int] = {}
    out: list[Finding] = []
    for f in findings:
        key = (f.rule, f.target, f.path, f.span)
        if key not in kept:
            kept[key] = len(out)
            out.append(f)
        elif id(f) in preferred and id(out[kept[key]]) not in preferred:
            out[kept[key]] = f
    return out


def _position(f: Finding, doc: Document | None) -> None:
    if doc is None:
        f.file = None if f.target.source == "cluster" else f.target.source
        return
    f.file = doc.source.name
    loc = locate(doc, (*f.target.prefix, *f.path))
    if loc is None:
        f.line, f.column = doc.line0 + 1, 1
        return
    f.line, f.column = loc.line_col()
    if f.span is not None and loc.depth == len(f.target.prefix) + len(f.path):
        import yaml

        if isinstance(loc.node, yaml.ScalarNode):
            off = substring_offset(doc.source.text, loc.node, doc.start, loc.node.value, *f.span)
            if off is not None:
                f.line, f.column = line_col_of(doc.source.text, off)


@cache
def _rule_names() -> dict[str, str]:
    return {r.name: r.id for r in catalog.rules().values()}


def _suppression_ids(text: str) -> set[str]:
    """The rule IDs a suppression names (rule names mapped to their IDs), upper-cased; ``ALL`` kept."""
    by_name = _rule_names()
    out = set()
    for part in text.split(","):
        token = part.strip()
        if token:
            out.add(by_name.get(token.lower(), token.upper()))
    return out


def _suppressed(f: Finding, obj: K8sObject | None, doc: Document | None) -> bool:
    if obj is not None:
        ann = obj.annotations.get(IGNORE_ANNOTATION)
        if ann is not None:
            ids = _suppression_ids(ann)
            if "ALL" in ids or f.rule in ids:
                return True
    if doc is not None and f.line is not None and f.line > doc.line0:
        text = doc.source.text
        start = doc.start  # the document's first line is line0 + 1; walk from there, not the file's start
        for _ in range(f.line - 1 - doc.line0):
            start = text.find("\n", start) + 1
            if start == 0:
                return False
        end = text.find("\n", start)
        line = text[start : end if end != -1 else len(text)]
        for m in _IGNORE_COMMENT.finditer(line):
            ids = _suppression_ids(m.group(1))
            if "ALL" in ids or f.rule in ids:
                return True
    return False


def _unknown(ids: set[str]) -> list[str]:
    known = catalog.rules()
    return sorted(i for i in ids if i != "ALL" and i not in known)


def _suppression_warnings(
    loaded: list[Loaded], graph: Graph, docs: dict[tuple[str, int], Document]
) -> list[InputError]:
    """A suppression that names no rule (a typo, a rule that was never one) suppresses nothing: say so,
    with its file and line, rather than let it pass silently."""
    from llmlint.report import printable

    out: list[InputError] = []
    for obj in graph.objects:
        ann = obj.annotations.get(IGNORE_ANNOTATION)
        if not isinstance(ann, str):
            continue
        bad = _unknown(_suppression_ids(ann))
        if bad and obj.target.source != "cluster":
            doc = docs.get((obj.target.source, obj.target.doc_index))
            loc = None
            if doc is not None:
                loc = locate(doc, (*obj.target.prefix, "metadata", "annotations", IGNORE_ANNOTATION))
            line, col = loc.line_col() if loc is not None else (None, None)
            out.append(
                InputError(
                    obj.target.source,
                    line,
                    f"{IGNORE_ANNOTATION} of {printable(obj.ref.label())} names no rule: "
                    + ", ".join(printable(b) for b in bad),
                    col,
                )
            )
    for ld in loaded:
        text = ld.source.text
        if "llmlint:" not in text:
            continue
        for m in _IGNORE_COMMENT.finditer(text):
            bad = _unknown(_suppression_ids(m.group(1)))
            if bad:
                line, col = line_col_of(text, m.start())
                out.append(
                    InputError(
                        ld.source.name,
                        line,
                        "# llmlint: ignore[…] names no rule: " + ", ".join(printable(b) for b in bad),
                        col,
                    )
                )
    return out


def scan(
    paths: list[str], settings: Settings, stdin: bytes | None = None, *, context: bool = True
) -> ScanResult:
    loaded, errors, files = read_inputs(paths, settings, stdin, context=context)
    return analyse(loaded, settings, errors=errors, files=files)
