"""The rule registry and what every check receives.

A check is a function ``(ctx) -> Iterable[Finding]`` registered under its rule ID with ``@check("LLM003")``.
It reads the object graph and the servers found in it, and returns findings (with their fixes as edit
operations); it never parses YAML and never prints.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from llmlint import catalog
from llmlint.graph.index import Graph
from llmlint.graph.objects import Container, K8sObject, PodTemplate
from llmlint.model import Edit, Finding, Fix, Path, Safety
from llmlint.serving.server import Server, analyse

CheckFn = Callable[["Context"], Iterable[Finding]]
REGISTRY: dict[str, CheckFn] = {}
FAMILIES = ("probes", "memory", "availability", "storage", "images", "scheduling", "security")
AUDIT_FAMILIES = ("evidence",)  # rules that read what a live cluster observed


def check(rule_id: str) -> Callable[[CheckFn], CheckFn]:
    def register(fn: CheckFn) -> CheckFn:
        REGISTRY[rule_id] = fn
        return fn

    return register


def load_all(audit: bool = True) -> dict[str, CheckFn]:
    """The registered checks; ``audit=False`` leaves the cluster-evidence family unimported (``scan``)."""
    for fam in FAMILIES + (AUDIT_FAMILIES if audit else ()):
        importlib.import_module(f"llmlint.checks.{fam}")
    return REGISTRY


@dataclass(eq=False)
class Context:
    """What every check receives: the graph, the rule parameters, and (in audit) the cluster's facts."""

    graph: Graph
    params: dict[str, Any] = field(default_factory=dict)
    # Cluster facts (audit only): pods, events, nodes by name.
    cluster: Any = None

    @cached_property
    def servers(self) -> list[Server]:
        out: list[Server] = []
        for w in self.graph.workloads:
            for t in w.templates:
                for c in t.containers:
                    s = analyse(c, self._configmap_finder(c.obj))
                    if s is not None:
                        out.append(s)
        return out

    def inference_servers(self) -> list[Server]:
        return [s for s in self.servers if s.framework is not None]

    def servers_of(self, template: PodTemplate) -> list[Server]:
        return self._by_template.get(id(template), [])

    def servers_of_workload(self, workload: Any) -> list[Server]:
        """The servers of one workload's pod templates (an index: checks ask once per workload)."""
        return self._by_workload.get(id(workload), [])

    @cached_property
    def _by_template(self) -> dict[int, list[Server]]:
        out: dict[int, list[Server]] = {}
        for s in self.servers:
            out.setdefault(id(s.container.template), []).append(s)
        return out

    @cached_property
    def _by_workload(self) -> dict[int, list[Server]]:
        out: dict[int, list[Server]] = {}
        for s in self.servers:
            out.setdefault(id(s.container.template.workload), []).append(s)
        return out

    def _configmap_finder(self, obj: K8sObject) -> Callable[[str], K8sObject | None]:
        ns = obj.namespace

        def find(name: str) -> K8sObject | None:
            return self.graph.get("ConfigMap", ns, name)

        return find

    def param(self, name: str) -> Any:
        if name in self.params:
            return self.params[name]
        for rule in catalog.rules().values():
            if name in rule.parameters:
                return rule.parameters[name].get("default")
        raise KeyError(f"unknown rule parameter {name!r}")

    def finding(
        self,
        rule: str,
        obj: K8sObject,
        path: Path,
        message: str,
        *,
        container: Container | None = None,
        fix: Fix | None = None,
        span: tuple[int, int] | None = None,
    ) -> Finding:
        return Finding(
            rule=rule,
            message=message,
            target=obj.target,
            path=path,
            container=container.name if container else None,
            fix=fix,
            span=span,
        )


def make_fix(safety: Safety, description: str, *edits: Edit) -> Fix:
    return Fix(safety=safety, description=description, edits=list(edits))
