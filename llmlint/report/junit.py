"""``--format junit``: JUnit XML for GitLab (``artifacts:reports:junit``), Jenkins and other CI test views.

* one ``<testsuite>`` per scanned file (``name`` = the file);
* one ``<testcase>`` per (object, rule) with findings: ``classname`` is the file and object
  (``k8s/vllm.yaml.Deployment/ml/vllm``), ``name`` the rule (``LLM003 gpu-memory-utilization-too-high``);
  a ``<failure>`` holds each finding (type = severity) with its line, container and fix;
* a passing ``<testcase name="llmlint">`` for each object with no finding (or, for a file holding no
  object any rule reads, one for the file), so clean objects and files show as passed;
* suppressed (object, rule) pairs are ``<skipped>`` test cases: counted, never lost;
* input errors are ``<testcase name="parse">`` with an ``<error>`` in the file's suite.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import Any

from llmlint.engine import ScanResult
from llmlint.model import Finding, ObjectRef
from llmlint.report.redact import printable

_XML_INVALID = re.compile("[\ufffe\uffff]")


def _clean(s: str) -> str:
    """One field: control characters and line breaks escaped (``\\n``), and what XML cannot hold replaced."""
    return _XML_INVALID.sub("\ufffd", printable(s))


def _label(ref: ObjectRef) -> str:
    ns = f"{ref.namespace}/" if ref.namespace else ""
    return f"{ref.kind or '?'}/{ns}{ref.name or '?'}"


def _failure_text(f: Finding) -> str:
    lines = [f"{f.file or '-'}:{f.line or '-'}:{f.column or '-'}: {f.severity} {f.rule} {f.message}"]
    if f.container:
        lines.append(f"container: {f.container}")
    if f.fix is not None:
        lines.append(f"fix ({f.fix.safety}): {f.fix.description}")
    return "\n".join(_clean(line) for line in lines)


def render(result: ScanResult, *, color: bool = False, extra: dict[str, Any] | None = None) -> str:
    files: dict[str, None] = {}

    def add_file(name: str) -> None:
        files.setdefault(name, None)

    for ld in result.loaded:
        add_file(ld.source.name)
    objects: dict[str, dict[ObjectRef, None]] = defaultdict(dict)  # ordered sets
    for o in result.graph.objects:
        name = o.target.source
        if name == "cluster":
            continue
        add_file(name)
        objects[name][o.target.ref] = None
    by_case: dict[tuple[str, ObjectRef], dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for f in result.findings:
        name = f.file or f.target.source
        add_file(name)
        objects[name].setdefault(f.target.ref, None)
        by_case[(name, f.target.ref)][f.rule].append(f)
    errors_by_file: dict[str, list[Any]] = defaultdict(list)
    for e in result.errors:
        name = e.file or "-"
        add_file(name)
        errors_by_file[name].append(e)

    root = ET.Element("testsuites", name="llmlint")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for name in sorted(files):
        suite = ET.SubElement(root, "testsuite", name=_clean(name))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for ref in objects.get(name, []):
            classname = _clean(f"{name}.{_label(ref)}")
            cases = sorted(by_case[(name, ref)].items()) if (name, ref) in by_case else []
            if not cases:
                ET.SubElement(suite, "testcase", classname=classname, name="llmlint", file=_clean(name))
                counts["tests"] += 1
                continue
            for rule, fs in cases:
                first = min(fs, key=Finding.sort_key)
                case = ET.SubElement(
                    suite,
                    "testcase",
                    classname=classname,
                    name=_clean(f"{rule} {first.name}"),
                    file=_clean(name),
                    line=str(first.line or 0),
                )
                counts["tests"] += 1
                active = [f for f in fs if not f.suppressed]
                if not active:
                    ET.SubElement(case, "skipped", message=f"suppressed ({len(fs)})")
                    counts["skipped"] += 1
                    continue
                counts["failures"] += 1
                for f in active:
                    fail = ET.SubElement(
                        case, "failure", message=_clean(f"{f.rule}: {f.message}"), type=f.severity
                    )
                    fail.text = _failure_text(f)
        for e in errors_by_file.get(name, []):
            case = ET.SubElement(suite, "testcase", classname=_clean(name), name="parse", file=_clean(name))
            err = ET.SubElement(case, "error", message=_clean(e.message), type="input-error")
            err.text = _clean(e.one_line())
            counts["tests"] += 1
            counts["errors"] += 1
        if counts["tests"] == 0:  # nothing any rule reads (or an empty file): the file passes
            ET.SubElement(suite, "testcase", classname=_clean(name), name="llmlint", file=_clean(name))
            counts["tests"] = 1
        for k, v in counts.items():
            suite.set(k, str(v))
            totals[k] += v
    for k, v in totals.items():
        root.set(k, str(v))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
