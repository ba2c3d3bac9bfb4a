"""``--format json``: one object on stdout, as DESIGN.md section 2 and docs/json-format.md define it.

``summary.errors`` counts input errors (kept for compatibility); ``summary.input_errors`` says so
unambiguously, ``summary.by_severity`` counts the findings by severity and ``summary.fixable`` those with a
fix, by safety (``{"safe": …, "unsafe": …}``). ``warnings`` lists what does not stop a scan but is probably a
mistake (a suppression naming no rule).
"""

from __future__ import annotations

import json
from typing import Any

from llmlint.engine import ScanResult
from llmlint.report import finding_json


def document(result: ScanResult, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    active = result.active
    by_severity = {s: sum(1 for f in active if f.severity == s) for s in ("error", "warning", "info")}
    fixable = {s: sum(1 for f in active if f.fix and f.fix.safety == s) for s in ("safe", "unsafe")}
    warnings = result.warnings
    out: dict[str, Any] = {
        "version": 1,
        "findings": [finding_json(f) for f in active],
        "errors": [e.to_json() for e in result.errors],
        "warnings": [w.to_json() for w in warnings],
        "summary": {
            "files": result.files,
            "objects": result.objects,
            "findings": len(active),
            "errors": len(result.errors),
            "input_errors": len(result.errors),
            "by_severity": by_severity,
            "fixable": fixable,
            "suppressed": result.suppressed,
            "warnings": len(warnings),
        },
    }
    if extra and "fixed" in extra:  # the other extras are the text report's options
        out["fixed"] = extra["fixed"]
    return out


def render(result: ScanResult, *, color: bool = False, extra: dict[str, Any] | None = None) -> str:
    return json.dumps(document(result, extra), indent=2, ensure_ascii=False) + "\n"
