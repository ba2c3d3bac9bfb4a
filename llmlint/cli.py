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
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR") or os.environ.get("CLICOLOR_FORCE"):
        return True
    if output:
        return False
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def _fail(message: str) -> None:
    click.echo(f"llmlint: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _settings(
    config: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    exclude: tuple[str, ...],
    fail_on: str | None,
) -> Any:
    from llmlint.config import ConfigError, load_settings

    try:
        settings, _ = load_settings(config)
    except ConfigError as exc:
        _fail(f"bad configuration: {exc}")
    from llmlint import catalog

    known = catalog.rules()
    for flag, ids in (("--select", _ids(select)), ("--ignore", _ids(ignore))):
        for i in ids:
            if i.upper() != "ALL" and not any(r.startswith(i.upper()) for r in known):
                _fail(f"{flag}: unknown rule {i!r} (see llmlint rules)")
    if select:
        settings.select = [i.upper() for i in _ids(select)]
    if ignore:
        settings.ignore = list(settings.ignore) + [i.upper() for i in _ids(ignore)]
    if exclude:
        settings.exclude = list(settings.exclude) + list(exclude)
    if fail_on:
        settings.fail_on = fail_on
    if os.environ.get("LLMLINT_NO_PREFILTER") == "1":
        settings.prefilter = False
    return settings


def _emit(text: str, output: str | None) -> None:
    from llmlint.report.redact import redact

    text = redact(text)
    if output:
        try:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            _fail(f"cannot write {output}: {exc.strerror or exc}")
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def _print_errors(errors: list[Any], fmt: str) -> None:
    from llmlint.report.redact import redact

    if fmt == "text" or fmt == "github":
        for e in errors:
            click.echo(redact(f"error: {e.one_line()}"), err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="llmlint")
def main() -> None:
    """Lint Kubernetes manifests for LLM inference servers, and audit live clusters."""


def output_options(fn: Any) -> Any:
    opts = [
        click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True),
        click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the report to FILE."),
        click.option(
            "--select", multiple=True, help="Only these rule IDs (comma-separated, prefixes allowed)."
        ),
        click.option("--ignore", multiple=True, help="Skip these rule IDs."),
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


@main.command()
@click.argument("paths", nargs=-1)
@output_options
@helm_options
@click.option("--fix", is_flag=True, help="Apply safe fixes in place.")
@click.option("--diff", "show_diff", is_flag=True, help="Print the fixes as a unified diff; write nothing.")
@click.option("--unsafe-fixes", is_flag=True, help="Also apply fixes marked unsafe.")
@click.option("--exclude", multiple=True, help="Glob of paths to skip (repeatable).")
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
) -> None:
    """Lint manifests in PATHS (files, directories, or - for stdin; default .)."""
    from llmlint.engine import scan as run_scan

    settings = _settings(config, select, ignore, exclude, fail_on)
    targets = list(paths) or ["."]
    result = run_scan(targets, settings)
    extra: dict[str, Any] = {}
    if fix or show_diff:
        from llmlint.fixes.run import combined_diff, fix_loop, write_all

        outcome = fix_loop(result, settings, unsafe=unsafe_fixes)
        for note in outcome.skipped:
            click.echo(f"warning: {note}", err=True)
        if show_diff:
            diff = combined_diff(outcome)
            _emit(diff, None)
            after = outcome.result
            _print_errors(after.errors, "text")
            click.echo(
                f"{len(outcome.applied)} fix{'es' if len(outcome.applied) != 1 else ''} in the diff; "
                f"{len(after.active)} finding{'s' if len(after.active) != 1 else ''} would remain.",
                err=True,
            )
            if after.errors:
                sys.exit(EXIT_ERROR)
            sys.exit(EXIT_FINDINGS if diff or after.failing(settings.fail_on) else EXIT_OK)
        write_errors = write_all(outcome)
        result = outcome.result
        result.errors.extend(write_errors)
        extra["fixed"] = len(outcome.applied)
        if "-" in targets and "-" in outcome.fixed:
            sys.stdout.write(outcome.fixed["-"])  # the fixed stream itself, tokens and all: it is the input
            output = output or None
            if not output:
                click.echo(_render(fmt, result, None, extra), err=True, nl=False)
                _exit(result, settings)
    if fmt in ("json", "sarif"):
        from llmlint.fixes.run import annotate

        annotate(result)
    _print_errors(result.errors, fmt)
    _emit(_render(fmt, result, output, extra), output)
    _exit(result, settings)


def _render(fmt: str, result: Any, output: str | None, extra: dict[str, Any]) -> str:
    from llmlint.report import render

    return render(fmt, result, color=fmt == "text" and use_color(output), extra=extra)


def _exit(result: Any, settings: Any) -> None:
    if result.errors:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if result.failing(settings.fail_on) else EXIT_OK)


@main.command()
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
@click.option("--timeout", type=float, default=20.0, show_default=True, help="Seconds per API request.")
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
        click.echo(f"warning: {w}", err=True)
    from llmlint.audit import kubectl_commands

    if show_diff:
        _emit(kubectl_commands(result), None)
        _exit(result, settings)
    _print_errors(result.errors, fmt)
    _emit(_render(fmt, result, output, {"audit": True} if fmt == "text" else {}), output)
    _exit(result, settings)


@main.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules_cmd(fmt: str) -> None:
    """List the rule catalog."""
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
                "summary": r.summary,
                "docs": r.docs_url,
            }
            for r in rules
        ]
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    for r in rules:
        fix = f"fix: {r.fix_safety}" if r.fix_safety else "no fix"
        scope = " (audit)" if r.audit_only else ""
        click.echo(f"{r.id}  {r.name:<34} {r.severity:<8} {fix:<12}{scope} {r.summary}")


@main.command()
@click.argument("rule_id")
def explain(rule_id: str) -> None:
    """Show a rule's documentation."""
    from llmlint import catalog
    from llmlint.docs import rule_page

    rules = catalog.rules()
    rid = rule_id.upper()
    if rid not in rules:
        by_name = {r.name: r.id for r in rules.values()}
        if rule_id in by_name:
            rid = by_name[rule_id]
        else:
            _fail(f"unknown rule {rule_id!r} (see llmlint rules)")
    sys.stdout.write(rule_page(rules[rid]))


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
