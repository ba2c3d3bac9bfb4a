"""``--format text``: findings grouped by file, then a summary line. Colour (rich) only when asked."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from llmlint.engine import ScanResult
from llmlint.model import Finding

Segment = tuple[str, str]  # (text, rich style)
_SEV_STYLE = {"error": "bold red", "warning": "yellow", "info": "blue"}


def _lines(result: ScanResult, extra: dict[str, Any]) -> list[list[Segment]]:
    out: list[list[Segment]] = []
    groups: dict[str, list[Finding]] = defaultdict(list)
    for f in result.active:
        groups[f.file or f.target.ref.label()].append(f)
    for name in sorted(groups):
        out.append([(name, "bold underline")])
        for f in groups[name]:
            where = f"{f.line or '-'}:{f.column or '-'}"
            obj = f.target.ref.label() + (f" [{f.container}]" if f.container else "")
            out.append(
                [
                    (f"  {where:>8}  ", "dim"),
                    (f"{f.severity:<7} ", _SEV_STYLE[f.severity]),
                    (f"{f.rule} ", "bold"),
                    (f"{f.message}", ""),
                    (f"  ({f.name}; {obj})", "dim"),
                ]
            )
            if f.fix is not None:
                out.append(
                    [
                        (" " * 12, ""),
                        (
                            f"fix ({f.fix.safety}): {f.fix.description}",
                            "green" if f.fix.safety == "safe" else "cyan",
                        ),
                    ]
                )
        out.append([])
    active = result.active
    counts = {s: sum(1 for f in active if f.severity == s) for s in ("error", "warning", "info")}
    files_with = len({f.file for f in active})
    safe = sum(1 for f in active if f.fix and f.fix.safety == "safe")
    unsafe = sum(1 for f in active if f.fix and f.fix.safety == "unsafe")
    parts = [f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items() if n]
    summary = (
        f"{len(active)} finding{'s' if len(active) != 1 else ''}"
        + (f" ({', '.join(parts)})" if parts else "")
        + (
            f" on {len({f.target.ref for f in active})} of {result.objects} cluster objects"
            if extra.get("audit")
            else f" in {files_with} of {result.files} file{'s' if result.files != 1 else ''}, {result.objects} objects"
        )
    )
    if result.suppressed:
        summary += f"; {result.suppressed} suppressed"
    if (safe or unsafe) and extra.get("audit"):
        summary += f"; {safe + unsafe} with a kubectl command (--diff)"
    elif safe or unsafe:
        summary += f"; {safe} fixable with --fix"
        if unsafe:
            summary += f" ({unsafe} more with --unsafe-fixes)"
    if result.errors:
        summary += f"; {len(result.errors)} input error{'s' if len(result.errors) != 1 else ''}"
    if extra.get("fixed"):
        summary = f"fixed {extra['fixed']} finding{'s' if extra['fixed'] != 1 else ''}; remaining: " + summary
    out.append([(summary + ".", "bold")])
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
