"""``--format text``: one line per finding, ``PATH:LINE:COL: ID severity message`` (stable: editors and
other tools parse it), the fix indented on the next line, then a summary line.

``--show-source`` adds the offending line with a caret under the column; ``--statistics`` prints counts per
rule instead of the findings. Colour (rich, imported only then) only when the caller asks for it.
Every string that comes from the input (paths, messages, source lines) passes through
:func:`llmlint.report.printable`: no control character or line break of a manifest reaches the terminal.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from llmlint.engine import ScanResult
from llmlint.model import Finding
from llmlint.report import plural, printable

Segment = tuple[str, str]  # (text, rich style)
_SEV_STYLE = {"error": "bold red", "warning": "yellow", "info": "blue"}
SOURCE_INDENT = "    "


def location(f: Finding) -> str:
    """``PATH:LINE:COL`` of a finding; an object with no file (``audit``) is named by its kind and name."""
    where = printable(f.file) if f.file else printable(f.target.ref.label()).replace(" ", "/", 1)
    if f.line is not None:
        where += f":{f.line}"
        if f.column is not None:
            where += f":{f.column}"
    return where


def finding_line(f: Finding) -> str:
    """The stable first line of a finding, without colour."""
    return f"{location(f)}: {f.rule} {f.severity} {printable(f.message)}"


def _source(f: Finding, sources: dict[str, Any]) -> list[list[Segment]]:
    src = sources.get(f.file or "")
    if src is None or f.line is None:
        return []
    text: str = src.text
    lines = text.splitlines()
    if not 1 <= f.line <= len(lines):
        return []
    raw = lines[f.line - 1]
    col = max(1, f.column or 1)
    shown_before = printable(raw[: col - 1])
    shown = printable(raw)
    num = str(f.line)
    pad = " " * len(num)
    return [
        [(f"{SOURCE_INDENT}{pad} |", "dim")],
        [(f"{SOURCE_INDENT}{num} | ", "dim"), (shown, "")],
        [(f"{SOURCE_INDENT}{pad} | ", "dim"), (" " * len(shown_before) + "^", _SEV_STYLE[f.severity])],
    ]


def _finding(f: Finding, show_source: bool, sources: dict[str, Any]) -> list[list[Segment]]:
    out: list[list[Segment]] = [
        [
            (f"{location(f)}: ", "bold"),
            (f"{f.rule} ", "bold"),
            (f"{f.severity} ", _SEV_STYLE[f.severity]),
            (printable(f.message), ""),
        ]
    ]
    if show_source:
        out.extend(_source(f, sources))
    if f.fix is not None:
        style = "green" if f.fix.safety == "safe" else "cyan"
        out.append([(SOURCE_INDENT, ""), (f"fix ({f.fix.safety}): {printable(f.fix.description)}", style)])
    return out


def _statistics(active: list[Finding]) -> list[list[Segment]]:
    """Counts per rule, most frequent first, as ``ruff --statistics``: count, ID, fix marker (``[*]`` a
    safe fix, ``[-]`` only with ``--unsafe-fixes``), name."""
    counts = Counter(f.rule for f in active)
    safe = {f.rule for f in active if f.fix is not None and f.fix.safety == "safe"}
    unsafe = {f.rule for f in active if f.fix is not None and f.fix.safety == "unsafe"}
    names = {f.rule: f.name for f in active}
    width = max((len(str(n)) for n in counts.values()), default=1)
    out: list[list[Segment]] = []
    for rule, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        mark = "[*]" if rule in safe else "[-]" if rule in unsafe else "   "
        out.append([(f"{n:>{width}}\t", "bold"), (f"{rule}\t", "bold"), (f"{mark} {names[rule]}", "")])
    return out


def summary(result: ScanResult, extra: dict[str, Any]) -> str:
    active = result.active
    if not extra.get("audit") and result.files == 0 and not result.errors:
        return "No manifests found."
    counts = {s: sum(1 for f in active if f.severity == s) for s in ("error", "warning", "info")}
    files_with = len({f.file for f in active})
    # a fix without edits (a Helm template's) is offered as its diff only: --fix does not apply it
    fixes = [f.fix for f in active if f.fix and (f.fix.edits or extra.get("audit"))]
    safe = sum(1 for x in fixes if x.safety == "safe")
    unsafe = sum(1 for x in fixes if x.safety == "unsafe")
    parts = [plural(n, s) if s != "info" else f"{n} info" for s, n in counts.items() if n]
    text = plural(len(active), "finding") + (f" ({', '.join(parts)})" if parts else "")
    if extra.get("audit"):
        text += f" on {len({f.target.ref for f in active})} of {plural(result.objects, 'cluster object')}"
    else:
        text += f" in {files_with} of {plural(result.files, 'file')}, {plural(result.objects, 'object')}"
    if result.suppressed:
        text += f"; {result.suppressed} suppressed"
    if (safe or unsafe) and extra.get("audit"):
        text += f"; {safe + unsafe} with a kubectl command (--diff)"
    elif unsafe and (extra.get("unsafe_fixes") or not safe):
        text += f"; {safe + unsafe} fixable with --fix --unsafe-fixes"
    elif safe:
        text += f"; {safe} fixable with --fix"
        if unsafe:
            text += f" ({unsafe} more with --unsafe-fixes)"
    if result.errors:
        text += f"; {plural(len(result.errors), 'input error')}"
    if extra.get("fixed"):
        text = f"fixed {plural(extra['fixed'], 'finding')}; remaining: " + text
    return text + "."


def _lines(result: ScanResult, extra: dict[str, Any]) -> list[list[Segment]]:
    out: list[list[Segment]] = []
    active = result.active
    if extra.get("statistics"):
        out.extend(_statistics(active))
    else:
        sources: dict[str, Any] = {}
        if extra.get("show_source"):  # a Helm chart's render is quoted from its template (shown_source)
            sources = {ld.source.name: getattr(ld, "shown_source", ld.source) for ld in result.loaded}
        for f in active:
            out.extend(_finding(f, bool(extra.get("show_source")), sources))
    if out:
        out.append([])
    out.append([(summary(result, extra), "bold")])
    return out


def render(result: ScanResult, *, color: bool = False, extra: dict[str, Any] | None = None) -> str:
    lines = _lines(result, extra or {})
    if not color:
        return "".join("".join(t for t, _ in segs) + "\n" for segs in lines)
    from rich.console import Console
    from rich.text import Text

    console = Console(force_terminal=True, color_system="auto", width=10_000, highlight=False, soft_wrap=True)
    with console.capture() as cap:
        for segs in lines:
            console.print(Text.assemble(*segs) if segs else "")
    return cap.get()
