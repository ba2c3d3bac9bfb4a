"""The command line: ``llmlint scan``, ``audit``, ``rules``, ``explain``, ``--version``.

Exit codes: 0 no finding at or above ``--fail-on``; 1 such findings; 2 unreadable input, bad
configuration or usage, unreachable cluster. Errors win over findings.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from llmlint import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
FORMATS = ["text", "json", "sarif", "github", "junit"]
LEVELS = ["error", "warning", "info"]


def _ids(values: tuple[str, ...]) -> list[str]:
    return [p.strip() for v in values for p in v.split(",") if p.strip()]


def use_color(output: str | None, stream: Any = None) -> bool:
    """Colour only on a terminal: never into a file (``-o``) or a pipe, whatever ``FORCE_COLOR`` says (the
    report is parsed there); ``NO_COLOR`` turns it off on a terminal too."""
    if os.environ.get("NO_COLOR") or output:
        return False
    stream = stream or sys.stdout
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _fail(message: str) -> None:
    from llmlint.report.redact import printable, redact

    click.echo(f"llmlint: {printable(redact(message))}", err=True)
    sys.exit(EXIT_ERROR)


def _settings(
    config: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    exclude: tuple[str, ...],
    fail_on: str | None,
    paths: list[str] | None = None,
) -> Any:
    from llmlint.config import ConfigError, load_settings, resolve_ids

    try:
        settings, _, notes = load_settings(config, paths)
    except ConfigError as exc:
        _fail(f"bad configuration: {exc}")
    for note in notes:
        click.echo(f"warning: {note}", err=True)
    chosen: dict[str, list[str]] = {}
    for flag, values in (("--select", select), ("--ignore", ignore)):
        ids, bad = resolve_ids(_ids(values))
        if bad:
            _fail(f"{flag}: unknown rule {bad[0]!r} (see llmlint rules)")
        chosen[flag] = ids
    if select:
        settings.select = chosen["--select"]
    if ignore:
        settings.ignore = list(settings.ignore) + chosen["--ignore"]
    if exclude:
        settings.exclude = list(settings.exclude) + list(exclude)
    if fail_on:
        settings.fail_on = fail_on
    if os.environ.get("LLMLINT_NO_PREFILTER") == "1":
        settings.prefilter = False
    return settings


def _usage(message: str) -> None:
    """A usage error: as click reports its own (``Usage: …``, ``Error: …``), exit 2."""
    raise click.UsageError(message)


def _emit(text: str, output: str | None, fmt: str = "text") -> None:
    from llmlint.report.redact import json_safe, redact

    text = redact(text)  # a safety net: the data were redacted before rendering (redact_result)
    if fmt in ("json", "sarif"):
        text = json_safe(text)
    if output:
        try:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            _fail(f"cannot write {output}: {exc.strerror or exc}")
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def _print_errors(errors: list[Any], fmt: str, warnings: list[Any] | None = None) -> None:
    from llmlint.report.redact import printable, redact

    if fmt == "text" or fmt == "github":
        for e in errors:
            click.echo(printable(redact(f"error: {e.one_line()}")), err=True)
    for w in warnings or []:  # every format: JSON also lists them, the others have no place for them
        click.echo(printable(redact(f"warning: {w.one_line()}")), err=True)


def _warn(note: str) -> None:
    from llmlint.report.redact import printable, redact

    click.echo(f"warning: {printable(redact(note))}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="llmlint")
def main() -> None:
    """Lint Kubernetes manifests for LLM inference servers, and audit live clusters."""


def output_options(fn: Any) -> Any:
    opts = [
        click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True),
        click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the report to FILE."),
        click.option(
            "--select",
            multiple=True,
            help="Only these rules: IDs or names, comma-separated; prefixes (LLM01) and ALL allowed.",
        ),
        click.option("--ignore", multiple=True, help="Skip these rules (IDs or names)."),
        click.option(
            "--fail-on", type=click.Choice(LEVELS), help="Lowest severity that fails (default warning)."
        ),
        click.option(
            "--config", type=click.Path(dir_okay=False), help="Configuration file (default: discovered)."
        ),
    ]
    for o in reversed(opts):
        fn = o(fn)
    return fn


def helm_options(fn: Any) -> Any:
    """``helm template``'s options for charts among the PATHS (stored for llmlint.helm; no Helm import)."""

    def store(attr: str) -> Any:
        def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
            if not value and "llmlint.helm" not in sys.modules:
                return  # nothing to set, and nothing set before: no import on the plain path
            from llmlint.helm import OPTIONS, HelmOptions

            default = getattr(HelmOptions(), attr)  # every scan starts from helm template's defaults
            setattr(OPTIONS, attr, list(value) if isinstance(value, tuple) else (value or default))

        return callback

    opts = [
        click.option(
            "--values",
            "-f",
            multiple=True,
            type=click.Path(dir_okay=False),
            expose_value=False,
            callback=store("values"),
            help="Helm: a values file for charts (repeatable; later wins).",
        ),
        click.option(
            "--set",
            "set_",
            multiple=True,
            metavar="KEY=VALUE",
            expose_value=False,
            callback=store("set"),
            help="Helm: set a chart value (repeatable).",
        ),
        click.option(
            "--release-name",
            expose_value=False,
            callback=store("release"),
            help="Helm: the release name charts render with (default release-name).",
        ),
        click.option(
            "--namespace",
            expose_value=False,
            callback=store("namespace"),
            help="Helm: the namespace charts render into (default default).",
        ),
    ]
    for o in reversed(opts):
        fn = o(fn)
    return fn


@main.command(short_help="Lint manifests: files, directories, or - for stdin.")
@click.argument("paths", nargs=-1)
@output_options
@helm_options
@click.option("--fix", is_flag=True, help="Apply safe fixes in place (stdin: the stream goes to stdout).")
@click.option("--diff", "show_diff", is_flag=True, help="Print the fixes as a unified diff; write nothing.")
@click.option(
    "--unsafe-fixes",
    is_flag=True,
    help="Also apply fixes marked unsafe (--fix, --diff); in a report, count them as fixable.",
)
@click.option("--exclude", multiple=True, help="Glob of paths to skip (repeatable).")
@click.option("--show-source", is_flag=True, help="Text: show the offending line under each finding.")
@click.option("--statistics", is_flag=True, help="Text: count the findings per rule instead of listing them.")
@click.option(
    "--no-context",
    is_flag=True,
    help="When PATHs name files, read them alone (by default the rest of their repository is context).",
)
def scan(
    paths: tuple[str, ...],
    fmt: str,
    output: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fail_on: str | None,
    config: str | None,
    fix: bool,
    show_diff: bool,
    unsafe_fixes: bool,
    exclude: tuple[str, ...],
    show_source: bool,
    statistics: bool,
    no_context: bool,
) -> None:
    """Lint manifests in PATHS (files, directories, or - for stdin; default .).

    Each finding is one line, PATH:LINE:COL: ID severity message, with its fix on the next. Exit 0: no
    finding at or above --fail-on; 1: such findings; 2: an input could not be read, bad configuration
    or usage."""
    from llmlint.engine import scan as run_scan

    if show_diff and fmt != "text":
        _usage(f"--diff prints a unified diff, not a {fmt} report; use --format json (each fix has its diff)")
    if show_diff and fix:
        _usage("--diff writes nothing and --fix writes files: choose one")
    if (show_source or statistics) and fmt != "text":
        _usage(f"--{'show-source' if show_source else 'statistics'} is for --format text")
    targets = list(paths) or ["."]
    settings = _settings(config, select, ignore, exclude, fail_on, targets)
    stdin: bytes | None = None
    if "-" in targets:
        from llmlint.manifest.loader import MAX_FILE_BYTES

        stdin = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    result = run_scan(targets, settings, stdin, context=not no_context)
    extra: dict[str, Any] = {"show_source": show_source, "statistics": statistics}
    if unsafe_fixes:  # a report (as ruff): the unsafe fixes count as applicable, `--fix --unsafe-fixes`
        extra["unsafe_fixes"] = True
    if fix or show_diff:
        from llmlint.fixes.run import combined_diff, fix_loop, write_all

        roots = None
        if fix:  # --fix writes only inside the tree: the PATHs, and the values files given with --values
            from llmlint.helm import OPTIONS as HELM

            roots = [t for t in targets if t != "-"] + list(HELM.values)
        outcome = fix_loop(result, settings, unsafe=unsafe_fixes, roots=roots or None)
        for note in outcome.skipped:
            _warn(note)
        if show_diff:
            from llmlint.report.redact import Secrets, redact_diff, secrets_of

            secrets = Secrets(set(secrets_of(result).literals) | set(secrets_of(outcome.result).literals))
            diff, notes = redact_diff(combined_diff(outcome), secrets)
            for note in notes:
                _warn(note)
            _emit(diff, None)
            after = outcome.result
            _print_errors(after.errors, "text", after.warnings)
            n, left = len(outcome.applied), len(after.active)
            click.echo(
                f"{n} fix{'es' if n != 1 else ''} in the diff; "
                f"{left} finding{'s' if left != 1 else ''} would remain.",
                err=True,
            )
            if after.errors:
                sys.exit(EXIT_ERROR)
            sys.exit(EXIT_FINDINGS if diff or notes or after.failing(settings.fail_on) else EXIT_OK)
        write_errors = write_all(outcome)
        result = outcome.result
        result.errors.extend(write_errors)
        extra["fixed"] = len(outcome.applied)
        if stdin is not None:
            # `cat x.yaml | llmlint scan - --fix > fixed.yaml`: stdout is the manifest stream, fixed or not,
            # tokens and all (it is the input); the report goes to stderr (or --output).
            from llmlint.fixes.write import encode

            fixed = outcome.fixed.get("-")
            sys.stdout.flush()
            sys.stdout.buffer.write(encode(outcome.original["-"], fixed) if fixed is not None else stdin)
            sys.stdout.buffer.flush()
            from llmlint.report.redact import redact_result

            redact_result(result)
            _print_errors(result.errors, fmt, result.warnings)
            _no_manifests(result, fmt, targets)
            if output:
                _emit(_render(fmt, result, output, extra), output, fmt)
            else:
                report = _render(fmt, result, None, extra, sys.stderr)
                from llmlint.report.redact import json_safe, redact

                click.echo(json_safe(redact(report)) if fmt in ("json", "sarif") else redact(report), err=True, nl=False)
            _exit(result, settings)
    if fmt in ("json", "sarif"):
        from llmlint.fixes.run import annotate

        annotate(result)
    from llmlint.report.redact import redact_result

    redact_result(result)
    _print_errors(result.errors, fmt, result.warnings)
    _no_manifests(result, fmt, targets)
    _emit(_render(fmt, result, output, extra), output, fmt)
    _exit(result, settings)


def _no_manifests(result: Any, fmt: str, targets: list[str]) -> None:
    """An empty or YAML-less directory is no error (exit 0), but not silently a clean result either."""
    if result.files == 0 and not result.errors and fmt != "text":
        from llmlint.report import printable

        click.echo(f"llmlint: no manifests found in {printable(' '.join(targets))}", err=True)


def _render(fmt: str, result: Any, output: str | None, extra: dict[str, Any], stream: Any = None) -> str:
    from llmlint.report import render

    return render(fmt, result, color=fmt == "text" and use_color(output, stream), extra=extra)


def _exit(result: Any, settings: Any) -> None:
    if result.errors:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if result.failing(settings.fail_on) else EXIT_OK)


@main.command(short_help="Audit a live cluster's workloads (read-only).")
@output_options
@click.option(
    "--kubeconfig", type=click.Path(dir_okay=False), help="Kubeconfig (default $KUBECONFIG, ~/.kube/config)."
)
@click.option("--context", "context_name", help="Kubeconfig context (default: current).")
@click.option("--namespace", "-n", help="Namespace (default: the context's).")
@click.option("--all-namespaces", "-A", is_flag=True, help="Every namespace.")
@click.option(
    "--diff", "show_diff", is_flag=True, help="Print each fix as a kubectl patch command; apply nothing."
)
@click.option(
    "--timeout",
    type=float,
    default=20.0,
    show_default=True,
    help="Longest wait, in seconds, for one API answer or the credential plugin (connecting: at most 10).",
)
def audit(
    fmt: str,
    output: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fail_on: str | None,
    config: str | None,
    kubeconfig: str | None,
    context_name: str | None,
    namespace: str | None,
    all_namespaces: bool,
    show_diff: bool,
    timeout: float,
) -> None:
    """Audit the workloads of a live cluster (read-only: get and list, never Secret values)."""
    from llmlint.audit import AuditError, AuditOptions, run_audit

    settings = _settings(config, select, ignore, (), fail_on)
    opts = AuditOptions(
        kubeconfig=kubeconfig,
        context=context_name,
        namespace=namespace,
        all_namespaces=all_namespaces,
        timeout=timeout,
        progress=use_color(None, sys.stderr),
    )
    try:
        result, warnings = run_audit(opts, settings)
    except AuditError as exc:
        _fail(str(exc))
    for w in warnings:
        _warn(w)
    from llmlint.audit import kubectl_commands
    from llmlint.report.redact import redact_result

    redact_result(result, audit=True)
    if show_diff:
        _print_errors(result.errors, "text")
        _emit(kubectl_commands(result), None)
        _exit(result, settings)
    _print_errors(result.errors, fmt)
    _emit(_render(fmt, result, output, {"audit": True} if fmt == "text" else {}), output, fmt)
    _exit(result, settings)


@main.command("rules", short_help="List the rule catalog.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules_cmd(fmt: str) -> None:
    """List the rule catalog: ID, name, severity and fix, then the summary (100 columns)."""
    import json

    from llmlint import catalog

    rules = catalog.rules().values()
    if fmt == "json":
        data = [
            {
                "id": r.id,
                "name": r.name,
                "severity": r.severity,
                "family": r.family,
                "fix": r.fix_safety,
                "audit_only": r.audit_only,
                "default": getattr(r, "enabled_by_default", True),
                "fix_availability": getattr(r, "fix_availability", None),
                "summary": r.summary,
                "docs": r.docs_url,
            }
            for r in rules
        ]
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    import textwrap

    width = 100
    for r in rules:
        fix = f"fix: {r.fix_safety}" if r.fix_safety else "no fix"
        if r.fix_safety and getattr(r, "fix_availability", "always") == "sometimes":
            fix += " (sometimes)"
        scope = "  audit only" if r.audit_only else ""
        if not getattr(r, "enabled_by_default", True):
            scope += "  opt-in (--select)"
        click.echo(f"{r.id}  {r.name:<34} {r.severity:<8} {fix}{scope}".rstrip())
        for line in textwrap.wrap(r.summary, width - 8):
            click.echo(f"{'':8}{line}")


@main.command(short_help="Show a rule's page (by ID or name).")
@click.argument("rule_id")
@click.option("--no-pager", is_flag=True, help="On a terminal, print without a pager.")
def explain(rule_id: str, no_pager: bool) -> None:
    """Show a rule's documentation: RULE_ID is an ID (LLM003) or a name (gpu-memory-utilization-too-high).

    On a terminal the page is rendered (and paged); in a pipe it is the page's Markdown."""
    from llmlint import catalog
    from llmlint.config import resolve_ids
    from llmlint.docs import rule_page, show

    rules = catalog.rules()
    ids, _ = resolve_ids([rule_id], exact=True)
    if not ids:
        _fail(f"unknown rule {rule_id!r} (see llmlint rules)")
    show(rule_page(rules[ids[0]]), sys.stdout, pager=not no_pager)


def entry() -> None:
    """The console script: never a traceback (``LLMLINT_DEBUG=1`` shows one), Ctrl-C exits 130.

    Once the output is flushed the process ends with ``os._exit``: tearing down some forty modules and
    their objects would add a tenth to a pre-commit run, and nothing is left to clean up."""
    code: int = EXIT_OK
    try:
        main()
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (EXIT_OK if done.code is None else EXIT_FINDINGS)
        if done.code is not None and not isinstance(done.code, int):
            click.echo(str(done.code), err=True)
    except KeyboardInterrupt:
        code = 130
    except Exception as exc:
        if os.environ.get("LLMLINT_DEBUG"):
            raise
        click.echo(
            f"llmlint: internal error: {type(exc).__name__}: {exc} (LLMLINT_DEBUG=1 shows where)", err=True
        )
        code = EXIT_ERROR
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe (llmlint scan | head): nothing more to say
        pass
    os._exit(code)
