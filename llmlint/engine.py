"""The scan pipeline: sources → documents → graph → checks → findings (positioned, suppressed, ranked)."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from llmlint import catalog
from llmlint.checks import Context, load_all
from llmlint.graph.index import Graph, add_documents, build, configmap_references
from llmlint.graph.objects import K8sObject
from llmlint.manifest.loader import (
    MAX_FILE_BYTES,
    Document,
    Loaded,
    SourceText,
    decode,
    load,
    parse_document,
    read_file,
    type_errors,
)
from llmlint.manifest.positions import line_col_of, locate, substring_offset
from llmlint.model import SEVERITY_RANK, Finding, InputError
from llmlint.sources.files import ChartRef, FileRef, discover

IGNORE_ANNOTATION = "llmlint.io/ignore"
_IGNORE_COMMENT = re.compile(r"#\s*llmlint:\s*ignore\[([A-Za-z0-9_,\s]+)\]")


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
        def hit(patterns: Iterable[str]) -> bool:
            return any(rule_id == p or (p and rule_id.startswith(p)) or p.upper() == "ALL" for p in patterns)

        if self.select is not None and not hit(self.select):
            return False
        return not hit(self.ignore)


@dataclass(eq=False)
class ScanResult:
    """Findings and errors of one scan, with the loaded sources and the graph they came from."""

    findings: list[Finding]
    errors: list[InputError]
    loaded: list[Loaded]
    graph: Graph
    files: int = 0

    @property
    def objects(self) -> int:
        return len(self.graph.objects)

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
    paths: list[str], settings: Settings, stdin: bytes | None = None
) -> tuple[list[Loaded], list[InputError], int]:
    """Read and parse every input; errors name the file (and line) and never stop the others."""
    loaded: list[Loaded] = []
    errors: list[InputError] = []
    files = 0
    cwd = os.getcwd()
    charts: set[str] = set()
    for item in discover([p for p in paths if p != "-"], settings.exclude, cwd):
        if isinstance(item, InputError):
            errors.append(item)
            continue
        if isinstance(item, ChartRef):  # helm: a chart is rendered (llmlint.helm), once
            if item.path not in charts:
                charts.add(item.path)
                from llmlint.helm.chart import read_chart

                chart_loaded, chart_errors, chart_files = read_chart(item.path, item.name, settings.prefilter)
                files += chart_files
                loaded.extend(chart_loaded)
                errors.extend(chart_errors)
            continue
        files += 1
        loaded_one = load_file(item, settings)
        if isinstance(loaded_one, InputError):
            errors.append(loaded_one)
            continue
        loaded.append(loaded_one)
        errors.extend(loaded_one.errors)
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
    return loaded, errors, files


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

        loaded = refresh(loaded)
    docs = [d for ld in loaded for d in ld.documents]
    graph = build(docs, extra)
    docs += _parse_deferred(graph, loaded)
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
            graph.errors.append(
                InputError(None, None, f"internal error in rule {rule_id} ({where}); please report it")
            )
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
    findings = _dedupe(findings)
    findings.sort(key=Finding.sort_key)
    all_errors = list(errors or []) + graph.errors
    return ScanResult(findings, all_errors, loaded, graph, files)


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


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[object, ...]] = set()
    out = []
    for f in findings:
        key = (f.rule, f.target, f.path, f.span, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
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


def _suppressed(f: Finding, obj: K8sObject | None, doc: Document | None) -> bool:
    if obj is not None:
        ann = obj.annotations.get(IGNORE_ANNOTATION)
        if ann is not None:
            ids = {s.strip().upper() for s in ann.split(",")}
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
            ids = {s.strip().upper() for s in m.group(1).split(",")}
            if "ALL" in ids or f.rule in ids:
                return True
    return False


def scan(paths: list[str], settings: Settings, stdin: bytes | None = None) -> ScanResult:
    loaded, errors, files = read_inputs(paths, settings, stdin)
    return analyse(loaded, settings, errors=errors, files=files)
