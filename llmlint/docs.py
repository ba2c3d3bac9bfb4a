"""Rule pages, generated from the catalog (``python -m llmlint.docs`` rewrites ``docs/rules/``), the sample
output in the guides (``python -m llmlint.docs --guides`` runs the commands they show), and the terminal
rendering of a page (``llmlint explain``).

Each bad example is run through the real scanner and fixer (that rule alone, unsafe fixes included), so
a page shows what ``llmlint scan`` reports on it and the diff ``--fix`` applies — never a hand-written
"after" that could drift from the code. Generation is deterministic: the same catalog and code give the
same pages byte for byte (``tests/test_docs.py`` fails when a committed page is stale).
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmlint import catalog
from llmlint.catalog import Example, Rule

EXAMPLE_NAME = "example.yaml"
# The article the project starts from; the catalog quotes it as "the article".
ARTICLE = (
    "[*K8s AI 워크로드 2편—LLM 추론 서버 배포, vLLM·TGI·Triton 실전 Deployment 완전 가이드*]"
    "(https://cell-devlog.tistory.com/248) (cell-devlog, 2026; its manifests are llmlint's `fixtures/seed/`)"
)


def _fence(text: str, lang: str = "yaml") -> str:
    return f"```{lang}\n{text.rstrip()}\n```\n"


@dataclass(frozen=True)
class Run:
    """What llmlint does with one example: its findings (``line:col rule message``) and the fix diff."""

    findings: list[str]
    diff: str
    error: str | None = None


def run_example(r: Rule, ex: Example) -> Run:
    from llmlint.engine import Settings, analyse
    from llmlint.fixes.run import combined_diff, fix_loop
    from llmlint.manifest.loader import decode, load
    from llmlint.model import InputError

    src = decode(EXAMPLE_NAME, ex.manifest.encode("utf-8"))
    if isinstance(src, InputError):
        return Run([], "", f"the example cannot be read: {src.message}")
    settings = Settings(select=[r.id])
    loaded = load(src, prefilter=False)
    if loaded.errors:
        return Run([], "", "; ".join(e.one_line() for e in loaded.errors))
    result = analyse([loaded], settings, files=1)
    found = [f for f in result.active if f.rule == r.id]
    lines = [f"{f.line}:{f.column}  {f.severity}  {f.rule} {f.message}" for f in found]
    diff = ""
    if r.fix_safety:
        outcome = fix_loop(result, settings, unsafe=True)
        diff = combined_diff(outcome)
    return Run(lines, diff)


def _default(value: object) -> str:
    return "*(unset)*" if value is None else f"`{value}`"


def _fix_flags(r: Rule) -> str:
    return "--fix" + (" --unsafe-fixes" if r.fix_safety == "unsafe" else "")


def _example(r: Rule, ex: Example) -> list[str]:
    out = []
    if ex.description:
        out.append(ex.description + "\n")
    out.append(_fence(ex.manifest))
    if r.audit_only:
        return out
    # a checker or fixer bug must not break `llmlint explain`; tests/test_docs.py fails on the marker
    try:
        run = run_example(r, ex)
    except Exception as exc:
        run = Run([], "", f"{type(exc).__name__}: {exc}")
    if run.error:
        out.append(f"*(not scanned: {run.error})*\n")
        return out
    if run.findings:
        out.append(f"`llmlint scan --select {r.id} {EXAMPLE_NAME}` reports:\n")
        out.append(_fence("\n".join(run.findings), "text"))
    if run.diff:
        out.append(f"`llmlint scan {_fix_flags(r)}` changes it:\n")
        out.append(_fence(run.diff, "diff"))
    elif ex.fixed:
        out.append(f"After `llmlint scan {_fix_flags(r)}`:\n")
        out.append(_fence(ex.fixed))
    return out


def rule_page(r: Rule) -> str:
    out = [f"# {r.id} `{r.name}`\n"]
    meta = f"**Severity:** {r.severity} · **Family:** {r.family}"
    meta += f" · **Fix:** {r.fix_safety} ({r.fix_availability})" if r.fix_safety else " · **Fix:** none"
    meta += (
        " · **Default:** on"
        if r.enabled_by_default
        else " · **Default:** off (opt-in: `--select " + r.id + "`)"
    )
    if r.audit_only:
        meta += " · **Audit only** (`llmlint audit`)"
    if r.frameworks:
        meta += " · **Frameworks:** " + ", ".join(r.frameworks)
    out.append(meta + "\n")
    out.append("## What it does\n")
    out.append(r.summary + "\n")
    out.append("## Why is this bad?\n")
    out.append(r.rationale + "\n")
    if r.bad:
        out.append("## Example\n")
        for ex in r.bad:
            out.extend(_example(r, ex))
    if r.good:
        out.append("## Use instead\n")
        for ex in r.good:
            if ex.description:
                out.append(ex.description + "\n")
            out.append(_fence(ex.manifest))
    out.append("## Fix safety\n")
    if r.fix_safety:
        how = "`--fix`" if r.fix_safety == "safe" else "`--fix --unsafe-fixes`"
        out.append(f"{r.fix_description}\n\nThis fix is **{r.fix_safety}**: applied by {how}.\n")
    else:
        out.append((r.fix_description or "No automatic fix.") + "\n")
    if r.parameters:
        out.append("## Parameters\n")
        out.append("Set in `.llmlint.yaml` (or `[tool.llmlint]` in `pyproject.toml`).\n")
        out.append("| key | default | meaning |\n|---|---|---|")
        for name, spec in r.parameters.items():
            default = spec.get("default")
            out.append(f"| `{name}` | {_default(default)} | {spec.get('description', '')} |")
        out.append("")
    out.append("## Suppression\n")
    out.append(
        f'Annotate the object with `llmlint.io/ignore: "{r.id}"`, or end the line the finding points at '
        f"with `# llmlint: ignore[{r.id}]`.\n"
    )
    cites_article = "the article" in "\n".join(out).lower()
    if r.references or cites_article:
        out.append("## References\n")
        for ref in r.references:
            out.append(f"- [{ref.get('title', ref.get('url'))}]({ref.get('url')})")
        if cites_article:
            out.append(f"- The article: {ARTICLE}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def index_page(rules: list[Rule]) -> str:
    lines = ["# Rules\n", "| ID | name | severity | fix | summary |", "|---|---|---|---|---|"]
    for r in rules:
        fix = r.fix_safety or "—"
        lines.append(f"| [{r.id}]({r.id}.md) | `{r.name}` | {r.severity} | {fix} | {r.summary} |")
    params: dict[str, tuple[object, str, list[str]]] = {}
    for r in rules:
        for name, spec in r.parameters.items():
            default, desc, used = params.get(name, (spec.get("default"), spec.get("description", ""), []))
            params[name] = (default, desc, [*used, r.id])
    if params:
        lines += [
            "",
            "## Parameters",
            "",
            "Rule parameters are top-level keys of `.llmlint.yaml` (or `[tool.llmlint]` in `pyproject.toml`).",
            "",
            "| key | default | used by | meaning |",
            "|---|---|---|---|",
        ]
        for name in sorted(params):
            default, desc, used = params[name]
            by = ", ".join(f"[{i}]({i}.md)" for i in used)
            lines.append(f"| `{name}` | {_default(default)} | {by} | {desc} |")
    return "\n".join(lines) + "\n"


def show(page: str, stream: Any, *, pager: bool = True) -> None:
    """``llmlint explain``: on a terminal the page rendered by rich (in a pager unless ``pager`` is off:
    ``$PAGER``, else ``less`` with ``LESS=FRX`` so colours show and a short page does not wait); in a pipe
    or a file the Markdown itself, for other tools."""
    try:
        tty = bool(stream.isatty())
    except (AttributeError, ValueError):
        tty = False
    if not tty or os.environ.get("TERM") == "dumb":
        stream.write(page)
        return
    from rich.console import Console
    from rich.markdown import Markdown

    console = Console(file=stream, no_color=bool(os.environ.get("NO_COLOR")) or None)
    if not pager:
        console.print(Markdown(page))
        return
    os.environ.setdefault("LESS", "FRX")
    with console.pager(styles=True):
        console.print(Markdown(page))


def pages() -> dict[str, str]:
    rules = list(catalog.rules().values())
    out = {f"{r.id}.md": rule_page(r) for r in rules}
    out["README.md"] = index_page(rules)
    return out


# Guides show real output: a block opened by ``<!-- output: llmlint ARGS -->`` and closed by
# ``<!-- /output -->`` holds what ``llmlint ARGS`` prints, run from the repository root.
_SAMPLE = re.compile(r"(<!-- output: (llmlint [^\n]*?) -->\n)(.*?)(<!-- /output -->)", re.S)
GUIDES_WITH_OUTPUT = ("guides/getting-started.md", "json-format.md")  # under docs/


def command_output(command: str, root: Path) -> str:
    """What ``command`` (``llmlint …``) prints on stdout and stderr, without colour, run in ``root``."""
    import shlex
    import subprocess

    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "CLICOLOR_FORCE")}
    env.update(NO_COLOR="1", PYTHONPATH=str(root), COLUMNS="100")
    proc = subprocess.run(
        [sys.executable, "-m", "llmlint", *shlex.split(command)[1:]],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    return proc.stderr + proc.stdout


def with_output(text: str, root: Path) -> str:
    """``text`` with every output block refreshed from the real command."""

    def sub(m: re.Match[str]) -> str:
        out = command_output(m.group(2), root)
        return f"{m.group(1)}```console\n$ {m.group(2)}\n{out.rstrip()}\n```\n{m.group(4)}"

    return _SAMPLE.sub(sub, text)


def write_guides(docs: Path, root: Path) -> list[Path]:
    written = []
    for name in GUIDES_WITH_OUTPUT:
        p = docs / name
        text = p.read_text(encoding="utf-8")
        new = with_output(text, root)
        if new != text:
            p.write_text(new, encoding="utf-8", newline="\n")
            written.append(p)
    return written


def write(directory: Path) -> list[Path]:
    """Bring ``directory`` up to date: write changed pages, remove pages of rules no longer in the catalog."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    generated = pages()
    for name, text in generated.items():
        p = directory / name
        if not p.exists() or p.read_text(encoding="utf-8") != text:
            p.write_text(text, encoding="utf-8", newline="\n")
            written.append(p)
    for p in sorted(directory.glob("LLM*.md")):
        if p.name not in generated:
            p.unlink()
            written.append(p)
    return written


if __name__ == "__main__":  # pragma: no cover
    if sys.argv[1:2] == ["--guides"]:  # python -m llmlint.docs --guides [docs]
        docs_dir = Path(sys.argv[2] if len(sys.argv) > 2 else "docs")
        for p in write_guides(docs_dir, docs_dir.resolve().parent):
            print(f"wrote {p}")
        sys.exit(0)
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/rules")
    for p in write(target):
        print(f"{'wrote' if p.exists() else 'removed'} {p}")
