"""``llmlint audit``: the scan rules on a live cluster's objects, plus evidence only a cluster has.

Read-only: ``get``/``list`` only, never Secrets. Fixes are reported as RFC 6902 JSON Patches against the
live objects and as the matching ``kubectl patch`` commands (``--diff``); nothing is ever applied.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from llmlint.audit.facts import ClusterFacts, facts_from_objects

if TYPE_CHECKING:
    from llmlint.engine import ScanResult, Settings
    from llmlint.model import Finding, ObjectRef

__all__ = [
    "AuditError",
    "AuditOptions",
    "ClusterFacts",
    "facts_from_objects",
    "kubectl_commands",
    "run_audit",
]

_WORKLOAD_KINDS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod", "LeaderWorkerSet"}
)
# API groups kubectl resolves by the bare kind; other groups are spelled out (kind.group).
_BUILTIN_GROUPS = frozenset({"", "apps", "batch", "policy", "autoscaling", "networking.k8s.io"})


class AuditError(Exception):
    """The audit could not run (bad kubeconfig, unreachable cluster...): one clear line, exit 2."""


@dataclass
class AuditOptions:
    kubeconfig: str | None = None
    context: str | None = None
    namespace: str | None = None
    all_namespaces: bool = False
    timeout: float = 20.0
    progress: bool = False


def run_audit(opts: AuditOptions, settings: Settings) -> tuple[ScanResult, list[str]]:
    """List the cluster, lint its objects with every rule (LLM1xx included); (result, warnings)."""
    from llmlint.engine import analyse
    from llmlint.fixes.run import annotate
    from llmlint.sources import cluster

    if opts.timeout <= 0:
        raise AuditError("--timeout must be positive")
    try:
        conn = cluster.connect(opts.kubeconfig, opts.context, opts.timeout)
        namespace = None if opts.all_namespaces else (opts.namespace or conn.namespace)
        with _progress(opts.progress) as report:
            snap = cluster.snapshot(conn, namespace, timeout=opts.timeout, progress=report)
    except cluster.ClusterError as exc:
        raise AuditError(str(exc)) from None
    except AuditError:
        raise
    except Exception as exc:  # the boundary: no traceback reaches the user
        raise AuditError(f"audit failed: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}") from None
    workloads = [r.plural for r in cluster.RESOURCES if r.kind in _WORKLOAD_KINDS]
    refused = [p for p in workloads if p in snap.forbidden]
    if refused and not any(p in snap.listed for p in workloads):
        scope = "in any namespace" if namespace is None else f"in namespace {namespace}"
        who = f"context {conn.context}" if conn.context else "the service account"
        raise AuditError(
            f"could read no workload: {who} may not list {', '.join(refused)} {scope} (HTTP 403 Forbidden); "
            "grant get and list on them (a Role or ClusterRole) and run the audit again"
        )
    facts, objects = facts_from_objects(snap.objects, namespace=namespace, other_pods=snap.other_pods or ())
    result = analyse([], settings, extra=objects, cluster=facts)
    annotate(result)
    from llmlint.model import InputError

    result.errors.extend(InputError(None, None, e) for e in snap.errors)
    warnings = list(snap.warnings)
    if not result.graph.workloads:
        scope = "any namespace" if namespace is None else f"namespace {namespace}"
        warnings.append(f"no workloads found in {scope} (context {conn.context or 'in-cluster'})")
    return result, warnings


class _progress:
    """A transient rich progress line on stderr while listing (only when stderr is a terminal)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> Any:
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn

        self._progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), console=Console(stderr=True), transient=True
        )
        self._progress.start()
        self._task = self._progress.add_task("connecting…", total=None)

        def report(resource: str, count: int) -> None:
            self._progress.update(self._task, description=f"listing {resource}: {count}")

        return report

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()


def _resource_name(ref: ObjectRef) -> str:
    kind = (ref.kind or "").lower()
    group = (ref.api_version or "").rpartition("/")[0]
    return kind if group in _BUILTIN_GROUPS else f"{kind}.{group}"


def _ns_flag(ref: ObjectRef) -> str:
    return f" -n {shlex.quote(ref.namespace)}" if ref.namespace else ""


def _shell_safe(*values: str | None) -> bool:
    """Values that may stand in a command line as they are (quoted): no control character, no line break.
    A Kubernetes name never holds one; a server that sends one gets no command."""
    from llmlint.report.redact import printable

    return all(v is None or printable(v) == v for v in values)


def kubectl_commands(result: ScanResult) -> str:
    """A shell script: one ``kubectl patch … --type=json`` (or ``kubectl apply -f -``) per fixable finding.

    Nothing from the cluster leaves a comment or a quoted argument: comments are one line with control
    characters and line breaks escaped, every value is quoted for the shell (``shlex.quote``), JSON is
    ASCII, and an object whose name cannot stand in a command line gets a comment instead of a command.
    Credentials are never printed: a fix whose patch would carry one is left out (with a comment)."""
    from llmlint.report.redact import LEFT_OUT, printable, secrets_of

    secrets = secrets_of(result)
    out: list[str] = []
    live = {o.target.ref: o.data for o in result.graph.objects}
    for f in result.active:
        fix = f.fix
        if fix is None or (not fix.json_patch and not fix.creates):
            continue
        target = fix.patch_target or f.target.ref
        note = " (unsafe: review before running)" if fix.safety == "unsafe" else ""
        out.append(printable(secrets.mask(f"# {f.rule} {f.target.ref.label()}: {fix.description}{note}")))
        if not _shell_safe(target.name, target.namespace, target.kind, target.api_version):
            out.append("# left out: the object's name is not a valid Kubernetes name")
            out.append("")
            continue
        if fix.json_patch:
            ops = _guarded(fix.json_patch, live.get(target), secrets)
            if ops is None:
                out.append(f"# left out: {LEFT_OUT} (apply it by hand)")
                out.append("")
                continue
            patch = json.dumps(ops, separators=(",", ":"), ensure_ascii=True)
            out.append(
                f"kubectl patch {shlex.quote(_resource_name(target))} {shlex.quote(target.name or '')}"
                f"{_ns_flag(target)} --type=json -p {shlex.quote(patch)}"
            )
        for obj in fix.creates:
            cmd = _apply(obj, f)
            if cmd is None or secrets.found(cmd):
                out.append(f"# left out: an object to create whose text cannot be shown ({LEFT_OUT})")
            else:
                out.append(cmd)
        out.append("")
    if not out:
        return ""
    return "\n".join(out).rstrip("\n") + "\n"


def _guarded(
    ops: list[dict[str, Any]], obj: dict[str, Any] | None, secrets: Any = None
) -> list[dict[str, Any]] | None:
    """``ops`` with an RFC 6902 ``test`` before each change of a list item (``args/1``): if the live list
    changed since the audit, ``kubectl patch`` fails instead of changing the wrong item.

    A ``test`` must carry the live value, so one whose value holds a credential tests the item's ``name``
    instead (env entries, containers, volumes); when there is none the fix is left out (None)."""
    if obj is None:
        return ops
    out: list[dict[str, Any]] = []
    for op in ops:
        path = str(op.get("path", ""))
        last = path.rsplit("/", 1)[-1]
        if op.get("op") in ("replace", "remove") and last.isdigit():
            found, value = _resolve(obj, path)
            if found:
                if secrets is not None and secrets.in_data(value):
                    name = value.get("name") if isinstance(value, dict) else None
                    if not isinstance(name, str) or secrets.found(name):
                        return None
                    out.append({"op": "test", "path": path + "/name", "value": name})
                else:
                    out.append({"op": "test", "path": path, "value": value})
        out.append(op)
    return out


def _resolve(obj: Any, pointer: str) -> tuple[bool, Any]:
    node = obj
    for raw in pointer.split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return False, None
    return True, node


def _apply(obj: dict[str, Any], f: Finding) -> str | None:
    try:
        body = yaml.safe_dump(obj, sort_keys=False, default_flow_style=False, width=1 << 20).rstrip("\n")
    except (yaml.YAMLError, RecursionError, ValueError):
        return None
    from llmlint.report.redact import runner_command

    if not body.isascii() or not _shell_safe(*body.splitlines()) or runner_command(body):
        return None  # safe_dump escapes what it must; anything else (a CI workflow command) is not shown
    marker = "EOF"
    while marker in body.splitlines():
        marker += "_"
    ns = ""
    md = obj.get("metadata")
    if not (isinstance(md, dict) and md.get("namespace")) and f.target.ref.namespace:
        if not _shell_safe(f.target.ref.namespace):
            return None
        ns = f" -n {shlex.quote(f.target.ref.namespace)}"
    return f"kubectl apply{ns} -f - <<'{marker}'\n{body}\n{marker}"
