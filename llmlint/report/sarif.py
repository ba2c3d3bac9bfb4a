"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning (and any other SARIF consumer).

* ``tool.driver.rules`` holds every catalog rule (id, name, descriptions, help URI, default level);
  results point at their rule by ``ruleId`` and ``ruleIndex``.
* Artifact URIs are relative to the repository root (the git top level above the working directory, else
  the working directory) under the ``%SRCROOT%`` base, so code scanning can place them on the diff.
* ``partialFingerprints`` hash the rule, the file and the object's identity (apiVersion, kind, namespace,
  name) and container — never the line — so a finding keeps its alert when lines are added above it.
* Suppressed findings are kept, with an ``inSource`` suppression: code scanning shows them as dismissed
  instead of losing them. Input errors become tool execution notifications and fail the invocation.
* A finding whose fix has a diff carries it as a SARIF ``fix`` (line replacements).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

from llmlint import __version__, catalog
from llmlint.engine import ScanResult
from llmlint.model import Finding

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
STDIN_URI = "-"  # stdin is named "-" in every format (llmlint.report.STDIN_NAME)
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def repo_root(cwd: str | None = None) -> str:
    """The git top level containing ``cwd`` (a ``.git`` directory or file), else ``cwd`` itself."""
    from llmlint.sources import gitignore

    start = os.path.abspath(cwd or os.getcwd())
    return gitignore.repo_root(start) or start


def repo_relative(name: str, root: str | None = None) -> str:
    """A file name as the scan shows it (relative to the working directory) → relative to the repo root.

    Files outside the repository keep an absolute path; stdin is ``-``.
    """
    if name == "-":
        return STDIN_URI
    absolute = os.path.abspath(name)
    root = root or repo_root()
    try:
        rel = os.path.relpath(absolute, root)
    except ValueError:
        return Path(absolute).as_posix()
    if rel.startswith(".."):
        return Path(absolute).as_posix()
    return rel.replace(os.sep, "/")


def _uri(name: str, root: str) -> dict[str, Any]:
    rel = repo_relative(name, root)
    if rel == STDIN_URI:
        return {"uri": STDIN_URI}
    if rel.startswith("/"):
        return {"uri": Path(rel).as_uri()}
    # percent-encode what a relative URI reference may not hold literally (spaces, '%', '#', '?', ':')
    from urllib.parse import quote

    return {"uri": quote(rel, safe="/-._~!$&'()*+,;=@"), "uriBaseId": SRCROOT}


def fingerprint(f: Finding, root: str, extra: str = "") -> str:
    ref = f.target.ref
    parts = [
        f.rule,
        repo_relative(f.file, root) if f.file else "",
        ref.api_version or "",
        ref.kind or "",
        ref.namespace or "",
        ref.name or "",
        f.container or "",
        extra,
    ]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def _rule_entry(r: catalog.Rule) -> dict[str, Any]:
    fix = r.fix_description or "no automatic fix"
    help_md = f"{r.summary}\n\n{r.rationale}\n\nFix ({r.fix_safety or 'none'}): {fix}"
    help_md += f"\n\n[Documentation]({r.docs_url})"
    tags = ["kubernetes", "llm", r.family] if r.family else ["kubernetes", "llm"]
    return {
        "id": r.id,
        "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": r.rationale or r.summary},
        "helpUri": r.docs_url,
        "help": {"text": help_md, "markdown": help_md},
        "defaultConfiguration": {"level": _LEVEL.get(r.severity, "warning")},
        "properties": {
            "tags": tags,
            "fix": r.fix_safety or "none",
            "audit-only": r.audit_only,
            "problem.severity": {"info": "recommendation"}.get(r.severity, r.severity),
        },
    }


def _fix(f: Finding, root: str) -> dict[str, Any] | None:
    """The finding's unified diff as SARIF replacements: each run of ``-``/``+`` lines is one replacement of
    whole lines (from column 1 of the first deleted line to column 1 of the line after the last)."""
    if f.fix is None or not f.fix.diff:
        return None
    changes: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    old_line = 0
    run_start: int | None = None
    deleted = 0
    inserted: list[str] = []

    def flush() -> None:
        nonlocal run_start, deleted, inserted
        if current is not None and run_start is not None:
            region = {
                "startLine": run_start,
                "startColumn": 1,
                "endLine": run_start + deleted,
                "endColumn": 1,
            }
            rep: dict[str, Any] = {"deletedRegion": region}
            if inserted:
                rep["insertedContent"] = {"text": "".join(inserted)}
            current["replacements"].append(rep)
        run_start, deleted, inserted = None, 0, []

    for line in f.fix.diff.splitlines(keepends=True):
        if line.startswith("--- "):
            flush()
            continue
        if line.startswith("+++ "):
            name = line[4:].rstrip("\r\n")
            name = name[2:] if name.startswith("b/") else name
            current = {"artifactLocation": _uri(name, root), "replacements": []}
            changes.append(current)
            continue
        m = _HUNK.match(line)
        if m:
            flush()
            old_line = int(m.group(1))
            if m.group(2) == "0":  # pure insertion after line N
                old_line += 1
            continue
        if line.startswith("\\"):
            continue
        tag, body = line[:1], line[1:]
        if tag == " ":
            flush()
            old_line += 1
        elif tag == "-":
            if run_start is None:
                run_start = old_line
            deleted += 1
            old_line += 1
        elif tag == "+":
            if run_start is None:
                run_start = old_line
            inserted.append(body)
    flush()
    changes = [c for c in changes if c["replacements"]]
    if not changes:
        return None
    return {"description": {"text": f"{f.fix.description} ({f.fix.safety})"}, "artifactChanges": changes}


def _result(f: Finding, index: dict[str, int], fp: str, root: str) -> dict[str, Any]:
    ref = f.target.ref
    logical = {
        "fullyQualifiedName": "/".join(p for p in (ref.namespace, ref.kind, ref.name, f.container) if p),
        "name": f.container or ref.name or "",
        "kind": "container" if f.container else "object",
    }
    location: dict[str, Any] = {"logicalLocations": [logical]}
    if f.file:  # audit findings (live objects) have no file: the object is their location
        location["physicalLocation"] = {
            "artifactLocation": _uri(f.file, root),
            "region": {"startLine": f.line or 1, "startColumn": f.column or 1},
        }
    out: dict[str, Any] = {
        "ruleId": f.rule,
        "level": _LEVEL.get(f.severity, "warning"),
        "message": {"text": f.message},
        "locations": [location],
        "partialFingerprints": {"llmlint/v1": fp},
        "properties": {"object": ref.to_json(), "container": f.container, "severity": f.severity},
    }
    if f.rule in index:
        out["ruleIndex"] = index[f.rule]
    if f.fix is not None:
        out["properties"]["fix"] = {"safety": f.fix.safety, "description": f.fix.description}
        fix = _fix(f, root)
        if fix is not None:
            out["fixes"] = [fix]
    if f.suppressed:
        out["suppressions"] = [
            {"kind": "inSource", "justification": "llmlint.io/ignore or # llmlint: ignore[...]"}
        ]
    return out


def document(result: ScanResult, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    root = repo_root()
    rules = list(catalog.rules().values())
    index = {r.id: i for i, r in enumerate(rules)}
    findings = sorted(result.findings, key=Finding.sort_key)
    # fingerprints: unique per run; two findings of one rule on one container are told apart by their path
    base = [fingerprint(f, root) for f in findings]
    dup = {fp for fp, n in Counter(base).items() if n > 1}
    fps = [
        fingerprint(f, root, "/".join(map(str, f.path))) if fp in dup else fp
        for f, fp in zip(findings, base, strict=True)
    ]
    results = [_result(f, index, fp, root) for f, fp in zip(findings, fps, strict=True)]
    notifications = []
    for e in result.errors:
        n: dict[str, Any] = {
            "level": "error",
            "message": {"text": e.message},
            "descriptor": {"id": "input-error"},
        }
        if e.file:
            region = {"startLine": e.line} if e.line else None
            loc: dict[str, Any] = {"artifactLocation": _uri(e.file, root)}
            if region:
                if e.column:
                    region["startColumn"] = e.column
                loc["region"] = region
            n["locations"] = [{"physicalLocation": loc}]
        notifications.append(n)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "llmlint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": "https://github.com/llmlint/llmlint",
                "rules": [_rule_entry(r) for r in rules],
            }
        },
        "originalUriBaseIds": {SRCROOT: {"uri": Path(root).as_uri().rstrip("/") + "/"}},
        "invocations": [
            {"executionSuccessful": not result.errors, "toolExecutionNotifications": notifications}
        ],
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {
            "summary": {
                "files": result.files,
                "objects": result.objects,
                "findings": len(result.active),
                "suppressed": result.suppressed,
                "errors": len(result.errors),
                **({"fixed": extra["fixed"]} if extra and extra.get("fixed") else {}),
            }
        },
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def render(result: ScanResult, *, color: bool = False, extra: dict[str, Any] | None = None) -> str:
    return json.dumps(document(result, extra), indent=2, ensure_ascii=False) + "\n"
