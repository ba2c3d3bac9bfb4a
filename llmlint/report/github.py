"""``--format github``: GitHub Actions workflow commands, one per finding, shown as annotations on the PR.

    ::error file=k8s/vllm.yaml,line=42,col=13,title=LLM003::--gpu-memory-utilization=0.97 …

Levels: error → ``::error``, warning → ``::warning``, info → ``::notice``. Input errors are ``::error``
commands titled ``llmlint``. Paths are relative to the repository root (GitHub resolves them against the
workspace). Values are escaped as the runner expects: ``%``, CR and LF everywhere, and ``:`` and ``,`` in
properties. A plain summary line ends the output.
"""

from __future__ import annotations

from typing import Any

from llmlint.engine import ScanResult
from llmlint.model import Finding
from llmlint.report.redact import printable
from llmlint.report.sarif import repo_relative, repo_root

_COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(s: str) -> str:
    """The runner's escapes; callers pass fields through :func:`printable` first (ESC, bidi, C1...)."""
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(s: str) -> str:
    return escape_data(s).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **props: Any) -> str:
    given = [
        f"{k}={escape_property(printable(str(v)))}" for k, v in props.items() if v is not None and v != ""
    ]
    head = f"::{name}" + (" " + ",".join(given) if given else "")
    return f"{head}::{escape_data(message)}"


def _finding(f: Finding, root: str) -> str:
    obj = f.target.ref.label() + (f" [{f.container}]" if f.container else "")
    message = printable(f"{f.message} ({f.name}; {obj})")
    if f.fix is not None:
        flag = "--fix" if f.fix.safety == "safe" else "--fix --unsafe-fixes"
        message += "\n" + printable(f"fix ({f.fix.safety}, {flag}): {f.fix.description}")
    return command(
        _COMMAND.get(f.severity, "warning"),
        message,
        file=repo_relative(f.file, root) if f.file else None,
        line=f.line,
        col=f.column,
        title=f.rule,
    )


def render(result: ScanResult, *, color: bool = False, extra: dict[str, Any] | None = None) -> str:
    root = repo_root()
    lines = [_finding(f, root) for f in result.active]
    for e in result.errors:
        lines.append(
            command(
                "error",
                printable(e.message),
                file=repo_relative(e.file, root) if e.file else None,
                line=e.line,
                col=e.column,
                title="llmlint",
            )
        )
    active = result.active
    summary = (
        f"llmlint: {len(active)} finding{'s' if len(active) != 1 else ''} in {result.files} "
        f"file{'s' if result.files != 1 else ''}, {result.objects} object{'s' if result.objects != 1 else ''}"
    )
    if result.suppressed:
        summary += f"; {result.suppressed} suppressed"
    if result.errors:
        summary += f"; {len(result.errors)} input error{'s' if len(result.errors) != 1 else ''}"
    if extra and extra.get("fixed"):
        summary += f"; {extra['fixed']} fixed"
    lines.append(summary + ".")
    return "\n".join(lines) + "\n"
